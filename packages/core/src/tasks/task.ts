import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errors } from '../errors/index.js';
import type { Logger } from '../logger/logger.js';
import type { DateInput } from '../time/time.js';
import type { Trigger, TriggerInput } from '../triggers/trigger.js';

/**
 * What a handler receives besides its arguments.
 * @public
 */
export interface RunContext {
  /** The id of the task being run. */
  readonly taskId: string;
  /** The task's name. */
  readonly taskName: string;
  /** The fire time this run stands for (not the moment it started). */
  readonly scheduledAt: Date;
  /**
   * Aborted when the run should stop: at shutdown once the shutdown timeout has passed. Pass it
   * to `fetch` and friends, or check `signal.aborted` in long loops.
   */
  readonly signal: AbortSignal;
  /** The scheduler's logger. */
  readonly logger: Logger;
}

/**
 * A task's code: receives the task's `args` and a {@link RunContext}; may be async. Its result
 * becomes the `task:executed` event's `result`; a throw or rejection becomes `task:error`.
 *
 * @example
 * ```ts
 * const sendReport: TaskHandler<{ to: string }> = async ({ to }, ctx) => {
 *   await mailer.send(to, await buildReport({ signal: ctx.signal }));
 * };
 * scheduler.define('send-report', sendReport);
 * ```
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskHandler<TArgs = any, TResult = unknown> = (args: TArgs, context: RunContext) => TResult | Promise<TResult>;

/**
 * A handler that lives in a module of its own, loaded by path: what the `worker` executor runs
 * (it cannot send a function to another thread). Make one with {@link moduleHandler}.
 * @public
 */
export interface ModuleHandler {
  readonly kind: 'module';
  /** Absolute file URL or path of the module. */
  readonly module: string;
  /** The export to call; default `'default'`. */
  readonly exportName: string;
}

/**
 * Points at a handler exported by a module, for the `worker` executor (the other executors
 * can run it too, importing it on the event loop's thread).
 *
 * @example
 * ```ts
 * scheduler.define('resize-images', moduleHandler(new URL('./resize.js', import.meta.url)));
 * await scheduler.addTask({ handler: 'resize-images', executor: 'worker', trigger: { type: 'interval', minutes: 10 } });
 * ```
 * @public
 */
export function moduleHandler(module: string | URL, exportName = 'default'): ModuleHandler {
  let href: string;
  if (module instanceof URL) href = module.href;
  else if (module.startsWith('file:')) href = module;
  else if (isAbsolute(module)) href = pathToFileURL(module).href;
  else {
    throw errors.invalidOption(undefined, 'module handler path', module, 'give a file URL (new URL("./task.js", import.meta.url)) or an absolute path');
  }
  return Object.freeze({ kind: 'module', module: href, exportName });
}

/** A defined handler: a function (in-process executors) or a module reference (any executor). @public */
export type HandlerDefinition = TaskHandler | ModuleHandler;

/**
 * Options of {@link Scheduler.addTask}.
 * @public
 */
export interface AddTaskOptions<TArgs = unknown> {
  /** Unique, immutable id; generated when absent. Give one for tasks declared at boot. */
  id?: string;
  /** Human-readable name; default the handler's name. */
  name?: string;
  /**
   * The name of a handler registered with `scheduler.define`, or (memory store only) an inline
   * function. Persistent stores keep names, never code.
   */
  handler: string | TaskHandler<TArgs>;
  /** The first argument of every run; must be plain JSON for a persistent store. */
  args?: TArgs;
  /** When to run: a trigger, a spec `{ type, ...options }` or a type name. Default: once, now. */
  trigger?: TriggerInput;
  /** Executor alias; default from the task defaults (`'default'`). */
  executor?: string;
  /** Store alias; default `'default'`. */
  store?: string;
  /** When several run times are due at once, run once instead of once per run time. */
  coalesce?: boolean;
  /** How late (ms) a run may start and still run; `null`: however late. */
  misfireGraceTime?: number | null;
  /** How many runs of this task may be in progress at once. */
  maxInstances?: number;
  /** Random delay of up to this many ms added to each fire time (a trigger's own jitter wins). */
  jitter?: number | null;
  /** The first run time instead of the trigger's; `null` adds the task paused. */
  nextRunTime?: DateInput | null;
  /**
   * Replace a task with the same id instead of failing. When the trigger is unchanged, its
   * schedule state (next run time, paused) is kept, so every replica can declare its tasks at boot.
   */
  replaceExisting?: boolean;
}

/** The changes {@link Scheduler.updateTask} accepts: everything but the id and the store. @public */
export type TaskChanges<TArgs = unknown> = Partial<Omit<AddTaskOptions<TArgs>, 'id' | 'store' | 'replaceExisting'>>;

/** Defaults applied to every task that does not set its own. @public */
export interface TaskDefaults {
  /** Default `true`. */
  coalesce: boolean;
  /** Default 1000 ms. */
  misfireGraceTime: number | null;
  /** Default 1. */
  maxInstances: number;
  /** Default `null` (no jitter). */
  jitter: number | null;
  /** Default `'default'`. */
  executor: string;
}

export const BUILTIN_TASK_DEFAULTS: TaskDefaults = Object.freeze({
  coalesce: true,
  misfireGraceTime: 1_000,
  maxInstances: 1,
  jitter: null,
  executor: 'default',
});

/**
 * A task as stores keep it. Records are immutable: every change makes a new one with a higher
 * `revision`, which lets a store refuse a stale write (a dispatch that raced a user's update).
 * @public
 */
export interface TaskRecord {
  readonly id: string;
  readonly name: string;
  /** A handler name, or an inline function (memory store only). */
  readonly handler: string | TaskHandler;
  readonly args: unknown;
  readonly trigger: Trigger;
  readonly executor: string;
  readonly coalesce: boolean;
  readonly misfireGraceTime: number | null;
  readonly maxInstances: number;
  readonly jitter: number | null;
  /** Epoch ms of the next run; `null` when paused. */
  readonly nextRunTime: number | null;
  readonly revision: number;
}

/** Builds a record with one fixed property order, so that every record shares one V8 shape. */
export function taskRecord(fields: TaskRecord): TaskRecord {
  return {
    id: fields.id,
    name: fields.name,
    handler: fields.handler,
    args: fields.args,
    trigger: fields.trigger,
    executor: fields.executor,
    coalesce: fields.coalesce,
    misfireGraceTime: fields.misfireGraceTime,
    maxInstances: fields.maxInstances,
    jitter: fields.jitter,
    nextRunTime: fields.nextRunTime,
    revision: fields.revision,
  };
}

/** A record with some fields changed and its revision raised. */
export function reviseRecord(record: TaskRecord, changes: Partial<Omit<TaskRecord, 'id' | 'revision'>>): TaskRecord {
  return taskRecord({ ...record, ...changes, revision: record.revision + 1 });
}

/** The name a handler is shown under. */
export function handlerName(handler: string | TaskHandler): string {
  return typeof handler === 'string' ? handler : handler.name || '(inline function)';
}

/** Whether a value is plain JSON, which is what a persistent store can keep. */
export function isJsonValue(value: unknown, seen: Set<object> = new Set()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (seen.has(value)) return false;
  seen.add(value);
  const ok = Array.isArray(value)
    ? value.every((item) => isJsonValue(item, seen))
    : (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) &&
      Object.values(value).every((item) => isJsonValue(item, seen));
  seen.delete(value);
  return ok;
}
