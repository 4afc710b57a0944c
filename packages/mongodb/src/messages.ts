/**
 * Everything `@horae/mongodb` says: the errors it raises, the reasons it gives the quarantine and
 * the lines it logs, as small factories. Each names the store, the task or the option involved,
 * the value, and what is allowed or what to do. The errors every store shares (a conflicting id,
 * a task not found, a bad next run time or lease duration) come from core's `storeErrors`, so that
 * they read the same in every store.
 */
import { HoraeError, storeErrors } from '@horae/core/store';

/** What went wrong in an error of the driver's (or anything thrown), for a log line. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errors MongoDBStore raises; all of them are {@link HoraeError}s with a code. */
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
  /** A task id that is not a non-empty string (`INVALID_OPTION`). */
  invalidTaskId: (value: unknown): HoraeError => new HoraeError('INVALID_OPTION', `Invalid task id ${String(value)}: a non-empty string.`),
  /** A revision that is not an integer (`INVALID_OPTION`). */
  invalidRevision: (taskId: string, value: unknown): HoraeError => storeErrors.invalidRevision(taskId, value),
  /** A seal that is not a string (`INVALID_OPTION`). */
  invalidSeal: (taskId: string, value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Task "${taskId}": invalid seal ${String(value)}: a string.`, { taskId }),
  /** An option of the store's constructor with a value it cannot use (`INVALID_OPTION`); `allowed` says what it can. */
  invalidOption: (name: string, value: unknown, allowed: string): HoraeError => storeErrors.invalidOption('MongoDBStore', name, value, allowed),
  /** A task that kept changing while `quarantineTask` tried to move it, `attempts` times (`STORE_UNAVAILABLE`). */
  quarantineRaced: (taskId: string, store: string, attempts: number): HoraeError =>
    new HoraeError(
      'STORE_UNAVAILABLE',
      `Task "${taskId}" changed ${attempts} times while store "${store}" was moving it to the quarantine; it is still scheduled. Try again.`,
      { taskId },
    ),
  /** An index of one of the store's names exists with other options (`STORE_UNAVAILABLE`). */
  indexConflict: (store: string, namespace: string, cause: unknown): HoraeError =>
    new HoraeError(
      'STORE_UNAVAILABLE',
      `Store "${store}" cannot create its indexes on ${namespace} (${describe(cause)}): an index of the same name exists with other options. Drop that index (the store recreates it) or use another collection.`,
      { cause },
    ),
} as const;

/** Why a task went to the quarantine. */
export const reasons = {
  /** Its document is not of the shape the store writes; `why` says how (see `readTask`). */
  cannotBeRead: (why: string): string => `its record in MongoDB cannot be read: ${why}`,
  /** Its quarantine entry was read again by `restoreQuarantinedTask`, and still cannot be. */
  stillUnreadable: (why: string): string => `${reasons.cannotBeRead(why)} (tried again when restored)`,
  /** What `restoreQuarantinedTask` found in place of a document. */
  noDocument: 'its quarantine entry holds no document',
} as const;

/** The lines MongoDBStore logs. */
export const logs = {
  /** (error) A task moved to the quarantine before the scheduler started the store, so it cannot be reported as an event. */
  quarantined: (taskId: string, store: string, reason: string): string => `Task "${taskId}" in store "${store}" was moved to the quarantine: ${reason}.`,
  /** (warn) `start()` could not reach MongoDB; it goes on trying in the background. */
  unreachableAtStart: (store: string, error: unknown, watching: boolean, pollInterval: number): string =>
    `Store "${store}" cannot reach MongoDB yet (${describe(error)}); it will create its indexes${watching ? ' and watch for changes' : ''} once MongoDB answers, polling every ${pollInterval} ms.`,
  /** (debug) Another try to create the indexes and open the change stream failed. */
  stillUnreachable: (store: string, error: unknown): string => `Store "${store}": MongoDB still cannot be reached (${describe(error)}).`,
  /** (info) The deployment has no change streams. */
  standalone: (store: string, pollInterval: number): string =>
    `Store "${store}": MongoDB is a standalone server, which has no change streams; the store polls every ${pollInterval} ms.`,
  /** (debug) The change stream failed for good (the driver resumes it across brief failures). */
  streamFailed: (store: string, error: unknown, pollInterval: number): string =>
    `Store "${store}": the change stream failed (${describe(error)}); polling every ${pollInterval} ms until it opens again.`,
  /** (debug) The change stream closed for a drain could not be opened again. */
  streamNotReopened: (store: string, error: unknown, pollInterval: number): string =>
    `Store "${store}": the change stream cannot be opened again (${describe(error)}); polling every ${pollInterval} ms until it opens.`,
  /** (warn) An expired run lease of a shape the store does not write. */
  unreadableRunLease: (store: string, taskId: string, entry: unknown): string =>
    `Store "${store}": an expired run lease of task "${taskId}" cannot be read and was dropped: ${JSON.stringify(entry).slice(0, 200)}`,
} as const;
