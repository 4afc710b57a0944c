import { errors, HoraeError } from '../errors/index.js';

/**
 * The errors a store raises, worded and coded as the scheduler's own, for the authors of stores:
 * the contract asks for `CONFLICTING_ID` and `TASK_NOT_FOUND` errors, and these name the task, the
 * store and the fix as every Horae message does.
 *
 * @example
 * ```ts
 * async addTask(task: StoredTask): Promise<void> {
 *   if (await this.exists(task.id)) throw storeErrors.conflictingId(task.id, this.alias);
 *   // ...
 * }
 * ```
 * @public
 */
export const storeErrors = {
  /** A task with this id exists already. */
  conflictingId: (taskId: string, store: string): HoraeError => errors.conflictingId(taskId, store),
  /** No task with this id (`store` may name a part of a store, such as its quarantine). */
  taskNotFound: (taskId: string, store: string): HoraeError => errors.taskNotFound(taskId, store),
  /** A next run time that is neither epoch milliseconds nor `null`. */
  invalidNextRunTime: (taskId: string, value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Task "${taskId}": invalid nextRunTime ${String(value)}: epoch milliseconds as a finite number, or null.`, { taskId }),
  /** A payload that is not a string, in a persistent store (the scheduler's encoded record is one). */
  payloadNotString: (taskId: string, store: string, payload: unknown): HoraeError =>
    new HoraeError(
      'NOT_SERIALIZABLE',
      `Task "${taskId}": store "${store}" is persistent and keeps payloads as strings (the scheduler's encoded record), but got ${typeof payload}.`,
      { taskId },
    ),
  /** A revision that is not an integer. */
  invalidRevision: (taskId: string, value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Task "${taskId}": invalid revision ${String(value)}: an integer.`, { taskId }),
  /** An option of a store's constructor (`storeClass`, e.g. `RedisStore`) with a value it cannot use; `allowed` says what it can. */
  invalidOption: (storeClass: string, name: string, value: unknown, allowed: string): HoraeError =>
    new HoraeError('INVALID_OPTION', `Invalid ${storeClass} option "${name}" ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${allowed}.`),
  /** A lease duration that is not a number of milliseconds of at least 1. */
  invalidLeaseDuration: (value: unknown): HoraeError =>
    new HoraeError('INVALID_OPTION', `Invalid lease duration ${String(value)}: a number of milliseconds, at least 1.`),
  /**
   * A place the store keeps its data in (a Redis key, a file, a collection) holds something of
   * another kind, so the store refused to use it and wrote nothing; `fix` tells the operator what
   * to do, as a sentence.
   */
  wrongKind: (store: string, place: string, found: string, expected: string, fix: string): HoraeError =>
    new HoraeError('STORE_UNAVAILABLE', `Store "${store}" cannot use ${place}: it holds ${found} where the store keeps ${expected}, so the store wrote nothing. ${fix}`),
};
