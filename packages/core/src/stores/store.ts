import type { Logger } from '../logger/logger.js';

/**
 * A task as a store keeps it: the fields a store needs to index and coordinate, plus the task
 * itself as an opaque payload that the scheduler encodes and decodes.
 *
 * For a persistent store the payload is a string (JSON, or an encrypted envelope when the store
 * has an encryption key) and must be kept verbatim. The memory store keeps live objects.
 * @public
 */
export interface StoredTask {
  readonly id: string;
  /** Epoch ms of the next run; `null` while paused. */
  readonly nextRunTime: number | null;
  /**
   * Raised by every change of the task (a release raises it by exactly one); a release for an
   * older revision is refused.
   */
  readonly revision: number;
  readonly payload: unknown;
  /**
   * Set by the scheduler when the store has an encryption key: a tag binding the id, revision
   * and next run time to the payload. A persistent store keeps it verbatim beside the task and
   * gives it back wherever it gives the task back; a release replaces it (see
   * {@link TaskRelease.seal}). A record whose seal does not match is quarantined, not run.
   */
  readonly seal?: string;
}

/** A record that could not be read, kept aside with the reason. @public */
export interface QuarantinedTask {
  readonly id: string;
  /** The payload exactly as it was found. */
  readonly payload: unknown;
  readonly nextRunTime: number | null;
  readonly revision: number;
  /** The record's seal, kept so that it still authenticates when restored. */
  readonly seal?: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly quarantinedAt: number;
}

/**
 * A finished run as a store keeps it: what the store orders and trims by, plus the run itself as
 * an opaque payload (a string in a persistent store, encrypted when the scheduler has a key). See
 * {@link TaskStore.addRuns}.
 * @public
 */
export interface StoredRun {
  readonly taskId: string;
  /** Unique per run record. */
  readonly runId: string;
  /** Epoch ms the run ended (or was given up, for a fire that never ran): newest first. */
  readonly endedAt: number;
  readonly payload: unknown;
}

/** How much run history a store keeps. @public */
export interface RunRetention {
  /** Keep at most this many runs per task, the newest. */
  readonly perTask: number;
  /** Runs that ended longer ago than this, ms, are not kept (see {@link TaskStore.addRuns}). */
  readonly maxAge: number;
  /** The caller's current time, epoch ms, for `maxAge`. */
  readonly now: number;
}

/**
 * A scheduler instance as a store keeps it, so that every instance can list those alive: its
 * id, until when it counts as alive, and an opaque payload describing it (a string in a
 * persistent store). See {@link TaskStore.beatInstance}.
 * @public
 */
export interface StoredInstance {
  readonly instanceId: string;
  /** Epoch ms (on the store's clock where it has one) after which it is not alive unless it beats again. */
  readonly expiresAt: number;
  readonly payload: unknown;
}

/** A run lease with its expiry, as {@link TaskStore.getRunLeases} lists it. @public */
export interface HeldRunLease extends RunLease {
  /** Epoch ms (on the store's clock where it has one). */
  readonly expiresAt: number;
}

/** What a store is told when the scheduler starts it. @public */
export interface StoreContext {
  /** The alias the store is registered under. */
  readonly alias: string;
  readonly logger: Logger;
  /** This scheduler instance's id, the owner of its leases. */
  readonly instanceId: string;
  /**
   * Call when something changed that this instance did not do (another process added or moved
   * a task): the scheduler looks for due work at once. Cheap; calling it too often is harmless.
   */
  wake(): void;
  /**
   * Call after moving a record this store found unreadable on its own (a corrupt file) to the
   * quarantine: the scheduler logs it and emits `task:quarantined`.
   */
  quarantined(taskId: string, reason: string): void;
}

/** The lease a claim takes. @public */
export interface Lease {
  /** The claiming instance's id. */
  readonly owner: string;
  /** How long the claim holds, ms. Stores with a clock of their own measure it on that clock. */
  readonly duration: number;
}

/** Options of {@link TaskStore.claimDueTasks}. @public */
export interface ClaimOptions extends Lease {
  /** The caller's current time; a store with a clock of its own may use that instead. */
  readonly now: number;
  /** The most tasks to claim. */
  readonly limit: number;
}

/** How a claimed task is handed back. @public */
export interface TaskRelease {
  readonly id: string;
  /** The instance that claimed it; the release is refused if the lease is no longer its own. */
  readonly owner: string;
  /** The revision the task had when it was claimed; refused if the task changed since. */
  readonly claimedRevision: number;
  /** The next run time after this dispatch; `null` when the schedule has no more fires. */
  readonly nextRunTime: number | null;
  /** With `nextRunTime: null`: delete the task (`true`) or keep it paused (`false`). */
  readonly removeWhenFinished: boolean;
  /**
   * The task's seal after this release (its revision raised by one, its new next run time):
   * replaces the one kept, or removes it when absent. See {@link StoredTask.seal}.
   */
  readonly seal?: string;
}

/**
 * A claimed task handed back after planning its runs: its release, plus the run lease its run
 * needs when it runs now. See {@link TaskStore.dispatchTasks}.
 * @public
 */
export interface TaskDispatch extends TaskRelease {
  /** The run to record, counted against `maxInstances`; absent when nothing runs. */
  readonly run?: {
    readonly lease: RunLease;
    readonly maxInstances: number;
    /** How long the run lease holds without renewal, ms. */
    readonly duration: number;
  };
}

/** What became of one {@link TaskDispatch}. @public */
export interface DispatchOutcome {
  /** Whether the release applied (the claim was still the caller's and the task unchanged). */
  readonly released: boolean;
  /** Whether the run lease was recorded; never `true` when the release did not apply. */
  readonly runLeased: boolean;
}

/** One run of a task in progress somewhere, counted against its `maxInstances`. @public */
export interface RunLease {
  readonly taskId: string;
  /** Unique per run. */
  readonly runId: string;
  readonly owner: string;
  /** The fire time the run stands for, epoch ms. */
  readonly scheduledAt: number;
}

/**
 * The dispatch steps of a store that keeps its tasks in this process's memory, answered in the
 * caller's turn (no I/O, no promise). A store offering them (see {@link TaskStore.sync}) has its
 * due tasks dispatched within the timer callback that found them due: a handler is called in
 * that callback, as `setTimeout` and `setInterval` call theirs, which fake timers (`vi.useFakeTimers`,
 * `jest.useFakeTimers`) advanced synchronously then see, and a burst of due tasks costs no turn
 * of the event loop per batch. Each answers as the method of the same name on {@link TaskStore}.
 * @public
 */
export interface SynchronousDispatch {
  getNextRunTime(): number | null;
  claimDueTasks(options: ClaimOptions): StoredTask[];
  dispatchTasks(dispatches: readonly TaskDispatch[]): DispatchOutcome[];
}

/**
 * The contract between the scheduler and a place that keeps tasks. All methods are async; the
 * scheduler calls nothing else, so a store of your own plugs in by implementing this (see the
 * custom store guide in the docs).
 *
 * Dispatching: {@link TaskStore.claimDueTasks} takes due tasks under a lease, so that of several
 * scheduler instances sharing the store exactly one dispatches each fire;
 * {@link TaskStore.dispatchTasks} commits their next run times, ends the claims and records the
 * leases of the runs that start now. A claim whose lease expired (its instance died) may be taken
 * by another instance.
 *
 * Running: {@link TaskStore.acquireRunLease} counts the runs of a task in progress across every
 * instance, for a cluster-wide `maxInstances`; the owner renews its leases while the runs go on,
 * and the leases of a dead instance expire and are reported once as interrupted.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ stores: { default: new FileStore({ directory: './tasks' }) } });
 * ```
 * @public
 */
export interface TaskStore {
  /**
   * Whether tasks outlive the process. Tasks in a persistent store must name their handler
   * (never an inline function) and have JSON arguments; their payloads are strings.
   */
  readonly persistent: boolean;
  /**
   * Optional: the dispatch steps answered synchronously, for a store in this process's memory
   * (see {@link SynchronousDispatch}). A store that does I/O leaves it out.
   */
  readonly sync?: SynchronousDispatch;

  start(context: StoreContext): Promise<void>;
  shutdown(): Promise<void>;

  /** Adds a task; rejects with a `CONFLICTING_ID` error when the id exists. */
  addTask(task: StoredTask): Promise<void>;
  /**
   * Optional, for speed: adds many tasks in one step. Adds each task whose id is free and
   * resolves to the ids that existed already (those tasks are left as they are). Without it, the
   * scheduler calls {@link TaskStore.addTask} once per task.
   */
  addTasks?(tasks: readonly StoredTask[]): Promise<string[]>;
  /**
   * Replaces a task by id, whatever claim it is under (the claim's release will then be
   * refused); rejects with a `TASK_NOT_FOUND` error when it does not exist.
   */
  updateTask(task: StoredTask): Promise<void>;
  /** Deletes a task; rejects with a `TASK_NOT_FOUND` error when it does not exist. */
  deleteTask(id: string): Promise<void>;
  lookupTask(id: string): Promise<StoredTask | null>;
  /** Every task, by next run time ascending, paused ones last. */
  getAllTasks(): Promise<StoredTask[]>;
  /**
   * When this store next has work: the earliest next run time of a task not under a live claim,
   * or for a task under a live claim, the later of its next run time and the claim's expiry.
   */
  getNextRunTime(): Promise<number | null>;
  removeAllTasks(): Promise<void>;

  /**
   * Claims up to `limit` tasks whose next run time is at or before now and that are not under a
   * live claim, earliest first, under a lease for `owner`.
   */
  claimDueTasks(options: ClaimOptions): Promise<StoredTask[]>;
  /** Claims one task whatever its next run time (for "run now"); `null` if missing or claimed. */
  claimTask(id: string, lease: Lease): Promise<StoredTask | null>;
  /**
   * Hands back claimed tasks, outcomes in order: the one way a claim ends. For each dispatch:
   * when its release applies (the claim is still its owner's and the task's revision the claimed
   * one), commit the new next run time (or delete a finished task, with `removeWhenFinished`),
   * end the claim, and record its run lease if it has a `run` and fewer than `maxInstances` runs
   * hold live leases; when it does not apply, change nothing. A store that cannot do a batch in
   * one step can use {@link dispatchEach}.
   */
  dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]>;

  /**
   * Records a run in progress if fewer than `maxInstances` runs of the task hold live leases;
   * resolves to whether it did.
   */
  acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean>;
  /** Extends the given run leases of `owner` by `duration` from now (a heartbeat). */
  renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void>;
  releaseRunLease(taskId: string, runId: string): Promise<void>;
  /** Optional, for speed: releases several run leases in one step (else one call each). */
  releaseRunLeases?(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void>;
  /** Removes and returns the run leases that expired; each is returned to one caller only. */
  takeExpiredRunLeases(): Promise<RunLease[]>;

  /** Moves a task out of scheduling into the quarantine, payload untouched, with the reason. */
  quarantineTask(id: string, reason: string): Promise<void>;
  getQuarantinedTasks(): Promise<QuarantinedTask[]>;
  /** Moves a quarantined task back (it is read again, and quarantined again if still unreadable). */
  restoreQuarantinedTask(id: string): Promise<void>;
  /** Deletes a quarantined task for good. */
  purgeQuarantinedTask(id: string): Promise<void>;

  /**
   * Optional: keeps the run history, shared by every instance using the store. Adds finished
   * runs (in one step where it can; the scheduler batches them off its dispatch path) and keeps
   * per task only the `perTask` newest, so that the history never grows without bound. Runs that
   * ended more than `maxAge` ago must go in time, within a few `maxAge` of the task's last write
   * (a key expiry, a TTL index, a sweep; the Redis store takes up to about 2.2 × `maxAge`): not
   * even the runs of deleted tasks stay. The scheduler never shows runs past the age meanwhile. A store without it keeps no history.
   * Payloads are kept verbatim.
   */
  addRuns?(runs: readonly StoredRun[], retention: RunRetention): Promise<void>;
  /**
   * With {@link TaskStore.addRuns}: a task's runs, newest (latest `endedAt`) first, at most
   * `limit`, only those that ended before `before` when it is given (for paging).
   */
  getRuns?(taskId: string, options: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]>;

  /**
   * Optional, with {@link TaskStore.getInstances} and {@link TaskStore.removeInstance}: records
   * that an instance is alive for `ttl` ms from now (on the store's clock where it has one), with
   * a payload describing it, kept verbatim and replacing the one before. The scheduler beats
   * every few seconds while it runs; a store without these lists no instances.
   */
  beatInstance?(instanceId: string, payload: unknown, ttl: number): Promise<void>;
  /** The instances alive: those whose last beat has not expired. Expired ones are never listed (and may be dropped). */
  getInstances?(): Promise<StoredInstance[]>;
  /** Forgets an instance, at its shutdown. */
  removeInstance?(instanceId: string): Promise<void>;
  /** Optional: every run lease alive now, of every instance (what each is running). */
  getRunLeases?(): Promise<HeldRunLease[]>;
}
