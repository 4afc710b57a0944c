import { errors } from '../errors/index.js';
import { checkKeys } from '../options/keys.js';
import type { AddTaskOptions } from '../tasks/task.js';
import type { DateInput } from '../time/time.js';
import type { CronTriggerOptions } from '../triggers/cron.js';
import type { IntervalTriggerOptions } from '../triggers/interval.js';
import type { TriggerInput } from '../triggers/trigger.js';

/**
 * Options of the {@link Scheduled} decorator (the same names as `@horae/nestjs`'s): exactly one
 * of `cron`, `interval`, `date` or `trigger` says when the method runs.
 * @public
 */
export interface ScheduledOptions {
  /** A cron expression (`'0 3 * * *'`, 6 fields with seconds, `@daily`) or cron trigger options. */
  cron?: string | CronTriggerOptions;
  /** Every this many milliseconds, or interval trigger options (`{ minutes: 5 }`). */
  interval?: number | IntervalTriggerOptions;
  /** Once, at this time. */
  date?: DateInput;
  /** Any trigger: an instance, or a spec `{ type, ...options }` (custom types included). */
  trigger?: TriggerInput;
  /**
   * The task id, which is also the name its handler is defined under; default `Class.method`.
   * Keep it stable: a persistent store recognises the task by it across replicas and restarts.
   */
  id?: string;
  /** A human-readable name; default the id. */
  name?: string;
  /** IANA time zone of the `cron`, `interval` or `date` schedule; default the scheduler's. */
  timezone?: string;
  /** Store alias; default `'default'`. */
  store?: string;
  /** Executor alias; default from the task defaults. */
  executor?: string;
  /** Runs that may be in progress at once, across every replica on a shared store (default 1). */
  maxInstances?: number;
  /** Run once, not once per fire, when several fires are due together (default `true`). */
  coalesce?: boolean;
  /** How late a run may start, ms; `null`: however late (default 1000). */
  misfireGraceTime?: number | null;
  /** Random delay of up to this many ms added to each fire. */
  jitter?: number | null;
  /** The method's first argument on every run (plain JSON for a persistent store). */
  args?: unknown;
  /**
   * Do not schedule the task. Its handler is still defined (so runs asked for by other replicas
   * work), and a task with its id found in its store at start is removed.
   */
  disabled?: boolean;
}

/** Every option name of {@link ScheduledOptions}, for checking keys. */
export const SCHEDULED_OPTION_KEYS = [
  'cron',
  'interval',
  'date',
  'trigger',
  'id',
  'name',
  'timezone',
  'store',
  'executor',
  'maxInstances',
  'coalesce',
  'misfireGraceTime',
  'jitter',
  'args',
  'disabled',
] as const satisfies readonly (keyof ScheduledOptions)[];

const TRIGGER_KEYS = ['cron', 'interval', 'date', 'trigger'] as const;

/** The task id of a declaration on `where` (`Class.method`): its `id`, else `where`. */
export function scheduledTaskId(options: ScheduledOptions, where: string): string {
  const id: unknown = options.id;
  if (id === undefined) return where;
  if (typeof id !== 'string' || id.length === 0) {
    throw errors.scheduledOption(where, 'id', id, `give a non-empty string, or leave it out for "${where}"`);
  }
  return id;
}

/**
 * Turns a `@Scheduled` declaration on `where` into `addTask` options for task `id`, whose
 * handler is defined under the same name. Checked here, at registration, so that a wrong option
 * fails at boot, not at the first fire.
 */
export function scheduledTaskOptions(id: string, options: ScheduledOptions, where: string): AddTaskOptions {
  if (typeof options !== 'object' || options === null) throw errors.scheduledOption(where, 'options', options, 'give an object such as { cron: "0 3 * * *" }');
  checkKeys(`@Scheduled on ${where}`, options, SCHEDULED_OPTION_KEYS, id);
  const given = TRIGGER_KEYS.filter((key) => options[key] !== undefined && options[key] !== null);
  if (given.length !== 1) throw errors.scheduledTriggerCount(id, where, given);
  const timezone: unknown = options.timezone;
  if (timezone !== undefined && typeof timezone !== 'string') {
    throw errors.scheduledOption(where, 'timezone', timezone, 'give an IANA time zone name such as "Europe/Berlin"', id);
  }
  const zone = timezone === undefined ? {} : { timezone };
  let trigger: TriggerInput;
  const { cron, interval } = options as { cron: unknown; interval: unknown };
  if (cron !== undefined) {
    if (typeof cron === 'string') trigger = { type: 'cron', expression: cron, ...zone };
    else if (typeof cron === 'object' && cron !== null) trigger = { ...zone, ...cron, type: 'cron' };
    else throw errors.scheduledOption(where, 'cron', cron, "give a cron expression such as '0 3 * * *', or cron trigger options", id);
  } else if (interval !== undefined) {
    if (typeof interval === 'number') trigger = { type: 'interval', milliseconds: interval, ...zone };
    else if (typeof interval === 'object' && interval !== null) trigger = { ...zone, ...interval, type: 'interval' };
    else throw errors.scheduledOption(where, 'interval', interval, 'give milliseconds, or interval options such as { minutes: 5 }', id);
  } else if (options.date !== undefined) {
    trigger = { type: 'date', runAt: options.date, ...zone };
  } else {
    const custom = options.trigger!;
    trigger = typeof custom === 'object' && custom !== null && !('getNextFireTime' in custom) && timezone !== undefined ? { ...zone, ...custom } : custom;
  }
  const name: unknown = options.name;
  if (name !== undefined && typeof name !== 'string') throw errors.scheduledOption(where, 'name', name, 'give a string', id);
  const disabled: unknown = options.disabled;
  if (disabled !== undefined && typeof disabled !== 'boolean') throw errors.scheduledOption(where, 'disabled', disabled, 'give true or false', id);
  const task: AddTaskOptions = { id, handler: id, trigger, replaceExisting: true };
  if (name !== undefined) task.name = name;
  if (options.args !== undefined) task.args = options.args;
  if (options.store !== undefined) task.store = options.store;
  if (options.executor !== undefined) task.executor = options.executor;
  if (options.maxInstances !== undefined) task.maxInstances = options.maxInstances;
  if (options.coalesce !== undefined) task.coalesce = options.coalesce;
  if (options.misfireGraceTime !== undefined) task.misfireGraceTime = options.misfireGraceTime;
  if (options.jitter !== undefined) task.jitter = options.jitter;
  return task;
}
