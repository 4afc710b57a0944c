/**
 * The keys of one store, and which of them each kind of script is given. Every key carries the
 * store's hash tag, so that on Redis Cluster one node owns them all.
 */

/**
 * The keys of one store, for looking at them with `redis-cli`. Every key starts with the same
 * hash tag `{<prefix>}`, so Redis Cluster keeps them in one slot, where the scripts that touch
 * several at once can run.
 *
 * @example
 * ```ts
 * const { tasks, due } = new RedisStore({ prefix: 'billing' }).keys; // '{billing}:tasks', '{billing}:due'
 * ```
 * @public
 */
export interface RedisStoreKeys {
  /** Hash: task id -> row JSON `{"nextRunTime","revision","seq","payload"}`. */
  readonly tasks: string;
  /** Sorted set: task id scored by its next run time, or while claimed, the later of it and the claim's expiry. */
  readonly due: string;
  /** Set: the ids of paused tasks (no next run time), which have no place in `due`. */
  readonly paused: string;
  /** Hash: task id -> `<expiry ms>:<owner>` while claimed. */
  readonly claims: string;
  /** Counter giving each added task its place among equal run times. */
  readonly seq: string;
  /** Hash: run id -> run lease JSON `{"taskId","runId","owner","scheduledAt"}`. */
  readonly runs: string;
  /** Sorted set: run id scored by its lease's expiry. */
  readonly runExpiry: string;
  /** Sorted set, all scores 0: `<task id>\0<run id>`, to count a task's runs by range. */
  readonly taskRuns: string;
  /** Hash: instance id -> `<expiry ms>:<payload>`, for each scheduler instance that beats (see `cluster.ts`). */
  readonly instances: string;
  /** Hash: task id -> `{"reason","quarantinedAt","row"}`, the row exactly as it was found. */
  readonly quarantine: string;
  /** String, while one replica repairs the due index: its token (a lock that expires by itself). */
  readonly indexRepair: string;
  /**
   * String per dispatch batch (releases of claimed tasks), for two minutes: its outcome, one digit
   * per task, so that the same batch sent twice (its reply lost with a connection) is answered
   * alike both times.
   */
  dispatched(batchId: string): string;
  /**
   * Sorted set per task: its runs in the run history, scored by their end, once it has more than
   * one (see `history.ts`).
   */
  history(taskId: string): string;
  /**
   * Two hashes, two generations of the run history's lone runs: task id -> its run while it is
   * the only one, `<end>:<member>`, or `''` when its runs are in its sorted set (see `history.ts`).
   */
  readonly loneRuns: readonly [string, string];
  /** String `<start ms>:<0 or 1>`: when the current generation of {@link RedisStoreKeys.loneRuns} began, and which it is. */
  readonly loneRunsGeneration: string;
  /** The pub/sub channel of change messages (a channel, not a key). */
  readonly channel: string;
}

/** The keys of a store with `prefix`, all in the hash tag `{prefix}`. @internal */
export function redisStoreKeys(prefix: string): RedisStoreKeys {
  const tag = `{${prefix}}`;
  return {
    tasks: `${tag}:tasks`,
    due: `${tag}:due`,
    paused: `${tag}:paused`,
    claims: `${tag}:claims`,
    seq: `${tag}:seq`,
    runs: `${tag}:runs`,
    runExpiry: `${tag}:run-expiry`,
    taskRuns: `${tag}:task-runs`,
    quarantine: `${tag}:quarantine`,
    instances: `${tag}:instances`,
    indexRepair: `${tag}:index-repair`,
    dispatched: (batchId) => `${tag}:dispatched:${batchId}`,
    history: (taskId) => `${tag}:history:${taskId}`,
    loneRuns: [`${tag}:lone-runs:0`, `${tag}:lone-runs:1`],
    loneRunsGeneration: `${tag}:lone-runs`,
    channel: `${tag}:changes`,
  };
}

/** KEYS of the scripts that write a row (add, add-many, update). */
export function writeKeys(keys: RedisStoreKeys): string[] {
  return [keys.tasks, keys.due, keys.claims, keys.seq, keys.paused];
}

/** KEYS of the scripts that may move a row to the quarantine (claims, quarantine). */
export function quarantineKeys(keys: RedisStoreKeys): string[] {
  return [keys.tasks, keys.due, keys.claims, keys.quarantine, keys.paused];
}
