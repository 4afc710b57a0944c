/**
 * Reading files that anyone with write access to the store's directory may have put there.
 *
 * Such a person must not be able to turn that access into more: a FIFO must not hang the store,
 * a link to `/dev/zero` must not fill memory, a link to `/etc/shadow` must not be copied or logged.
 * So only regular files are read, links are never followed, and the size is checked before
 * reading. The entry is looked at with `lstat`, then opened without following links and without
 * blocking (a FIFO swapped in after the `lstat` opens at once instead of waiting for a writer),
 * and the opened descriptor is checked again with `fstat`: what is read is what was checked,
 * whatever was swapped in between.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { errorCode } from './disk.js';

/** Not on Windows, where the `lstat` check alone applies. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;
/** Bytes read at a time once a file turns out longer than `fstat` said. */
const CHUNK = 64 * 1024;
/**
 * Errors of opening one entry that say something about that entry, not about the store: the
 * entry is refused and the store carries on. Anything else (too many open files, an I/O error)
 * is thrown, as for any other file operation.
 */
const ENTRY_ERRORS = new Set(['EACCES', 'EPERM', 'ELOOP', 'EMLINK', 'ENXIO', 'ENODEV', 'EISDIR', 'EOPNOTSUPP', 'ETXTBSY', 'EFBIG', 'EOVERFLOW']);

/** What reading an entry found: its bytes, or why it was not read. `undefined`: it does not exist. */
export type EntryRead = { readonly raw: Buffer } | { readonly refused: string } | undefined;

/**
 * Why an entry is not read, or `undefined` for a regular file of at most `maxBytes`. The reason
 * completes "its file x.task ..." and names the entry's kind only, never its content or target.
 */
export function entryProblem(stats: Stats, maxBytes: number): string | undefined {
  if (stats.isFile()) return stats.size > maxBytes ? `is ${stats.size} bytes, more than the ${maxBytes} allowed (FileStore option maxFileSize)` : undefined;
  return `is ${entryKind(stats)}, not a regular file`;
}

function entryKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** `lstat`, with `undefined` for an entry that does not exist. */
export async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads `path` if it is a regular file of at most `maxBytes` (see the module comment). */
export async function readRegularFile(path: string, maxBytes: number): Promise<EntryRead> {
  const entry = await lstatIfExists(path);
  if (entry === undefined) return undefined;
  const problem = entryProblem(entry, maxBytes);
  if (problem !== undefined) return { refused: problem };
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return undefined;
    // O_NOFOLLOW refuses a link swapped in after the lstat with ELOOP (EMLINK on FreeBSD).
    if (code === 'ELOOP' || code === 'EMLINK') return { refused: 'is a symbolic link, not a regular file' };
    if (code !== undefined && ENTRY_ERRORS.has(code)) return { refused: `cannot be opened (${code})` };
    throw error;
  }
  try {
    const opened = await handle.stat();
    const swapped = entryProblem(opened, maxBytes);
    if (swapped !== undefined) return { refused: swapped };
    return await readAtMost(handle, opened.size, maxBytes);
  } finally {
    await handle.close();
  }
}

/** Reads to the end, but never more than `maxBytes`: the file may still grow after `fstat`. */
async function readAtMost(handle: FileHandle, expected: number, maxBytes: number): Promise<EntryRead> {
  const chunks: Buffer[] = [];
  let total = 0;
  // One byte more than expected, so that a file that grew is noticed by the first read.
  let buffer = Buffer.allocUnsafe(Math.min(expected, maxBytes) + 1);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) return { refused: `grew past the ${maxBytes} bytes allowed while it was read (FileStore option maxFileSize)` };
    buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
  }
  return { raw: Buffer.concat(chunks, total) };
}

/**
 * Why text is not JSON, without quoting it: V8's messages quote the start of the text, and a
 * file that is not a task file may hold anything (a hard link to a secret, say). Messages that
 * only give a position are kept.
 */
export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!/["']/.test(message)) return `it is not valid JSON (${message})`;
  const position = /at position (\d+)/.exec(message)?.[1];
  return position === undefined ? 'it is not valid JSON' : `it is not valid JSON (at position ${position})`;
}
