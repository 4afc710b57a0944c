import { scheduledTaskId, scheduledTaskOptions, type AddTaskOptions } from '@horae/core';
import { errors } from './messages.js';
import type { ScheduledOptions } from './scheduled.decorator.js';

/** A `@Scheduled` declaration with every option read (config functions called). */
export type ResolvedScheduled = {
  [K in keyof ScheduledOptions]: ScheduledOptions[K] extends infer V ? Exclude<V, (config: never) => unknown> : never;
};

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
      throw errors.optionFunctionFailed(where, key, error);
    }
  }
  return resolved;
}

/** Turns a resolved declaration into `addTask` options for the task `id` (checked by core, as for any `@Scheduled`). */
export function toTaskOptions(id: string, options: ResolvedScheduled, where: string): AddTaskOptions {
  return scheduledTaskOptions(id, options, where);
}

/** The id of a declaration: its `id` option, else `Class.method`. */
export function taskIdOf(options: ResolvedScheduled, where: string): string {
  return scheduledTaskId(options, where);
}
