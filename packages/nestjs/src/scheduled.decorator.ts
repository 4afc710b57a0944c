import { Inject } from '@nestjs/common';
import type { CronTriggerOptions, DateInput, IntervalTriggerOptions, TriggerInput } from '@horae/core';
import { defineMethodMetadata, readMethodMetadata } from './metadata.js';
import { HORAE_SCHEDULER, SCHEDULED_METADATA } from './tokens.js';

/**
 * A decorator option's value, or a function of the module's `config` (see
 * `HoraeModuleOptions.config`) that gives it, resolved once at module init.
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FromConfig<T, TConfig = any> = T | ((config: TConfig) => T | Promise<T>);

/**
 * Options of {@link Scheduled}. Exactly one of `cron`, `interval`, `date` or `trigger` says when
 * the method runs; every option may be a function of the module's config.
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ScheduledOptions<TConfig = any> {
  /** A cron expression (`'0 3 * * *'`, 6 fields with seconds, `@daily`) or cron trigger options. */
  cron?: FromConfig<string | CronTriggerOptions, TConfig>;
  /** Every this many milliseconds, or interval trigger options (`{ minutes: 5 }`). */
  interval?: FromConfig<number | IntervalTriggerOptions, TConfig>;
  /** Once, at this time. */
  date?: FromConfig<DateInput, TConfig>;
  /** Any trigger: an instance, or a spec `{ type, ...options }` (custom types included). */
  trigger?: FromConfig<TriggerInput, TConfig>;
  /**
   * The task id, which is also the name its handler is defined under; default `Class.method`.
   * Keep it stable: a persistent store recognises the task by it across replicas and restarts.
   */
  id?: FromConfig<string, TConfig>;
  /** A human-readable name; default the id. */
  name?: FromConfig<string, TConfig>;
  /** IANA time zone of the `cron`, `interval` or `date` schedule; default the module's. */
  timezone?: FromConfig<string, TConfig>;
  /** Store alias; default `'default'`. */
  store?: FromConfig<string, TConfig>;
  /** Executor alias; default from the task defaults. */
  executor?: FromConfig<string, TConfig>;
  /** Runs that may be in progress at once, across every replica on a shared store (default 1). */
  maxInstances?: FromConfig<number, TConfig>;
  /** Run once, not once per fire, when several fires are due together (default `true`). */
  coalesce?: FromConfig<boolean, TConfig>;
  /** How late a run may start, ms; `null`: however late (default 1000). */
  misfireGraceTime?: FromConfig<number | null, TConfig>;
  /** Random delay of up to this many ms added to each fire. */
  jitter?: FromConfig<number | null, TConfig>;
  /** The method's first argument on every run (plain JSON for a persistent store). */
  args?: FromConfig<unknown, TConfig>;
  /**
   * Do not schedule the task. Its handler is still defined (so runs asked for by other replicas
   * or by `scheduler.runTask` work), and a task with its id found in its store is removed.
   */
  disabled?: FromConfig<boolean, TConfig>;
}

/**
 * Schedules a provider (or controller) method. At module init the method is defined as a
 * handler under a stable name (`Class.method` unless `id` says otherwise) and its task is added
 * with `replaceExisting`, so that every replica declaring it leaves one task whose schedule is
 * kept across deploys. The method receives `(args, ctx)`, as any Horae handler.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Reports {
 *   @Scheduled({ cron: '0 3 * * *', timezone: 'Europe/Berlin' })
 *   async nightly(_args: unknown, ctx: RunContext) {
 *     await this.build({ signal: ctx.signal });
 *   }
 *
 *   @Scheduled({ interval: { minutes: 5 }, id: 'reports:refresh', maxInstances: 1 })
 *   refresh() {}
 *
 *   @Scheduled({ cron: (config: ConfigService) => config.get('DIGEST_CRON'), disabled: (config: ConfigService) => !config.get('DIGEST_ON') })
 *   digest() {}
 * }
 * ```
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function Scheduled<TConfig = any>(options: ScheduledOptions<TConfig>): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    // Several @Scheduled on one method are several tasks (each needs its own id).
    defineMethodMetadata(descriptor.value, SCHEDULED_METADATA, [...readMethodMetadata<ScheduledOptions>(descriptor.value, SCHEDULED_METADATA), options]);
    return descriptor;
  };
}

/**
 * Injects the Horae `Scheduler` (the same instance as injecting the `Scheduler` class).
 *
 * @example
 * ```ts
 * @Injectable()
 * class Reminders {
 *   constructor(@InjectScheduler() private readonly scheduler: Scheduler) {}
 *   remind(at: Date, userId: string) {
 *     return this.scheduler.addTask({ handler: 'remind', args: { userId }, trigger: { type: 'date', runAt: at } });
 *   }
 * }
 * ```
 * @public
 */
export function InjectScheduler(): PropertyDecorator & ParameterDecorator {
  return Inject(HORAE_SCHEDULER);
}
