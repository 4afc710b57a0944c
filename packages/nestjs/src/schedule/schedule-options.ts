import { MemoryStore, type TriggerInput } from '@horae/core';
import type { HoraeModuleOptions } from '../options.js';
import { errors } from '../messages.js';

/**
 * The alias of the process-local memory store that `@Timeout` methods and jobs given to
 * `SchedulerRegistry.addCronJob` live in: their callbacks exist in this process only. Added by
 * `ScheduleModule` unless the options name a store `local` themselves.
 * @public
 */
export const LOCAL_STORE = 'local';

/** `waitForCompletion: false` (the default) lets runs overlap without limit, as `cron` does. */
export const UNBOUNDED_INSTANCES = 2_147_483_647;

/** `cron`'s default threshold, ms: a fire later than this is skipped. */
export const DEFAULT_THRESHOLD = 250;

/**
 * Options of `ScheduleModule.forRoot`: `@nestjs/schedule`'s (`cronJobs`, `intervals`,
 * `timeouts`) plus every `HoraeModule` option — give `stores: { default: new RedisStore(...) }`
 * for persistence and one run per fire across replicas.
 *
 * @example
 * ```ts
 * ScheduleModule.forRoot({ stores: { default: new RedisStore({ url: process.env.REDIS_URL }) }, timeouts: false });
 * ```
 * @public
 */
export interface ScheduleModuleOptions extends HoraeModuleOptions {
  /** Register `@Cron` methods (default `true`). */
  cronJobs?: boolean;
  /** Register `@Interval` methods (default `true`). */
  intervals?: boolean;
  /** Register `@Timeout` methods (default `true`). */
  timeouts?: boolean;
  /**
   * Jobs declared in request-scoped (non-static) providers: `'skip'` (the default) warns and
   * skips them, as `@nestjs/schedule` does; `'run'` runs each on a fresh instance resolved for
   * the run, as `HoraeModule` does.
   */
  requestScoped?: 'skip' | 'run';
}

/**
 * The options as the drop-in runs them: a `local` memory store added when they have none, and
 * `app.close()` not waiting for running handlers unless `drainOnShutdown` says so (as
 * `@nestjs/schedule`, which does not wait).
 */
export function withLocalStore<T extends ScheduleModuleOptions>(options: T | undefined): T {
  const given: T = { drainOnShutdown: false, ...(options ?? ({} as T)) };
  if (given.requestScoped !== undefined && given.requestScoped !== 'skip' && given.requestScoped !== 'run') {
    throw errors.invalidRequestScoped(given.requestScoped);
  }
  if (given.stores?.[LOCAL_STORE] !== undefined) return given;
  return { ...given, stores: { ...given.stores, [LOCAL_STORE]: new MemoryStore() } };
}

/** A fixed-offset zone for `cron`'s `utcOffset` (minutes, or hours when within ±14). */
export function zoneOfUtcOffset(offset: number, where: string): string {
  const minutes = Math.abs(offset) <= 14 ? offset * 60 : offset;
  if (!Number.isInteger(minutes / 60) || minutes < -720 || minutes > 840) {
    throw errors.utcOffset(where, offset);
  }
  const hours = minutes / 60;
  // IANA's Etc zones count the other way round: Etc/GMT-2 is UTC+2.
  return hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
}

/** The trigger of a `cron` time: an expression, a `Date` or a Luxon `DateTime`. */
export function cronTrigger(source: unknown, timeZone: string | undefined, utcOffset: number | undefined, where: string, defaultZone: string): TriggerInput {
  const timezone = timeZone ?? (utcOffset === undefined ? defaultZone : zoneOfUtcOffset(utcOffset, where));
  if (typeof source === 'string') return { type: 'cron', expression: source, timezone };
  if (source instanceof Date) return { type: 'date', runAt: source, timezone };
  if (typeof source === 'object' && source !== null && typeof (source as { toJSDate?: unknown }).toJSDate === 'function') {
    return { type: 'date', runAt: (source as { toJSDate(): Date }).toJSDate(), timezone };
  }
  throw errors.unsupportedCronTime(where, source);
}
