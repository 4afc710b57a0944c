import type { Executor } from '../executors/executor.js';
import { type AddTaskOptions, type HandlerDefinition, type TaskChanges, type TaskDefaults, type TaskRecord } from '../tasks/task.js';
import type { TriggerRegistry } from '../triggers/registry.js';
import type { TriggerInput } from '../triggers/trigger.js';
/** The keys of task defaults, task options and changes: others are refused. */
export declare const TASK_DEFAULT_KEYS: readonly ["coalesce", "misfireGraceTime", "maxInstances", "jitter", "executor"];
export declare const TASK_CHANGE_KEYS: readonly ["name", "handler", "args", "trigger", "executor", "coalesce", "misfireGraceTime", "maxInstances", "jitter", "nextRunTime"];
/**
 * A validated task on its way into a store: its record, and the next run time it was given
 * (`undefined`: its trigger's first fire time when it reaches the store).
 */
export interface Addition {
    record: TaskRecord;
    store: string;
    replaceExisting: boolean;
    nextRunTime: number | null | undefined;
}
/** What the validation reads of the scheduler: its handlers, executors, stores and clock. */
export interface OptionsContext {
    readonly triggers: TriggerRegistry;
    readonly timezone: string;
    readonly taskDefaults: TaskDefaults;
    readonly handlers: ReadonlyMap<string, HandlerDefinition>;
    readonly executors: ReadonlyMap<string, Executor>;
    readonly clock: () => number;
    /** Whether the store of this alias is persistent; throws `UNKNOWN_STORE` for an unknown alias. */
    isPersistent(taskId: string | undefined, alias: string): boolean;
}
/** Checks the task options shared with the task defaults; `prefix` names where they came from. */
export declare function checkTaskDefaults(taskId: string | undefined, options: Partial<TaskDefaults>, prefix?: string): void;
/**
 * Turns what an application gives (task options, changes, a next run time) into validated task
 * records. Everything is checked here, before anything is written: a bad value is a typed error
 * naming the task, the value and what is allowed.
 */
export declare class TaskOptions {
    private readonly context;
    constructor(context: OptionsContext);
    /** Validates the options of a new task. */
    addition(options: AddTaskOptions): Addition;
    /** Validates task options into a record (next run time not yet set). */
    record(id: string, storeAlias: string, options: AddTaskOptions): TaskRecord;
    /** Checks the changes `updateTask` is given before anything is read: an object, no new id, known keys. */
    checkChanges(id: string, changes: TaskChanges): void;
    /**
     * A record with changes applied: a new trigger recomputes the next run time (a paused task
     * stays paused), a given next run time is taken as is. `schedule` says which (none: unchanged).
     */
    changed(record: TaskRecord, store: string, changes: TaskChanges): {
        record: TaskRecord;
        schedule?: 'given' | 'from-trigger';
    };
    /** A record with a new trigger and its first fire time (resumed if it was paused). */
    rescheduled(record: TaskRecord, store: string, trigger: TriggerInput): TaskRecord;
    /** A next run time given by the application: `undefined` when not given, `null` for paused. */
    nextRunTime(id: string, value: unknown): number | null | undefined;
    /** The first fire time of a record's trigger from now, with its jitter. */
    firstRunTime(record: TaskRecord): number | null;
    /**
     * Refuses a schedule that would never fire: no first fire time, unless its trigger fires at
     * shutdown (which has none by design).
     */
    checkFires(record: TaskRecord, first: number | null): void;
}
