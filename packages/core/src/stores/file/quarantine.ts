/**
 * The file store's quarantine: one JSON file per record, `<encoded id>.json`, each replaced
 * atomically. Records are only written, replaced and deleted on request, never changed in place.
 *
 * Entries the store would not read (not regular files, or too large) are moved here whole, as
 * `<encoded name>.<time>-<random>.aside`, for an operator to look at: the store never opens them,
 * and never deletes them (a directory set aside may hold anything).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuarantinedTask, StoredTask } from '../store.js';
import { errorCode, replaceFile } from './disk.js';
import { decodeName, encodeName, taskKey } from './naming.js';
import { isLive, storedTask, toTaskGeneration } from './records.js';
import { jsonProblem, lstatIfExists, readRegularFile } from './safe-read.js';

const EXTENSION = '.json';
const ASIDE_EXTENSION = '.aside';
/** Leaves room in a 255-byte file name for the time and random part of a name set aside. */
const MAX_ASIDE_LABEL = 180;

/** A quarantined task as kept on disk. */
export interface QuarantineRecord extends QuarantinedTask {
  /**
   * Set when the payload is the raw text of a task file that could not be read (its name is
   * kept here): restoring reads that text again as a task file.
   */
  readonly unreadableFile?: string;
  /** The raw bytes in base64, when they were not valid UTF-8 and the text payload lost some. */
  readonly rawBase64?: string;
  /**
   * Set when nothing was read from the file named in `unreadableFile` (it was not a regular
   * file, or too large): the record holds its name and the reason only, so there is nothing to
   * restore from it.
   */
  readonly unread?: true;
}

/** The part of a record the store contract shows. */
export function quarantinedTask({ id, payload, nextRunTime, revision, seal, reason, quarantinedAt }: QuarantineRecord): QuarantinedTask {
  return { id, payload, nextRunTime, revision, ...(seal === undefined ? {} : { seal }), reason, quarantinedAt };
}

/** A record holding a file that could not be read, bytes and all. */
export function unreadableFileRecord(id: string, fileName: string, raw: Buffer, reason: string): QuarantineRecord {
  const text = raw.toString('utf8');
  const exact = Buffer.from(text, 'utf8').equals(raw);
  return {
    id,
    payload: text,
    nextRunTime: null,
    revision: 0,
    reason,
    quarantinedAt: Date.now(),
    unreadableFile: fileName,
    ...(exact ? {} : { rawBase64: raw.toString('base64') }),
  };
}

/** A record of an entry that was not read at all: its name and why, nothing of its content. */
export function unreadEntryRecord(id: string, fileName: string, reason: string): QuarantineRecord {
  return { id, payload: null, nextRunTime: null, revision: 0, reason, quarantinedAt: Date.now(), unreadableFile: fileName, unread: true };
}

/** The task a quarantine record gives back, or why it still cannot be read. */
export function restorable(record: QuarantineRecord): StoredTask | string {
  const { id, payload, nextRunTime, revision, seal } = record;
  if (record.unread === true) return 'nothing was read from its file, so there is nothing to restore: put a regular task file in its place, or purge the record';
  if (record.unreadableFile === undefined) return { id, payload, nextRunTime, revision, ...(typeof seal === 'string' ? { seal } : {}) };
  // The record holds a file that could not be read: read it again, as a task file.
  let value: unknown;
  try {
    value = JSON.parse(rawBytes(record).toString('utf8'));
  } catch (error) {
    return jsonProblem(error);
  }
  const named = (value as { id?: unknown } | null)?.id;
  const taskId = typeof named === 'string' ? named : id;
  try {
    taskKey(taskId);
  } catch (error) {
    return (error as Error).message;
  }
  const file = toTaskGeneration(value, taskId);
  if (typeof file === 'string') return file;
  return isLive(file) ? storedTask(file) : 'it is a tombstone: the task was deleted';
}

/** The bytes of the file an unreadable-file record holds. */
function rawBytes(record: QuarantineRecord): Buffer {
  return record.rawBase64 === undefined ? Buffer.from(String(record.payload), 'utf8') : Buffer.from(record.rawBase64, 'base64');
}

export class Quarantine {
  constructor(
    readonly directory: string,
    /** The largest record file read; records hold task files, escaped, so some times their limit. */
    private readonly maxRecordBytes: number,
  ) {}

  async put(record: QuarantineRecord): Promise<void> {
    await replaceFile(this.directory, this.fileName(record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  async get(id: string): Promise<QuarantineRecord | undefined> {
    return this.read(this.fileName(id));
  }

  async list(): Promise<QuarantineRecord[]> {
    const records: QuarantineRecord[] = [];
    for (const name of await readdir(this.directory)) {
      if (name.startsWith('.') || !name.endsWith(EXTENSION)) continue;
      const record = await this.read(name);
      if (record !== undefined) records.push(record);
    }
    return records.sort((a, b) => a.quarantinedAt - b.quarantinedAt || (a.id < b.id ? -1 : 1));
  }

  /** Resolves to whether there was such a record. */
  async remove(id: string): Promise<boolean> {
    const name = this.fileName(id);
    try {
      await unlink(join(this.directory, name));
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return false;
      // Not a file (a directory planted under a record's name): out of the way, unread.
      if (code === 'EISDIR' || code === 'EPERM') return (await this.setAside(join(this.directory, name), name)) !== undefined;
      throw error;
    }
  }

  /**
   * Moves an entry the store will not read (see the module comment) into the quarantine
   * directory; `label` names it there. Resolves to its new name, or `undefined` if it was gone.
   */
  async setAside(path: string, label: string): Promise<string | undefined> {
    const name = `${encodeName(label).slice(0, MAX_ASIDE_LABEL)}.${Date.now()}-${randomBytes(4).toString('hex')}${ASIDE_EXTENSION}`;
    try {
      await rename(path, join(this.directory, name));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    return name;
  }

  private fileName(id: string): string {
    return `${encodeName(id)}${EXTENSION}`;
  }

  /**
   * Reads a record; one that cannot be parsed is shown as an unreadable file rather than hidden,
   * and one that is not a regular file (or is too large) by its name only, unread.
   */
  private async read(name: string): Promise<QuarantineRecord | undefined> {
    const path = join(this.directory, name);
    const read = await readRegularFile(path, this.maxRecordBytes);
    if (read === undefined) return undefined;
    const id = decodeName(name.slice(0, -EXTENSION.length)) ?? name;
    const modified = async () => (await lstatIfExists(path))?.mtimeMs ?? Date.now();
    if ('refused' in read) return { ...unreadEntryRecord(id, name, `its quarantine record ${read.refused}; it was not read`), quarantinedAt: await modified() };
    try {
      const record = JSON.parse(read.raw.toString('utf8')) as QuarantineRecord;
      if (record.id === id && typeof record.reason === 'string' && typeof record.quarantinedAt === 'number') return record;
    } catch {
      // shown below as unreadable
    }
    return { ...unreadableFileRecord(id, name, read.raw, 'its quarantine record itself cannot be read'), quarantinedAt: await modified() };
  }
}
