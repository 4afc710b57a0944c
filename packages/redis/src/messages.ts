/**
 * The errors `@horae/redis` raises, as small factories: each names the store, the task, the
 * option or the key involved, the value, and what is allowed or what to do. The errors every
 * store shares (a conflicting id, a task not found, a bad next run time or lease duration, a key
 * of another kind) come from core's `storeErrors`, so that they read the same in every store.
 */
import { storeErrors, type HoraeError } from '@horae/core/store';

/**
 * The errors RedisStore raises; all of them are `HoraeError`s with a code.
 *
 * @example
 * ```ts
 * if (added !== 1) throw errors.conflictingId(task.id, this.alias);
 * ```
 */
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
  /** A revision that is not an integer (`INVALID_OPTION`). */
  invalidRevision: (taskId: string, value: unknown): HoraeError => storeErrors.invalidRevision(taskId, value),
  /** An option of the store's constructor with a value it cannot use (`INVALID_OPTION`); `allowed` says what it can. */
  invalidOption: (name: string, value: unknown, allowed: string): HoraeError => storeErrors.invalidOption('RedisStore', name, value, allowed),
  /**
   * A key of the store holding another kind of value than the store keeps there
   * (`STORE_UNAVAILABLE`); kinds are in words ("a sorted set"). `rebuiltEvery` is the
   * `indexCheckInterval` when the store rebuilds the key from its task rows.
   */
  wrongType: (store: string, key: string, found: string, expected: string, rebuiltEvery: number | undefined): HoraeError => {
    const remove = `redis-cli DEL ${JSON.stringify(key)}`;
    const fix =
      rebuiltEvery === undefined
        ? `It holds nothing of this store's: if no other application uses it, delete it (${remove}); if one does, give this store a prefix of its own.`
        : `The store rebuilds this key from its task rows: delete it (${remove}) and the store puts every task back in it within indexCheckInterval (${rebuiltEvery} ms).`;
    return storeErrors.wrongKind(store, `the Redis key ${JSON.stringify(key)}`, found, expected, fix);
  },
} as const;
