import type { TaskInfo } from './inspection.js';
import { handlerName, type TaskChanges, type TaskRecord } from '../tasks/task.js';
import type { Trigger, TriggerInput } from '../triggers/trigger.js';

/** The scheduler operations a {@link Task} forwards to. */
export interface TaskOperations {
  updateTask(id: string, changes: TaskChanges, options: { store: string }): Promise<Task>;
  rescheduleTask(id: string, trigger: TriggerInput, options: { store: string }): Promise<Task>;
  pauseTask(id: string, options: { store: string }): Promise<Task>;
  resumeTask(id: string, options: { store: string }): Promise<Task | null>;
  runTask(id: string, options: { store: string; force?: boolean; removeFinished?: boolean }): Promise<Task | null>;
  deleteTask(id: string, options: { store: string }): Promise<void>;
  getTaskInfo(id: string, options: { store: string }): Promise<TaskInfo | null>;
}

/**
 * A task as read from the scheduler: its definition at the time of reading, plus methods that
 * act on it through the scheduler. Read it again (`scheduler.getTask`) for fresh values.
 *
 * @example
 * ```ts
 * const task = await scheduler.addTask({ id: 'digest', handler: 'send-digest', trigger: { type: 'cron', expression: '0 8 * * *' } });
 * console.log(task.nextRunTime);
 * await task.pause();
 * ```
 * @public
 */
export class Task {
  readonly id: string;
  readonly name: string;
  /** The handler's name. */
  readonly handler: string;
  readonly args: unknown;
  readonly trigger: Trigger;
  readonly executor: string;
  readonly store: string;
  readonly coalesce: boolean;
  readonly misfireGraceTime: number | null;
  readonly maxInstances: number;
  readonly jitter: number | null;
  /** The next run time; `null` when paused (or, for a shutdown trigger, always). */
  readonly nextRunTime: Date | null;
  /** Whether the task waits for the scheduler to start before it reaches its store. */
  readonly pending: boolean;
  // A private field: logging or serialising a task shows its data, not the scheduler.
  readonly #operations: TaskOperations;

  constructor(operations: TaskOperations, record: TaskRecord, store: string, pending: boolean) {
    this.#operations = operations;
    this.id = record.id;
    this.name = record.name;
    this.handler = handlerName(record.handler);
    this.args = record.args;
    this.trigger = record.trigger;
    this.executor = record.executor;
    this.store = store;
    this.coalesce = record.coalesce;
    this.misfireGraceTime = record.misfireGraceTime;
    this.maxInstances = record.maxInstances;
    this.jitter = record.jitter;
    this.nextRunTime = record.nextRunTime === null ? null : new Date(record.nextRunTime);
    this.pending = pending;
  }

  /** Changes the task; see {@link Scheduler.updateTask}. */
  update(changes: TaskChanges): Promise<Task> {
    return this.#operations.updateTask(this.id, changes, { store: this.store });
  }

  /** Gives the task a new trigger and next run time; see {@link Scheduler.rescheduleTask}. */
  reschedule(trigger: TriggerInput): Promise<Task> {
    return this.#operations.rescheduleTask(this.id, trigger, { store: this.store });
  }

  pause(): Promise<Task> {
    return this.#operations.pauseTask(this.id, { store: this.store });
  }

  /** Resumes the task; resolves to `null` when its schedule had finished and it was removed. */
  resume(): Promise<Task | null> {
    return this.#operations.resumeTask(this.id, { store: this.store });
  }

  /** Runs the task now; see {@link Scheduler.runTask}. */
  run(options: { force?: boolean; removeFinished?: boolean } = {}): Promise<Task | null> {
    return this.#operations.runTask(this.id, { ...options, store: this.store });
  }

  delete(): Promise<void> {
    return this.#operations.deleteTask(this.id, { store: this.store });
  }

  /** A fresh snapshot with the task's state. */
  info(): Promise<TaskInfo | null> {
    return this.#operations.getTaskInfo(this.id, { store: this.store });
  }
}
