import { HoraeError, type AddTaskOptions, type TriggerInput } from '@horae/core';
import { describe, messages } from './messages.js';
import type { ScheduledOptions } from './scheduled.decorator.js';

/** A `@Scheduled` declaration with every option read (config functions called). */
export type ResolvedScheduled = {
  [K in keyof ScheduledOptions]: ScheduledOptions[K] extends infer V ? Exclude<V, (config: never) => unknown> : never;
};

const TRIGGER_KEYS = ['cron', 'interval', 'date', 'trigger'] as const;

/** Reads every option, calling those given as functions of the module's config. */
export async function resolveScheduled(options: ScheduledOptions, config: unknown, where: string): Promise<ResolvedScheduled> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== 'function') {
      resolved[key] = value;
      continue;
    }
    try {
      resolved[key] = await (value as (config: unknown) => unknown)(config);
    } catch (error) {
      throw new HoraeError('INVALID_OPTION', messages.optionFunctionFailed(where, key), { cause: error });
    }
  }
  return resolved;
}

/** Turns a resolved declaration into `addTask` options for the task `id`. */
export function toTaskOptions(id: string, options: ResolvedScheduled, where: string): AddTaskOptions {
  const given = TRIGGER_KEYS.filter((key) => options[key] !== undefined && options[key] !== null);
  if (given.length !== 1) throw new HoraeError('INVALID_TRIGGER', messages.triggerCount(where, [...given]), { taskId: id });
  const timezone = options.timezone;
  if (timezone !== undefined && typeof timezone !== 'string') {
    throw new HoraeError('INVALID_OPTION', messages.optionType(where, 'timezone', timezone, 'give an IANA time zone name such as "Europe/Berlin"'), { taskId: id });
  }
  const zone = timezone === undefined ? {} : { timezone };
  let trigger: TriggerInput;
  if (options.cron !== undefined) {
    const cron = options.cron;
    if (typeof cron === 'string') trigger = { type: 'cron', expression: cron, ...zone };
    else if (typeof cron === 'object' && cron !== null) trigger = { ...zone, ...cron, type: 'cron' };
    else throw new HoraeError('INVALID_TRIGGER', messages.optionType(where, 'cron', cron, "give a cron expression such as '0 3 * * *', or cron trigger options"), { taskId: id });
  } else if (options.interval !== undefined) {
    const interval = options.interval;
    if (typeof interval === 'number') trigger = { type: 'interval', milliseconds: interval, ...zone };
    else if (typeof interval === 'object' && interval !== null) trigger = { ...zone, ...interval, type: 'interval' };
    else throw new HoraeError('INVALID_TRIGGER', messages.optionType(where, 'interval', interval, 'give milliseconds, or interval options such as { minutes: 5 }'), { taskId: id });
  } else if (options.date !== undefined) {
    trigger = { type: 'date', runAt: options.date, ...zone };
  } else {
    const custom = options.trigger!;
    trigger = typeof custom === 'object' && custom !== null && !('getNextFireTime' in custom) && timezone !== undefined ? { ...zone, ...custom } : custom;
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new HoraeError('INVALID_OPTION', messages.optionType(where, 'name', options.name, 'give a string'), { taskId: id });
  }
  const task: AddTaskOptions = { id, handler: id, trigger, replaceExisting: true };
  if (options.name !== undefined) task.name = options.name;
  if (options.args !== undefined) task.args = options.args;
  if (options.store !== undefined) task.store = options.store;
  if (options.executor !== undefined) task.executor = options.executor;
  if (options.maxInstances !== undefined) task.maxInstances = options.maxInstances;
  if (options.coalesce !== undefined) task.coalesce = options.coalesce;
  if (options.misfireGraceTime !== undefined) task.misfireGraceTime = options.misfireGraceTime;
  if (options.jitter !== undefined) task.jitter = options.jitter;
  return task;
}

/** The id of a declaration: its `id` option, else `Class.method`. */
export function taskIdOf(options: ResolvedScheduled, where: string): string {
  const id = options.id;
  if (id === undefined) return where;
  if (typeof id !== 'string' || id.length === 0) {
    throw new HoraeError('INVALID_OPTION', messages.optionType(where, 'id', id, 'give a non-empty string, or leave it out for "' + where + '"'));
  }
  return id;
}

export { describe };
