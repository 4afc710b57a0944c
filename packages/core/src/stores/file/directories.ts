/**
 * Creates and checks the file store's directories when it starts: a path that cannot work is a
 * typed error naming it and the fix (not a raw `EEXIST` or `EACCES` from deep inside a store
 * operation), and a directory anyone on the host may write to is worth a warning, since whoever
 * can write there can add tasks.
 */
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, open, stat } from 'node:fs/promises';
import { errors, type HoraeError } from '../../errors/index.js';
import type { Logger } from '../../logger/logger.js';
import { errorCode } from './disk.js';

const NOT_A_DIRECTORY = 'it is a file, not a directory';

/** A subdirectory the store creates and keeps inside its directory. */
export interface Subdirectory {
  readonly path: string;
  /** What it holds, for messages: "run leases", "quarantined records". */
  readonly holds: string;
}

export interface DirectorySetup {
  /** The store's alias, for messages. */
  readonly store: string;
  readonly directory: string;
  readonly subdirectories: readonly Subdirectory[];
  /** The permissions of directories the store creates. */
  readonly mode: number;
  readonly logger: Logger;
}

/** Creates what is missing with `mode`, checks what is there, and warns of world-writable ones. */
export async function prepareDirectories({ store, directory, subdirectories, mode, logger }: DirectorySetup): Promise<void> {
  let isDirectory: boolean;
  try {
    // The user's own path may be a link (to a data volume, say): it is followed.
    if ((await mkdir(directory, { recursive: true, mode })) !== undefined) await setMode(directory, mode, true);
    // mkdir refuses a file with EEXIST; this catches one put there by another process since.
    isDirectory = (await stat(directory)).isDirectory();
    if (isDirectory) await access(directory, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw directoryError(store, directory, error);
  }
  if (!isDirectory) throw errors.fileStoreDirectoryInvalid(directory, NOT_A_DIRECTORY);
  for (const subdirectory of subdirectories) await prepareSubdirectory(store, subdirectory, mode);
  const writableByAll: string[] = [];
  for (const path of [directory, ...subdirectories.map((sub) => sub.path)]) {
    // The sticky bit changes nothing here: it stops others deleting files, not adding them.
    if (((await stat(path)).mode & 0o002) !== 0) writableByAll.push(path);
  }
  if (writableByAll.length > 0) {
    logger.warn(
      `Store "${store}": ${writableByAll.join(', ')} ${writableByAll.length === 1 ? 'is' : 'are'} writable by every user of this host, ` +
        'so anyone here can add tasks to the store or change them. ' +
        `Remove that permission (chmod o-w ${writableByAll.join(' ')}), or let the store create its directory with the FileStore option mode (default 0o700).`,
    );
  }
}

/**
 * A subdirectory must be a directory of its own: a link there would send the store's writes (run
 * leases, quarantined payloads) wherever it points.
 */
async function prepareSubdirectory(store: string, { path, holds }: Subdirectory, mode: number): Promise<void> {
  const fix = `The store keeps its ${holds} there: remove what is in the way, and the store creates a directory at its next start.`;
  try {
    await mkdir(path, { mode });
    await setMode(path, mode, false);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw directoryError(store, path, error);
  }
  let entry;
  try {
    entry = await lstat(path);
  } catch (error) {
    throw directoryError(store, path, error);
  }
  if (entry.isSymbolicLink()) throw errors.fileStoreDirectoryUnusable(store, path, 'it is a symbolic link; the store follows no links inside its directory', fix);
  if (!entry.isDirectory()) throw errors.fileStoreDirectoryUnusable(store, path, 'it is not a directory', fix);
}

/**
 * Sets the exact mode (`mkdir` reduces it by the umask) through a descriptor of the directory
 * just made, so that a link swapped in meanwhile cannot redirect the change to another file.
 */
async function setMode(path: string, mode: number, followLinks: boolean): Promise<void> {
  if (process.platform === 'win32') return chmod(path, mode);
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | (followLinks ? 0 : constants.O_NOFOLLOW));
  try {
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

function directoryError(store: string, path: string, error: unknown): HoraeError {
  const code = errorCode(error);
  if (code === 'EEXIST') return errors.fileStoreDirectoryInvalid(path, NOT_A_DIRECTORY, error);
  if (code === 'ENOTDIR') return errors.fileStoreDirectoryInvalid(path, 'a part of the path is a file, not a directory', error);
  if (code === 'EACCES' || code === 'EPERM') {
    const uid = process.getuid?.();
    return errors.fileStoreDirectoryUnusable(
      store,
      path,
      `permission denied (${code})`,
      `Give the user this process runs as${uid === undefined ? '' : ` (uid ${uid})`} read, write and search permission on it, ` +
        'and search permission on the directories above it, or choose another directory.',
      error,
    );
  }
  if (code === 'EROFS') return errors.fileStoreDirectoryUnusable(store, path, 'it is on a read-only file system', 'Choose a directory on a writable file system.', error);
  const problem = code === 'ENOENT' ? 'a part of the path vanished or is a link to nothing' : `it cannot be created or opened (${code ?? String(error)})`;
  return errors.fileStoreDirectoryUnusable(store, path, problem, 'Give the path of a writable directory, or of one the store can create.', error);
}
