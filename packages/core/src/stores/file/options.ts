/** The options of the file store, and the checks they must pass. */
import { errors } from '../../errors/index.js';
import { checkStoreOptions } from '../store-options.js';

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * const store = new FileStore({ directory: '/var/lib/my-app/tasks', pollInterval: 500 });
 * ```
 * @public
 */
export interface FileStoreOptions {
  /** The directory of the task files, shared by every process using the store; created when missing. */
  readonly directory: string;
  /** Ends the name of every task file. Default `'.task'`. */
  readonly suffix?: string;
  /**
   * Permissions of the directory (and its `runs` and `quarantine` subdirectories) when the store
   * creates them. Default `0o700`: task arguments may be private.
   */
  readonly mode?: number;
  /** Delete the task files at shutdown, for throwaway directories. Quarantined records stay. Default `false`. */
  readonly cleanupOnShutdown?: boolean;
  /**
   * How often (ms) the directory listing is compared for changes made by other processes that
   * `fs.watch` missed (it is unreliable on network file systems). Default `1000`.
   */
  readonly pollInterval?: number;
  /**
   * The largest task file (in bytes) the store reads. Its size is checked before anything is
   * read, so that a huge file, or one that never ends, cannot fill the memory. A larger file is
   * quarantined unread, by name. Adding or updating a task whose file would be larger than this,
   * less 4096 bytes kept for bookkeeping (claims), fails with `INVALID_OPTION`. Give every
   * process sharing the directory the same value. At least 16384; default `1048576` (1 MiB).
   */
  readonly maxFileSize?: number;
}

/** The options a {@link FileStoreOptions} object may have: any other key is refused. */
const OPTION_KEYS = ['directory', 'suffix', 'mode', 'cleanupOnShutdown', 'pollInterval', 'maxFileSize'] as const;

export const DEFAULT_SUFFIX = '.task';
export const DEFAULT_MAX_FILE_SIZE = 1024 * 1024;
/**
 * Room kept in a task file, below `maxFileSize`, for what the store adds to a task after it was
 * written (a claim with its owner's instance id, longer numbers): a task accepted when added must
 * stay readable when claimed.
 */
export const RESERVED_BYTES = 4096;
const MIN_MAX_FILE_SIZE = 4 * RESERVED_BYTES;
/** Far more than any task needs, and well within what one Buffer may hold. */
const MAX_MAX_FILE_SIZE = 2 ** 30;

export type CheckedOptions = Required<FileStoreOptions>;

export function checkOptions(options: FileStoreOptions): CheckedOptions {
  const invalid = (name: string, value: unknown, allowed: string) => errors.invalidOption(undefined, `FileStore option "${name}"`, value, allowed);
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'an object such as { directory: "./tasks" }');
  checkStoreOptions('FileStore', options, OPTION_KEYS);
  const { directory, suffix = DEFAULT_SUFFIX, mode = 0o700, cleanupOnShutdown = false, pollInterval = 1000, maxFileSize = DEFAULT_MAX_FILE_SIZE } = options;
  if (typeof directory !== 'string' || directory === '') throw invalid('directory', directory, 'the path of a directory (created when missing)');
  if (typeof suffix !== 'string' || !/^\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,14}$/.test(suffix)) {
    throw invalid('suffix', suffix, 'a "." followed by 1 to 15 letters, digits, ".", "_" or "-", such as ".task"');
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o700) !== 0o700) {
    throw invalid('mode', mode, 'permission bits such as 0o700 or 0o750; the owner needs read, write and search permission');
  }
  if (typeof cleanupOnShutdown !== 'boolean') throw invalid('cleanupOnShutdown', cleanupOnShutdown, 'true or false');
  if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < 1 || pollInterval > 2 ** 31 - 1) {
    throw invalid('pollInterval', pollInterval, 'a number of milliseconds, at least 1');
  }
  if (!Number.isInteger(maxFileSize) || maxFileSize < MIN_MAX_FILE_SIZE || maxFileSize > MAX_MAX_FILE_SIZE) {
    throw invalid('maxFileSize', maxFileSize, `a whole number of bytes from ${MIN_MAX_FILE_SIZE} to ${MAX_MAX_FILE_SIZE}, such as 1048576 (1 MiB)`);
  }
  return { directory, suffix, mode, cleanupOnShutdown, pollInterval, maxFileSize };
}
