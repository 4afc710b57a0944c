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
  /** Only tasks of this handler (its registered name). */
  handler?: string;
  /** Case-insensitive text found in the id, name, handler or trigger description. */
  q?: string;
  /** Only tasks whose next run time is at or before this. */
  dueBefore?: DateInput;
  sortBy?: TaskSortKey;
  descending?: boolean;
}

/** What {@link TaskInfoQuery.sortBy} accepts. @public */
export type TaskSortKey = 'id' | 'name' | 'nextRunTime' | 'state' | 'executor' | 'store' | 'trigger' | 'handler';

/** The keys {@link TaskInfoQuery.sortBy} accepts. */
export const TASK_SORT_KEYS: readonly TaskSortKey[] = ['id', 'name', 'nextRunTime', 'state', 'executor', 'store', 'trigger', 'handler'];

/** A page of {@link Scheduler.getTaskInfoPage}: a query with a size and where the last page ended. @public */
export interface TaskPageQuery extends TaskInfoQuery {
  /** How many tasks a page holds: 1 to 1,000, default 50. */
  limit?: number;
  /** The `nextCursor` of the page before; none for the first page. */
  cursor?: string;
}

/** One page of tasks, with what the pages hold altogether. @public */
export interface TaskPage {
  /** At most `limit` snapshots, in the query's order. */
  readonly tasks: readonly TaskInfo[];
  /** How many tasks match the query, over all pages. */
  readonly total: number;
  /** How many tasks match every filter but `state`, by state: what tabs or a summary show. */
  readonly counts: Readonly<Record<TaskState, number>>;
  /** Give it as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null;
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

/**
 * What a query filters and sorts on. A snapshot has it; so has a lighter view of a task, read only
 * as far as a query needs, so that a page of a million tasks snapshots only the tasks it shows.
 */
export type TaskFacts = Pick<TaskInfo, 'id' | 'name' | 'handler' | 'trigger' | 'triggerDescription' | 'executor' | 'store' | 'state' | 'nextRunTime'>;

/** Where a snapshot falls in an order: the sort value, then id and store to break ties. */
type SortPosition = readonly [value: string | number, id: string, store: string];

function positionOf(info: TaskFacts, key: TaskSortKey): SortPosition {
  return [key === 'nextRunTime' ? (info.nextRunTime?.getTime() ?? Infinity) : info[key], info.id, info.store];
}

function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function comparePositions(a: SortPosition, b: SortPosition, direction: 1 | -1): number {
  const left = a[0];
  const right = b[0];
  // Tasks with no next run time stay last whichever the direction.
  if ((left === Infinity) !== (right === Infinity)) return left === Infinity ? 1 : -1;
  const order = left < right ? -1 : left > right ? 1 : 0;
  return order !== 0 ? order * direction : compareText(a[1], b[1]) || compareText(a[2], b[2]);
}

function matcher<T extends TaskFacts>(query: TaskInfoQuery, triggerClassOf: (info: T) => string, dueBefore: number | undefined): (info: T) => boolean {
  const needle = query.q?.trim().toLowerCase();
  return (info) =>
    (query.store === undefined || info.store === query.store) &&
    (query.executor === undefined || info.executor === query.executor) &&
    (query.handler === undefined || info.handler === query.handler) &&
    (query.trigger === undefined || info.trigger === query.trigger || triggerClassOf(info) === query.trigger) &&
    (dueBefore === undefined || (info.nextRunTime !== null && info.nextRunTime.getTime() <= dueBefore)) &&
    (!needle || [info.id, info.name, info.handler, info.triggerDescription].some((text) => text.toLowerCase().includes(needle)));
}

/** Filters, searches and sorts snapshots as {@link TaskInfoQuery} says. */
export function queryInfos(
  infos: TaskInfo[],
  query: TaskInfoQuery,
  triggerClassOf: (info: TaskInfo) => string,
  dueBefore: number | undefined,
): TaskInfo[] {
  const matches = matcher(query, triggerClassOf, dueBefore);
  const selected = infos.filter((info) => matches(info) && (query.state === undefined || info.state === query.state));
  const key = query.sortBy ?? 'nextRunTime';
  const direction = query.descending === true ? -1 : 1;
  const positions = new Map(selected.map((info) => [info, positionOf(info, key)]));
  return selected.sort((a, b) => comparePositions(positions.get(a)!, positions.get(b)!, direction));
}

/** One page of tasks as {@link pageOf} finds it: the views of the page's tasks, and the rest of a {@link TaskPage}. */
export interface FoundPage<T> extends Omit<TaskPage, 'tasks'> {
  readonly items: readonly T[];
}

/**
 * The page of a query that starts after `cursor` (the position of the last task of the page
 * before). A cursor names a position, not an offset: tasks added or removed meanwhile neither
 * repeat nor skip the tasks that stayed. One pass over the tasks: it counts them, and keeps the
 * first `limit + 1` after the cursor in order (a page of 100 among a million tasks sorts 101).
 */
export function pageOf<T extends TaskFacts>(
  entries: Iterable<T>,
  query: TaskInfoQuery,
  page: { limit: number; after: SortPosition | undefined },
  triggerClassOf: (entry: T) => string,
  dueBefore: number | undefined,
): FoundPage<T> {
  const matches = matcher(query, triggerClassOf, dueBefore);
  const counts: Record<TaskState, number> = { pending: 0, scheduled: 0, paused: 0, running: 0 };
  const key = query.sortBy ?? 'nextRunTime';
  const direction = query.descending === true ? -1 : 1;
  const { after, limit } = page;
  const first: { entry: T; position: SortPosition }[] = [];
  let total = 0;
  for (const entry of entries) {
    if (!matches(entry)) continue;
    counts[entry.state]++;
    if (query.state !== undefined && entry.state !== query.state) continue;
    total++;
    const position = positionOf(entry, key);
    if (after !== undefined && comparePositions(position, after, direction) <= 0) continue;
    if (first.length > limit && comparePositions(position, first[limit]!.position, direction) >= 0) continue;
    let low = 0;
    let high = first.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePositions(first[middle]!.position, position, direction) < 0) low = middle + 1;
      else high = middle;
    }
    first.splice(low, 0, { entry, position });
    if (first.length > limit + 1) first.pop();
  }
  const items = first.slice(0, limit);
  const last = first.length > limit ? first[limit - 1] : undefined;
  return { items: items.map(({ entry }) => entry), total, counts, nextCursor: last === undefined ? null : encodeCursor(last.position) };
}

// Base64url by hand from the Web APIs every runtime has (core runs where there is no Buffer).
function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/** A position as an opaque string (base64url JSON); `Infinity` (no next run time) as `null`. */
function encodeCursor([value, id, store]: SortPosition): string {
  return toBase64Url(JSON.stringify([value === Infinity ? null : value, id, store]));
}

/** The position a cursor names, or `undefined` when it is not one. */
export function decodeCursor(cursor: string): SortPosition | undefined {
  try {
    const value: unknown = JSON.parse(fromBase64Url(cursor));
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [sortValue, id, store] = value as unknown[];
    if (typeof id !== 'string' || typeof store !== 'string') return undefined;
    if (sortValue === null) return [Infinity, id, store];
    return typeof sortValue === 'string' || (typeof sortValue === 'number' && Number.isFinite(sortValue)) ? [sortValue, id, store] : undefined;
  } catch {
    return undefined;
  }
}
