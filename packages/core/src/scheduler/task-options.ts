import { errors, show } from '../errors/index.js';
import type { Executor } from '../executors/executor.js';
import { checkKeys } from '../options/keys.js';
import { defaultName } from '../stores/codec.js';
import { newTaskId } from '../tasks/ids.js';
import {
  isJsonValue,
  reviseRecord,
  taskRecord,
  type AddTaskOptions,
  type HandlerDefinition,
  type ModuleHandler,
  type TaskChanges,
  type TaskDefaults,
  type TaskHandler,
  type TaskRecord,
} from '../tasks/task.js';
import { isValidEpoch, TIME_RANGE, toEpoch } from '../time/time.js';
import { decodeCursor, TASK_SORT_KEYS, type TaskPageQuery } from './inspection.js';
import type { TriggerRegistry } from '../triggers/registry.js';
import type { TriggerInput } from '../triggers/trigger.js';
import { upcomingFireTimes } from '../triggers/upcoming.js';
import { withJitter } from './run-plan.js';

/** The keys of task defaults, task options and changes: others are refused. */
export const TASK_DEFAULT_KEYS = ['coalesce', 'misfireGraceTime', 'maxInstances', 'jitter', 'executor'] as const;
export const TASK_CHANGE_KEYS = ['name', 'handler', 'args', 'trigger', 'executor', 'coalesce', 'misfireGraceTime', 'maxInstances', 'jitter', 'nextRunTime'] as const;
const ADD_TASK_KEYS = ['id', 'store', 'replaceExisting', ...TASK_CHANGE_KEYS] as const;
const TASK_PAGE_QUERY_KEYS = ['store', 'state', 'executor', 'trigger', 'handler', 'q', 'dueBefore', 'sortBy', 'descending', 'limit', 'cursor'] as const;

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
  /**
   * Whether the scheduler only observes (`start({ observe: true })`): it changes tasks that other
   * instances run, so the handlers and executors they name need not be defined here.
   */
  observing(): boolean;
}

/** Checks the task options shared with the task defaults; `prefix` names where they came from. */
export function checkTaskDefaults(taskId: string | undefined, options: Partial<TaskDefaults>, prefix = ''): void {
  const { coalesce, misfireGraceTime, maxInstances, jitter } = options;
  if (coalesce !== undefined && typeof coalesce !== 'boolean') {
    throw errors.invalidOption(taskId, `${prefix}coalesce`, coalesce, 'give true or false');
  }
  if (misfireGraceTime !== undefined && misfireGraceTime !== null && !(typeof misfireGraceTime === 'number' && Number.isFinite(misfireGraceTime) && misfireGraceTime >= 0)) {
    throw errors.invalidOption(taskId, `${prefix}misfireGraceTime`, misfireGraceTime, 'give milliseconds as a finite number >= 0, or null for no limit');
  }
  if (maxInstances !== undefined && !(Number.isInteger(maxInstances) && maxInstances >= 1)) {
    throw errors.invalidOption(taskId, `${prefix}maxInstances`, maxInstances, 'give a whole number >= 1');
  }
  if (jitter !== undefined && jitter !== null && !(typeof jitter === 'number' && Number.isFinite(jitter) && jitter >= 0)) {
    throw errors.invalidOption(taskId, `${prefix}jitter`, jitter, 'give milliseconds as a finite number >= 0, or null');
  }
}

/** Checks a handler given to `Scheduler.define`: a function, or a module handler. */
export function handlerDefinition(name: string, handler: TaskHandler | ModuleHandler): HandlerDefinition {
  if (typeof name !== 'string' || name.length === 0) {
    throw errors.invalidOption(undefined, 'handler name', name, 'give a non-empty string');
  }
  const isModule = typeof handler === 'object' && handler !== null && (handler as { kind?: unknown }).kind === 'module';
  if (typeof handler !== 'function' && !isModule) {
    throw errors.invalidOption(undefined, `handler for "${name}"`, handler, 'give a function or moduleHandler(url, exportName)');
  }
  return handler as HandlerDefinition;
}

/** Checks the fire times given to `Scheduler.runFires`, as epoch milliseconds. */
export function fireTimes(id: string, given: readonly (Date | number)[]): number[] {
  const list: unknown = given;
  const times: unknown[] = Array.isArray(list) ? list.map((time: unknown) => (time instanceof Date ? time.getTime() : time)) : [];
  if (times.length === 0 || times.some((time) => typeof time !== 'number' || !Number.isFinite(time))) {
    throw errors.invalidOption(id, 'fire times', given, 'give a non-empty list of Dates or epoch milliseconds');
  }
  return times as number[];
}

/** Checks a size (a page's limit, a number of fire times): a whole number from 1 to 1,000. */
export function checkCount(taskId: string | undefined, option: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 1_000) {
    throw errors.invalidOption(taskId, option, value, 'give a whole number from 1 to 1,000');
  }
}

/**
 * Turns what an application gives (task options, changes, a next run time) into validated task
 * records. Everything is checked here, before anything is written: a bad value is a typed error
 * naming the task, the value and what is allowed.
 */
export class TaskOptions {
  constructor(private readonly context: OptionsContext) {}

  /** Validates the options of a new task. */
  addition(options: AddTaskOptions): Addition {
    if (typeof options !== 'object' || options === null) {
      throw errors.invalidOption(undefined, 'task options', options, 'give an object with at least a handler');
    }
    const id = options.id ?? newTaskId();
    if (typeof id !== 'string' || id.length === 0) {
      throw errors.invalidOption(undefined, 'task id', id, 'give a non-empty string, or leave it out to have one generated');
    }
    checkKeys('the task options', options, ADD_TASK_KEYS, id);
    const store = options.store ?? 'default';
    const record = this.record(id, store, options);
    const nextRunTime = this.nextRunTime(id, options.nextRunTime);
    const preview = nextRunTime !== undefined ? nextRunTime : this.firstRunTime(record);
    if (nextRunTime === undefined) this.checkFires(record, preview);
    if (preview !== null && !isValidEpoch(preview)) {
      throw errors.invalidTrigger(id, `its trigger's first fire time ${preview} is not ${TIME_RANGE}`);
    }
    // The next run time shown until the task reaches its store, where it is worked out again unless given.
    return { record: reviseRecord(record, { nextRunTime: preview }), store, replaceExisting: options.replaceExisting === true, nextRunTime };
  }

  /** Validates the options of tasks added together: each id once per store. */
  additions(list: readonly AddTaskOptions[]): Addition[] {
    const given: unknown = list;
    if (!Array.isArray(given)) throw errors.invalidOption(undefined, 'tasks', given, 'give an array of task options');
    const additions = list.map((options) => this.addition(options));
    const seen = new Set<string>();
    for (const { record, store } of additions) {
      const key = `${store}\u0000${record.id}`;
      if (seen.has(key)) throw errors.invalidOption(record.id, 'task id', record.id, `it is given twice for store "${store}"; give each id once per call`);
      seen.add(key);
    }
    return additions;
  }

  /** Validates the options of `getRuns`. */
  runQuery(id: string, options: { limit?: number; before?: unknown; store?: string }): { limit: number; before?: number } {
    if (typeof options !== 'object' || options === null) throw errors.invalidOption(id, 'run query', options, 'give { limit, before, store }');
    checkKeys('the run query', options, ['limit', 'before', 'store'], id);
    const { limit = 20 } = options;
    checkCount(id, 'limit', limit);
    if (options.store !== undefined) this.context.isPersistent(id, options.store);
    if (options.before === undefined) return { limit };
    const before = toEpoch(options.before, this.context.timezone);
    if (before === undefined) throw errors.invalidOption(id, 'before', options.before, 'give a Date, epoch milliseconds or an ISO string');
    return { limit, before };
  }

  /** A validated page query: its size, and the position its cursor names. */
  pageQuery(query: TaskPageQuery): { limit: number; after: ReturnType<typeof decodeCursor> } {
    if (typeof query !== 'object' || query === null) throw errors.invalidOption(undefined, 'task query', query, 'give an object such as { state, q, sortBy, limit, cursor }');
    checkKeys('the task query', query, TASK_PAGE_QUERY_KEYS);
    const { limit = 50, cursor, sortBy, store } = query;
    checkCount(undefined, 'limit', limit);
    if (sortBy !== undefined && !TASK_SORT_KEYS.includes(sortBy)) throw errors.invalidOption(undefined, 'sortBy', sortBy, `give one of ${TASK_SORT_KEYS.join(', ')}`);
    if (store !== undefined) this.context.isPersistent(undefined, store);
    if (cursor === undefined) return { limit, after: undefined };
    const after = typeof cursor === 'string' ? decodeCursor(cursor) : undefined;
    if (after === undefined) throw errors.invalidOption(undefined, 'cursor', cursor, 'give the nextCursor of the page before, unchanged, or none for the first page');
    return { limit, after };
  }

  /**
   * The next `count` fire times of a trigger from `from` on, without jitter: what a schedule
   * would do, for previews. A trigger given as options is validated as `addTask` would.
   */
  previewFireTimes(trigger: TriggerInput, options: { count?: number; from?: unknown; timezone?: string }, taskId?: string): number[] {
    if (typeof options !== 'object' || options === null) throw errors.invalidOption(taskId, 'preview options', options, 'give { count, from, timezone }');
    checkKeys('the preview options', options, ['count', 'from', 'timezone'], taskId);
    const { count = 10 } = options;
    checkCount(taskId, 'count', count);
    const now = this.context.clock();
    const from = options.from === undefined ? now : toEpoch(options.from, this.context.timezone);
    if (from === undefined) throw errors.invalidOption(taskId, 'from', options.from, 'give a Date, epoch milliseconds or an ISO string');
    const timezone = options.timezone ?? this.context.timezone;
    const created = this.context.triggers.create(trigger, { timezone, now: from, taskId });
    return upcomingFireTimes(created, null, from, count);
  }

  /** Validates task options into a record (next run time not yet set). */
  record(id: string, storeAlias: string, options: AddTaskOptions): TaskRecord {
    const { handlers, executors, triggers, taskDefaults } = this.context;
    const persistent = this.context.isPersistent(id, storeAlias);
    const { handler } = options;
    let definition: HandlerDefinition | undefined;
    // An observer changes tasks of a shared store for the instances that run them.
    const elsewhere = persistent && this.context.observing();
    if (typeof handler === 'string') {
      definition = handlers.get(handler);
      if (definition === undefined && !elsewhere) throw errors.handlerNotDefined(id, handler, [...handlers.keys()]);
    } else if (typeof handler === 'function') {
      if (persistent) throw errors.inlineHandlerInPersistentStore(id, storeAlias);
      definition = handler;
    } else {
      throw errors.invalidOption(id, 'handler', handler, 'give the name of a handler registered with scheduler.define(name, fn), or a function (memory store only)');
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw errors.invalidOption(id, 'name', options.name, 'give a string');
    }
    if (persistent && options.args !== undefined && !isJsonValue(options.args)) {
      throw errors.notSerializable(id, storeAlias, 'args', options.args);
    }
    const trigger = triggers.create(options.trigger ?? 'date', { timezone: this.context.timezone, now: this.context.clock(), taskId: id });
    if (persistent && !triggers.types().includes(trigger.type)) {
      throw errors.invalidTrigger(id, `trigger type ${show(trigger.type)} is not registered, so store "${storeAlias}" could not read it back; register it with scheduler.triggers.register`);
    }
    const executorAlias = options.executor ?? taskDefaults.executor;
    const executor = executors.get(executorAlias);
    if (executor === undefined && !elsewhere) throw errors.unknownExecutor(id, executorAlias, [...executors.keys()]);
    const refusal = executor === undefined || definition === undefined ? undefined : executor.cannotRun?.(definition);
    if (refusal !== undefined) throw errors.invalidOption(id, 'executor', executorAlias, refusal);
    checkTaskDefaults(id, options);
    return taskRecord({
      id,
      name: options.name ?? defaultName(id, handler),
      handler,
      args: options.args,
      trigger,
      executor: executorAlias,
      coalesce: options.coalesce ?? taskDefaults.coalesce,
      misfireGraceTime:
        options.misfireGraceTime !== undefined
          ? options.misfireGraceTime
          : trigger.defaultMisfireGraceTime !== undefined
            ? trigger.defaultMisfireGraceTime
            : taskDefaults.misfireGraceTime,
      maxInstances: options.maxInstances ?? taskDefaults.maxInstances,
      jitter: options.jitter ?? taskDefaults.jitter,
      nextRunTime: null,
      revision: 1,
    });
  }

  /** Checks the changes `updateTask` is given before anything is read: an object, no new id, known keys. */
  checkChanges(id: string, changes: TaskChanges): void {
    if (typeof changes !== 'object' || changes === null) {
      throw errors.invalidOption(id, 'changes', changes, 'give an object of the fields to change');
    }
    const claimedId = (changes as { id?: unknown }).id;
    if (claimedId !== undefined && claimedId !== id) {
      throw errors.invalidOption(id, 'id change to', claimedId, 'a task id is immutable; add a new task and delete this one instead');
    }
    checkKeys('the task changes', changes, ['id', ...TASK_CHANGE_KEYS], id);
  }

  /**
   * A record with changes applied: a new trigger recomputes the next run time (a paused task
   * stays paused), a given next run time is taken as is. `schedule` says which (none: unchanged).
   */
  changed(record: TaskRecord, store: string, changes: TaskChanges): { record: TaskRecord; schedule?: 'given' | 'from-trigger' } {
    const merged: AddTaskOptions = {
      name: record.name,
      handler: record.handler,
      args: record.args,
      trigger: record.trigger,
      executor: record.executor,
      coalesce: record.coalesce,
      misfireGraceTime: record.misfireGraceTime,
      maxInstances: record.maxInstances,
      jitter: record.jitter,
      ...changes,
    };
    const rebuilt = this.record(record.id, store, merged);
    const revise = (nextRunTime: number | null) => taskRecord({ ...rebuilt, nextRunTime, revision: record.revision + 1 });
    if ('nextRunTime' in changes) return { record: revise(this.nextRunTime(record.id, changes.nextRunTime) ?? null), schedule: 'given' };
    if (changes.trigger !== undefined && record.nextRunTime !== null) return { record: revise(this.firstRunTime(rebuilt)), schedule: 'from-trigger' };
    return { record: revise(record.nextRunTime) };
  }

  /** A record with a new trigger and its first fire time (resumed if it was paused). */
  rescheduled(record: TaskRecord, store: string, trigger: TriggerInput): TaskRecord {
    const rebuilt = this.record(record.id, store, { ...record, trigger });
    const nextRunTime = this.firstRunTime(rebuilt);
    this.checkFires(rebuilt, nextRunTime);
    return taskRecord({ ...rebuilt, nextRunTime, revision: record.revision + 1 });
  }

  /** A next run time given by the application: `undefined` when not given, `null` for paused. */
  nextRunTime(id: string, value: unknown): number | null | undefined {
    if (value === undefined || value === null) return value;
    const epoch = toEpoch(value, this.context.timezone);
    if (epoch === undefined) throw errors.invalidOption(id, 'nextRunTime', value, `give a Date, epoch milliseconds or an ISO string, for ${TIME_RANGE}; or null to add the task paused`);
    return epoch;
  }

  /** The first fire time of a record's trigger from now, with its jitter. */
  firstRunTime(record: TaskRecord): number | null {
    return withJitter(record.trigger.getNextFireTime(null, this.context.clock()), record.trigger, record.jitter, Math.random);
  }

  /**
   * Refuses a schedule that would never fire: no first fire time, unless its trigger fires at
   * shutdown (which has none by design).
   */
  checkFires(record: TaskRecord, first: number | null): void {
    if (first !== null || record.trigger.firesOnShutdown === true) return;
    throw errors.invalidTrigger(
      record.id,
      `${record.trigger.describe()} has no fire time after ${new Date().toISOString()}; check its dates (startAt, endAt, year)`,
    );
  }
}
