import type { DateInput } from '../time/time.js';
import { handlerName, type TaskRecord } from '../tasks/task.js';
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}

function copyJson<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

export function snapshot(record: TaskRecord, store: string, state: TaskState, runningInstances: number): TaskInfo {
  return deepFreeze({
    id: record.id,
    name: record.name,
    handler: handlerName(record.handler),
    args: copyJson(record.args),
    trigger: record.trigger.type,
    triggerDescription: record.trigger.describe(),
    triggerOptions: copyJson(record.trigger.toJSON()),
    executor: record.executor,
    store,
    state,
    nextRunTime: record.nextRunTime === null ? null : new Date(record.nextRunTime),
    coalesce: record.coalesce,
    misfireGraceTime: record.misfireGraceTime,
    maxInstances: record.maxInstances,
    jitter: record.jitter,
    runningInstances,
  });
}

/** Filters, searches and sorts snapshots as {@link TaskInfoQuery} says. */
export function queryInfos(
  infos: TaskInfo[],
  query: TaskInfoQuery,
  triggerClassOf: (info: TaskInfo) => string,
  dueBefore: number | undefined,
): TaskInfo[] {
  const needle = query.q?.trim().toLowerCase();
  const selected = infos.filter(
    (info) =>
      (query.store === undefined || info.store === query.store) &&
      (query.state === undefined || info.state === query.state) &&
      (query.executor === undefined || info.executor === query.executor) &&
      (query.trigger === undefined || info.trigger === query.trigger || triggerClassOf(info) === query.trigger) &&
      (dueBefore === undefined || (info.nextRunTime !== null && info.nextRunTime.getTime() <= dueBefore)) &&
      (!needle ||
        [info.id, info.name, info.handler, info.triggerDescription].some((text) => text.toLowerCase().includes(needle))),
  );
  const key = query.sortBy ?? 'nextRunTime';
  const direction = query.descending === true ? -1 : 1;
  const valueOf = (info: TaskInfo): string | number =>
    key === 'nextRunTime' ? (info.nextRunTime?.getTime() ?? Infinity) : info[key];
  return selected.sort((a, b) => {
    const left = valueOf(a);
    const right = valueOf(b);
    // Tasks with no next run time stay last whichever the direction.
    if (left === Infinity || right === Infinity) return left === right ? 0 : left === Infinity ? 1 : -1;
    const order = left < right ? -1 : left > right ? 1 : 0;
    return order === 0 ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : order * direction;
  });
}
