import { defineMethodMetadata } from '../metadata.js';

/** Metadata key of drop-in declarations (`@Cron`, `@Interval`, `@Timeout`) on a method. */
export const SCHEDULE_METADATA = Symbol.for('@horae/nestjs:schedule');

/** A cron time as `@nestjs/schedule` takes it: an expression, a `Date` or a Luxon `DateTime`. @public */
export type CronTimeInput = string | Date | { toJSDate(): Date };

/**
 * Options of {@link Cron}: `@nestjs/schedule`'s, with the same names and meanings.
 * @public
 */
export type CronOptions = {
  /** The job's name in the {@link SchedulerRegistry}; also its task id (default `Class.method`). */
  name?: string;
  /** Stop the process from waiting on this job: Horae has one timer, see `HoraeModuleOptions.scheduler.unrefTimer`. */
  unrefTimeout?: boolean;
  /** `true`: a run is skipped while the previous one is still running (`maxInstances: 1`). Default `false`. */
  waitForCompletion?: boolean;
  /** Register the job stopped; `job.start()` starts it. Default `false`. */
  disabled?: boolean;
  /** How late (ms) a run may start and still run; later ones are skipped with a warning. Default 250. */
  threshold?: number;
  /** Delay (ms) before the first run after application bootstrap; later runs follow the schedule. */
  initialDelay?: number;
} & ({ timeZone?: string; utcOffset?: never } | { timeZone?: never; utcOffset?: number });

/** A drop-in declaration as stored on a method. */
export type ScheduleDeclaration =
  | { kind: 'cron'; cronTime: CronTimeInput; options: CronOptions }
  | { kind: 'interval'; name: string | undefined; timeout: number }
  | { kind: 'timeout'; name: string | undefined; timeout: number };

function declare(declaration: ScheduleDeclaration): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    defineMethodMetadata(descriptor.value, SCHEDULE_METADATA, [declaration]);
    return descriptor;
  };
}

/**
 * Runs the method on a cron schedule, as `@nestjs/schedule`'s `@Cron` does — and, with a shared
 * store given to `ScheduleModule.forRoot`, once per fire across every replica.
 *
 * @example
 * ```ts
 * @Cron(CronExpression.EVERY_5_MINUTES, { name: 'sync', timeZone: 'Europe/Berlin', waitForCompletion: true })
 * async sync() {}
 * ```
 * @public
 */
export function Cron(cronTime: CronTimeInput, options: CronOptions = {}): MethodDecorator {
  return declare({ kind: 'cron', cronTime, options });
}

/**
 * Runs the method every `timeout` ms, as `@nestjs/schedule`'s `@Interval` (`setInterval`) does.
 *
 * @example
 * ```ts
 * @Interval('refresh', 10_000)
 * refresh() {}
 * ```
 * @public
 */
export function Interval(timeout: number): MethodDecorator;
export function Interval(name: string, timeout: number): MethodDecorator;
export function Interval(nameOrTimeout: string | number, timeout?: number): MethodDecorator {
  const [name, ms] = typeof nameOrTimeout === 'string' ? [nameOrTimeout, timeout] : [undefined, nameOrTimeout];
  return declare({ kind: 'interval', name, timeout: ms as number });
}

/**
 * Runs the method once, `timeout` ms after application bootstrap, in this process, as
 * `@nestjs/schedule`'s `@Timeout` (`setTimeout`) does.
 *
 * @example
 * ```ts
 * @Timeout('warm-cache', 5_000)
 * warmCache() {}
 * ```
 * @public
 */
export function Timeout(timeout: number): MethodDecorator;
export function Timeout(name: string, timeout: number): MethodDecorator;
export function Timeout(nameOrTimeout: string | number, timeout?: number): MethodDecorator {
  const [name, ms] = typeof nameOrTimeout === 'string' ? [nameOrTimeout, timeout] : [undefined, nameOrTimeout];
  return declare({ kind: 'timeout', name, timeout: ms as number });
}
