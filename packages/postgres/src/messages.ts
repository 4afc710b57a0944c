/**
 * Everything `@horae/postgres` says: the errors it raises and the lines it logs, as small
 * factories. Each names the store, the task or the option involved, the value, and what is
 * allowed or what to do. The errors every store shares (a conflicting id, a task not found, a bad
 * next run time or lease duration) come from core's `storeErrors`, so that they read the same in
 * every store.
 */
import { HoraeError, storeErrors } from '@horae/core/store';

/** What went wrong in an error of pg's (or anything thrown), for a log line. */
export function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The errors PostgresStore raises; all of them are {@link HoraeError}s with a code. */
export const errors = {
  /** A task with this id exists already (`CONFLICTING_ID`). */
  conflictingId: (taskId: string, store: string): HoraeError => storeErrors.conflictingId(taskId, store),
  /** No task with this id (`TASK_NOT_FOUND`). */
  taskNotFound: (taskId: string, store: string): HoraeError => storeErrors.taskNotFound(taskId, store),
  /** No quarantined task with this id (`TASK_NOT_FOUND`). */
  notQuarantined: (taskId: string, store: string): HoraeError => storeErrors.taskNotFound(taskId, `${store} (quarantine)`),
  /** A next run time that is neither epoch milliseconds nor `null` (`INVALID_OPTION`). */
  invalidNextRunTime: (taskId: string, value: unknown): HoraeError => storeErrors.invalidNextRunTime(taskId, value),
  /** A lease duration that is not a number of milliseconds of at least 1 (`INVALID_OPTION`). */
  invalidLeaseDuration: (value: unknown): HoraeError => storeErrors.invalidLeaseDuration(value),
  /** A payload that is not the scheduler's encoded record, a string (`NOT_SERIALIZABLE`). */
  payloadNotString: (taskId: string, store: string, payload: unknown): HoraeError => storeErrors.payloadNotString(taskId, store, payload),
  /** A task id that is not a non-empty string without NUL characters (`INVALID_OPTION`). */
  invalidTaskId: (value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Invalid task id ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: a non-empty string without NUL characters (PostgreSQL text cannot hold them).`),
  /** A revision that is not a safe integer (`INVALID_OPTION`). */
  invalidRevision: (taskId: string, value: unknown): HoraeError => storeErrors.invalidRevision(taskId, value),
  /** A seal that is not a string (`INVALID_OPTION`). */
  invalidSeal: (taskId: string, value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Task "${taskId}": invalid seal ${String(value)}: a string.`, { taskId }),
  /** A string with a NUL character, which PostgreSQL text cannot hold (`NOT_SERIALIZABLE`). */
  nulInText: (taskId: string, store: string, field: string): HoraeError =>
    new HoraeError(
      'NOT_SERIALIZABLE',
      `Task "${taskId}": store "${store}" keeps ${field} as PostgreSQL text, which cannot hold a NUL character (\\u0000), and this ${field} has one. Remove it from the task's arguments or options.`,
      { taskId },
    ),
  /** An option of the store's constructor with a value it cannot use (`INVALID_OPTION`); `allowed` says what it can. */
  invalidOption: (name: string, value: unknown, allowed: string): HoraeError => storeErrors.invalidOption('PostgresStore', name, value, allowed),
  /** The store's tables were migrated by a newer `@horae/postgres` than this one (`STORE_UNAVAILABLE`). */
  newerSchema: (store: string, table: string, found: number, known: number): HoraeError =>
    new HoraeError(
      'STORE_UNAVAILABLE',
      `Store "${store}": the tables of ${table} are at schema version ${found}, written by a newer @horae/postgres; this one knows versions up to ${known} and changes nothing. Upgrade @horae/postgres in this application, or use another table.`,
    ),
  /** The tasks table exists, but not as this store made it (`STORE_UNAVAILABLE`). */
  foreignTable: (store: string, table: string): HoraeError =>
    storeErrors.wrongKind(store, `table ${table}`, 'a table no PostgresStore created (it has no migrations record)', "Horae's tasks", 'Give the store another table (its `table` option), or drop that table if it is a leftover.'),
} as const;

/** The lines PostgresStore logs. */
export const logs = {
  /** (warn) `start()` could not reach PostgreSQL; it goes on trying in the background. */
  unreachableAtStart: (store: string, error: unknown, listening: boolean, pollInterval: number): string =>
    `Store "${store}" cannot reach PostgreSQL yet (${describe(error)}); it will create or migrate its tables${listening ? ' and listen for changes' : ''} once PostgreSQL answers, polling every ${pollInterval} ms.`,
  /** (debug) Another try to migrate and listen failed. */
  stillUnreachable: (store: string, error: unknown): string => `Store "${store}": PostgreSQL still cannot be reached (${describe(error)}).`,
  /** (debug) The LISTEN connection was lost; the store polls until it listens again. */
  listenLost: (store: string, error: unknown, pollInterval: number): string =>
    `Store "${store}": the connection listening for changes was lost (${describe(error)}); polling every ${pollInterval} ms until it listens again.`,
  /** (info) Migrations applied at start. */
  migrated: (store: string, table: string, from: number, to: number): string =>
    `Store "${store}": migrated the tables of ${table} from schema version ${from} to ${to}.`,
} as const;
