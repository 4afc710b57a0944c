/**
 * The file store's run history: `history/<task>/<end>-<run id>.run`, one small JSON file per
 * run, named so that a directory listing sorts a task's runs by end. Every process sharing the
 * directory writes its own files and trims by name, so there is nothing to lock: a file removed
 * twice is removed once. Files are read as every file of the store is (regular files of at most
 * `maxFileSize` bytes, links never followed); one that cannot be read is left out, reported, and
 * left where it is. Entries whose names the store does not write are never touched.
 */
import { lstat, mkdir, readdir, rename, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger/logger.js';
import type { RunRetention, StoredRun } from '../store.js';
import { errorCode, removeQuietly } from './disk.js';
import { decodeName, encodeName, taskKey } from './naming.js';
import { readRegularFile } from './safe-read.js';

const SUFFIX = '.run';
/** Tries to write one run's file while other processes' sweeps keep removing its directory. */
const MAX_WRITE_ATTEMPTS = 3;
/** Ends as fixed-width digits, so that names sort as times do (enough digits past the year 275,000). */
const END_DIGITS = 16;
const RUN_NAME = /^(\d{16})-([a-z0-9._%-]+)\.run$/;

/** One run file, from its name. */
interface RunName {
  readonly name: string;
  readonly endedAt: number;
}

function runName(run: StoredRun): string {
  return `${String(run.endedAt).padStart(END_DIGITS, '0')}-${encodeName(run.runId)}${SUFFIX}`;
}

function parseName(name: string): RunName | undefined {
  const match = RUN_NAME.exec(name);
  if (match === null || decodeName(match[2]!) === undefined) return undefined;
  return { name, endedAt: Number(match[1]) };
}

export class FileHistory {
  /** When every task's history was last trimmed by age (tasks that record nothing more). */
  private lastSweep = -Infinity;

  constructor(
    readonly directory: string,
    private readonly settings: { readonly mode: number; readonly maxFileSize: number; readonly logger: () => Logger; readonly alias: () => string },
  ) {}

  async add(runs: readonly StoredRun[], retention: RunRetention): Promise<void> {
    const byTask = new Map<string, StoredRun[]>();
    for (const run of runs) {
      const key = taskKey(run.taskId);
      const list = byTask.get(key);
      if (list === undefined) byTask.set(key, [run]);
      else list.push(run);
    }
    for (const [key, list] of byTask) {
      const directory = join(this.directory, key);
      if (!(await this.taskDirectory(directory, true))) continue;
      for (const run of list) await this.write(directory, run);
      await this.trim(directory, retention);
    }
    // Tasks that record nothing more: their runs go once past the age, looked for now and then.
    if (retention.now - this.lastSweep >= Math.max(60_000, retention.maxAge / 10)) {
      this.lastSweep = retention.now;
      await this.sweep(retention);
    }
  }

  /**
   * Writes one run's file. Another process's sweep may remove a task's directory the moment it
   * is empty, between this one making it and writing into it: it is made again then.
   */
  private async write(directory: string, run: StoredRun): Promise<void> {
    const payload = JSON.stringify({ taskId: run.taskId, runId: run.runId, endedAt: run.endedAt, payload: run.payload });
    for (let attempt = 1; ; attempt++) {
      // Not flushed to disk: a crash may lose the last runs of the history (never a task),
      // and a file cut short by one is left out when read, not mistaken for a run.
      const temp = join(directory, `.horae-${randomBytes(8).toString('hex')}.tmp`);
      try {
        await writeFile(temp, payload, { flag: 'wx', mode: 0o600 });
        await rename(temp, join(directory, runName(run)));
        return;
      } catch (error) {
        await removeQuietly(temp);
        if (errorCode(error) !== 'ENOENT' || attempt === MAX_WRITE_ATTEMPTS || !(await this.taskDirectory(directory, true))) throw error;
      }
    }
  }

  async list(taskId: string, { limit, before }: { limit: number; before?: number }): Promise<StoredRun[]> {
    const directory = join(this.directory, taskKey(taskId));
    if (!(await this.taskDirectory(directory, false))) return [];
    const names = (await this.names(directory)).filter((run) => before === undefined || run.endedAt < before).reverse();
    const runs: StoredRun[] = [];
    for (const { name } of names) {
      if (runs.length >= limit) break;
      const run = await this.read(join(directory, name), name);
      if (run !== undefined) runs.push(run);
    }
    return runs;
  }

  /** A task's run files, oldest first. */
  private async names(directory: string): Promise<RunName[]> {
    let entries: string[];
    try {
      entries = await readdir(directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return entries
      .map(parseName)
      .filter((run): run is RunName => run !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async trim(directory: string, { perTask, maxAge, now }: RunRetention): Promise<void> {
    const names = await this.names(directory);
    const excess = names.length - perTask;
    for (const [index, run] of names.entries()) {
      if (index >= excess && run.endedAt >= now - maxAge) break;
      await removeQuietly(join(directory, run.name));
    }
  }

  private async sweep(retention: RunRetention): Promise<void> {
    let tasks: string[];
    try {
      tasks = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    for (const key of tasks) {
      if (decodeName(key) === undefined) continue;
      const directory = join(this.directory, key);
      if (!(await this.taskDirectory(directory, false))) continue;
      await this.trim(directory, retention);
      // Only an empty directory goes; one another process writes to meanwhile stays.
      if ((await this.names(directory)).length === 0) await rmdir(directory).catch(() => undefined);
    }
  }

  /**
   * Whether a task's history directory is a real directory (made when `create`). Anything else
   * there (a link, a file) is refused and reported: the store never follows it.
   */
  private async taskDirectory(directory: string, create: boolean): Promise<boolean> {
    if (create) await mkdir(directory, { recursive: true, mode: this.settings.mode });
    let isDirectory: boolean;
    try {
      isDirectory = (await lstat(directory)).isDirectory();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    if (!isDirectory) this.report(directory, 'is not a directory; the runs of its task are not kept');
    return isDirectory;
  }

  private async read(path: string, name: string): Promise<StoredRun | undefined> {
    const found = await readRegularFile(path, this.settings.maxFileSize);
    if (found === undefined) return undefined;
    if ('refused' in found) {
      this.report(path, `${found.refused}; it was not read`);
      return undefined;
    }
    try {
      const run = JSON.parse(found.raw.toString('utf8')) as Partial<StoredRun>;
      if (typeof run.taskId !== 'string' || typeof run.runId !== 'string' || typeof run.endedAt !== 'number' || run.payload === undefined) {
        throw new Error('it is not a run record');
      }
      return { taskId: run.taskId, runId: run.runId, endedAt: run.endedAt, payload: run.payload };
    } catch (error) {
      this.report(path, `cannot be read (${(error as Error).message}); it is left out of the history (${name})`);
      return undefined;
    }
  }

  private report(path: string, problem: string): void {
    this.settings.logger().warn(`Store "${this.settings.alias()}": the run history entry ${path} ${problem}.`);
  }
}
