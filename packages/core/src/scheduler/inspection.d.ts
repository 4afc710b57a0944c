import type { DateInput } from '../time/time.js';
import { type TaskRecord } from '../tasks/task.js';
import type { TriggerJSON } from '../triggers/trigger.js';
/** Where a task stands. @public */
export type TaskState = 'pending' | 'scheduled' | 'paused' | 'running';
/**
 * An immutable snapshot of a task for inspection: what dashboards, admin endpoints and logs
 * show. Plain data (dates as `Date`), safe to serialise.
 * @public
 */
export interface TaskInfo {
    readonly id: string;
    readonly name: string;
    /** The handler's name (an inline function's own name). */
    readonly handler: string;
    readonly args: unknown;
    /** The trigger's type name, e.g. `'cron'`. */
    readonly trigger: string;
    /** A human description, e.g. `cron '0 3 * * *' (Europe/Berlin)`. */
    readonly triggerDescription: string;
    /** The trigger's JSON form. */
    readonly triggerOptions: TriggerJSON;
    readonly executor: string;
    readonly store: string;
    /** `pending` before the scheduler started, `running` while a run is in progress. */
    readonly state: TaskState;
    readonly nextRunTime: Date | null;
    readonly coalesce: boolean;
    readonly misfireGraceTime: number | null;
    readonly maxInstances: number;
    readonly jitter: number | null;
    /** How many runs are in progress in this process. */
    readonly runningInstances: number;
}
/** Filters and order for {@link Scheduler.getTaskInfos}. @public */
export interface TaskInfoQuery {
    /** Only tasks in this store. */
    store?: string;
    /** Only tasks in this state. */
    state?: TaskState;
    /** Only tasks on this executor. */
    executor?: string;
    /** Only tasks with this trigger type (`'cron'`) or trigger class name (`'CronTrigger'`). */
    trigger?: string;
    /** Case-insensitive text found in the id, name, handler or trigger description. */
    q?: string;
    /** Only tasks whose next run time is at or before this. */
    dueBefore?: DateInput;
    sortBy?: 'id' | 'name' | 'nextRunTime' | 'state' | 'executor' | 'store' | 'trigger';
    descending?: boolean;
}
export declare function snapshot(record: TaskRecord, store: string, state: TaskState, runningInstances: number): TaskInfo;
/** Filters, searches and sorts snapshots as {@link TaskInfoQuery} says. */
export declare function queryInfos(infos: TaskInfo[], query: TaskInfoQuery, triggerClassOf: (info: TaskInfo) => string, dueBefore: number | undefined): TaskInfo[];
