import type { Logger } from '../logger/logger.js';
import type { TaskRecord } from '../tasks/task.js';

/** What a store is told when the scheduler starts it. @public */
export interface StoreContext {
  /** The alias the store is registered under. */
  alias: string;
  logger: Logger;
}

/** How a claimed task is handed back. @public */
export interface TaskRelease {
  /** The id of the claimed task. */
  id: string;
  /** The revision the task had when it was claimed. */
  claimedRevision: number;
  /** The next run time after this dispatch; `null` when the schedule has no more fires. */
  nextRunTime: number | null;
  /** With `nextRunTime: null`: delete the task (`true`) or keep it paused (`false`). */
  removeWhenFinished: boolean;
}

/**
 * The contract between the scheduler and a place that keeps tasks. All methods are async; the
 * scheduler calls nothing else, so a store of your own plugs in by implementing this.
 *
 * Dispatching goes through {@link TaskStore.claimDueTasks} and {@link TaskStore.releaseTask}:
 * a claimed task is held out of further claims until it is released with its new next run time.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ stores: { default: new MemoryStore(), audit: myStore } });
 * ```
 * @public
 */
export interface TaskStore {
  /**
   * Whether tasks outlive the process. Tasks in a persistent store must name their handler
   * (never an inline function) and have JSON arguments.
   */
  readonly persistent: boolean;
  start(context: StoreContext): Promise<void>;
  shutdown(): Promise<void>;
  /** Adds a task; rejects with a `CONFLICTING_ID` error when the id exists. */
  addTask(task: TaskRecord): Promise<void>;
  /** Replaces a task by id; rejects with a `TASK_NOT_FOUND` error when it does not exist. */
  updateTask(task: TaskRecord): Promise<void>;
  /** Deletes a task; rejects with a `TASK_NOT_FOUND` error when it does not exist. */
  deleteTask(id: string): Promise<void>;
  lookupTask(id: string): Promise<TaskRecord | null>;
  /** Every task, by next run time ascending, paused ones (no next run time) last. */
  getAllTasks(): Promise<TaskRecord[]>;
  /** The earliest next run time of an unclaimed task, or `null` when there is none. */
  getNextRunTime(): Promise<number | null>;
  removeAllTasks(): Promise<void>;
  /**
   * Takes up to `limit` unclaimed tasks whose next run time is at or before `now`, earliest
   * first, and holds them out of further claims until released.
   */
  claimDueTasks(now: number, limit: number): Promise<TaskRecord[]>;
  /**
   * Claims one task whatever its next run time (for "run now"); `null` when it does not exist or
   * is claimed already.
   */
  claimTask(id: string): Promise<TaskRecord | null>;
  /**
   * Ends a claim with the task's new schedule. When the task was changed since it was claimed
   * (its revision moved on), the change wins and only the claim is dropped. Resolves to whether
   * the new schedule was applied.
   */
  releaseTask(release: TaskRelease): Promise<boolean>;
}
