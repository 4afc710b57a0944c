import { formatInZone, type DateInput } from '../time/time.js';
import { checkTriggerKeys, readDate, readTimezone } from './options.js';
import type { Trigger, TriggerContext, TriggerJSON, TriggerSpec } from './trigger.js';

/** Options of the `date` trigger. @public */
export interface DateTriggerOptions {
  /** When to run; omitted means now. ISO strings without an offset are read in `timezone`. */
  runAt?: DateInput;
  /** IANA time zone for `runAt` strings without an offset; default the scheduler's. */
  timezone?: string;
}

/**
 * Fires once, at `runAt`.
 *
 * @example
 * ```ts
 * await scheduler.addTask({ handler: 'send-reminder', trigger: { type: 'date', runAt: '2030-01-01T09:00:00' } });
 * ```
 * @public
 */
export class DateTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'date' {
    return 'date';
  }
  /** A date trigger created without a date runs "now", however late the scheduler gets to it. */
  readonly defaultMisfireGraceTime: number | null | undefined;

  constructor(
    readonly runAt: number,
    readonly timezone: string,
    runsNow = false,
  ) {
    this.defaultMisfireGraceTime = runsNow ? null : undefined;
  }

  getNextFireTime(previous: number | null): number | null {
    return previous === null || this.runAt > previous ? this.runAt : null;
  }

  toJSON(): TriggerJSON {
    return { type: 'date', runAt: new Date(this.runAt).toISOString(), timezone: this.timezone };
  }

  describe(): string {
    return `date '${formatInZone(this.runAt, this.timezone)}'`;
  }
}

export function createDateTrigger(options: TriggerSpec, context: TriggerContext): DateTrigger {
  checkTriggerKeys(options, context, ['runAt', 'timezone']);
  const zone = readTimezone(options, context);
  const runAt = readDate(options, 'runAt', zone, context);
  return new DateTrigger(runAt ?? context.now, zone, runAt === null);
}
