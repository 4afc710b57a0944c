/** Small file-system helpers of the file store: temporary files, atomic writes, quiet removal. */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Temporary files start with this. Being hidden files they never look like a task file (encoded
 * names never start with "."), so a reader can never mistake a half-written one for a task.
 */
const TEMP_PREFIX = '.horae-';
const TEMP_SUFFIX = '.tmp';

/** Whether `name` is one of the store's temporary files. */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, ...), if it is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Writes `data` to a new temporary file in `directory` and flushes it to disk, so that once it
 * is published under its final name (by `link` or `rename`) it is complete even after a crash.
 * Resolves to the temporary file's path. Readable by the owner only: payloads may be secrets.
 */
export async function writeTempFile(directory: string, data: string): Promise<string> {
  const path = join(directory, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await removeQuietly(path);
    throw error;
  }
  await handle.close();
  return path;
}

/** The directory flushes under way and asked for, per directory (see {@link syncDirectory}). */
const directorySyncs = new Map<string, { running: Promise<void>; next: Promise<void> | undefined }>();

/**
 * Flushes a directory's entries (a new link or rename) to disk. Best effort: some platforms
 * cannot open a directory, and the entry is there either way until a power loss.
 *
 * One flush covers every entry made before it began, so callers share them: while one runs,
 * every new caller waits for the single one that starts after it. A burst of a hundred claims
 * then costs two or three flushes of the directory instead of a hundred, and each caller is still
 * covered by a flush that began after its entry was made.
 */
export function syncDirectory(directory: string): Promise<void> {
  const state = directorySyncs.get(directory);
  if (state === undefined) {
    const fresh = { running: flushDirectory(directory).finally(() => finished(directory, fresh)), next: undefined };
    directorySyncs.set(directory, fresh);
    return fresh.running;
  }
  state.next ??= state.running.then(() => {
    state.next = undefined;
    state.running = flushDirectory(directory).finally(() => finished(directory, state));
    return state.running;
  });
  return state.next;
}

/** Forgets a directory's flushes once none is running or asked for. */
function finished(directory: string, state: { next: Promise<void> | undefined }): void {
  if (state.next === undefined && directorySyncs.get(directory) === state) directorySyncs.delete(directory);
}

async function flushDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here (Windows): the write itself is still atomic
  }
}

/** Replaces `directory/name` with `data` atomically: readers see the old or the new file, never a mix. */
export async function replaceFile(directory: string, name: string, data: string): Promise<void> {
  const temp = await writeTempFile(directory, data);
  try {
    await rename(temp, join(directory, name));
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDirectory(directory);
}

/** Removes a file; resolves to whether it did. A file already gone, or that cannot go, is no error. */
export async function removeQuietly(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/** How many files one call of the store writes at a time. */
export const WRITE_CONCURRENCY = 16;

/** Runs `task` for every item, at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
