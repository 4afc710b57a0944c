/**
 * The file store's quarantine: one JSON file per record, `<encoded id>.json`, each replaced
 * atomically. Records are only written, replaced and deleted on request, never changed in place.
 */
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuarantinedTask } from '../store.js';
import { errorCode, replaceFile } from './disk.js';
import { decodeName, encodeName } from './naming.js';

const EXTENSION = '.json';

/** A quarantined task as kept on disk. */
export interface QuarantineRecord extends QuarantinedTask {
  /**
   * Set when the payload is the raw text of a task file that could not be read (its name is
   * kept here): restoring reads that text again as a task file.
   */
  readonly unreadableFile?: string;
  /** The raw bytes in base64, when they were not valid UTF-8 and the text payload lost some. */
  readonly rawBase64?: string;
}

/** The part of a record the store contract shows. */
export function quarantinedTask({ id, payload, nextRunTime, revision, reason, quarantinedAt }: QuarantineRecord): QuarantinedTask {
  return { id, payload, nextRunTime, revision, reason, quarantinedAt };
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

/** The bytes of the file an unreadable-file record holds. */
export function rawBytes(record: QuarantineRecord): Buffer {
  return record.rawBase64 === undefined ? Buffer.from(String(record.payload), 'utf8') : Buffer.from(record.rawBase64, 'base64');
}

export class Quarantine {
  constructor(
    readonly directory: string,
    private readonly mode: number,
  ) {}

  async ensureDirectory(): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: this.mode });
  }

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
    try {
      await unlink(join(this.directory, this.fileName(id)));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  private fileName(id: string): string {
    return `${encodeName(id)}${EXTENSION}`;
  }

  /** Reads a record; one that cannot be parsed is shown as an unreadable file rather than hidden. */
  private async read(name: string): Promise<QuarantineRecord | undefined> {
    let raw: Buffer;
    let modified: number;
    try {
      raw = await readFile(join(this.directory, name));
      modified = (await stat(join(this.directory, name))).mtimeMs;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    const id = decodeName(name.slice(0, -EXTENSION.length)) ?? name;
    try {
      const record = JSON.parse(raw.toString('utf8')) as QuarantineRecord;
      if (record.id === id && typeof record.reason === 'string' && typeof record.quarantinedAt === 'number') return record;
    } catch {
      // shown below as unreadable
    }
    return { ...unreadableFileRecord(id, name, raw, 'its quarantine record itself cannot be read'), quarantinedAt: modified };
  }
}
