import { errors } from '../errors/index.js';
import { formatInZone, MAX_EPOCH, type DateInput } from '../time/time.js';
import { checkTriggerKeys, checkWindow, commonJSON, readDate, readJitter, readTimezone } from './options.js';
import type { Trigger, TriggerContext, TriggerJSON, TriggerSpec } from './trigger.js';

/** Options of the `interval` trigger; the units add up. @public */
export interface IntervalTriggerOptions {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
  /** First fire time; default: now plus one interval. */
  startAt?: DateInput;
  /** No fire after this time. */
  endAt?: DateInput;
  /** Random delay of up to this many milliseconds added to each fire; keep it below the interval. */
  jitter?: number;
  /** IANA time zone for `startAt` / `endAt` strings without an offset; default the scheduler's. */
  timezone?: string;
}

const UNITS = [
  ['weeks', 604_800_000],
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1_000],
  ['milliseconds', 1],
] as const;

interface IntervalSpec {
  readonly interval: number;
  readonly endAt: number | null;
  readonly jitter: number | null;
  readonly timezone: string;
  readonly startAtDefaulted: boolean;
}

const specs = new Map<string, IntervalSpec>();

/**
 * Interval triggers differ mostly by their `startAt`; the rest is shared, so that 100,000
 * interval tasks cost one small object each, not six fields each.
 */
function sharedSpec(spec: IntervalSpec): IntervalSpec {
  const key = `${spec.interval}\u0000${spec.endAt}\u0000${spec.jitter}\u0000${spec.timezone}\u0000${spec.startAtDefaulted}`;
  let shared = specs.get(key);
  if (shared === undefined) {
    shared = Object.freeze({ ...spec });
    // Bounded: past this many distinct specs, new ones are simply not shared.
    if (specs.size < 10_000) specs.set(key, shared);
  }
  return shared;
}

/**
 * Fires every fixed amount of elapsed time, on the grid `startAt + k × interval`.
 *
 * Intervals are elapsed time: `{ days: 1 }` is 24 hours, also across a daylight-saving change
 * (use a cron trigger for "every day at 03:00 local time"). Because fires sit on a grid anchored
 * at `startAt`, jitter and late runs never make the schedule drift.
 *
 * @example
 * ```ts
 * await scheduler.addTask({ handler: 'poll-feed', trigger: { type: 'interval', minutes: 5 } });
 * ```
 * @public
 */
export class IntervalTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'interval' {
    return 'interval';
  }
  /** Everything but `startAt`, shared by every trigger with the same values. */
  private readonly spec: IntervalSpec;

  constructor(
    /** The interval in milliseconds. */
    interval: number,
    readonly startAt: number,
    endAt: number | null,
    jitter: number | null,
    timezone: string,
    /** Whether `startAt` was left to its default (now + interval) rather than given. */
    startAtDefaulted = false,
  ) {
    this.spec = sharedSpec({ interval, endAt, jitter, timezone, startAtDefaulted });
  }

  /** The interval in milliseconds. */
  get interval(): number {
    return this.spec.interval;
  }

  get endAt(): number | null {
    return this.spec.endAt;
  }

  get jitter(): number | null {
    return this.spec.jitter;
  }

  get timezone(): string {
    return this.spec.timezone;
  }

  /** Whether `startAt` was left to its default (now + interval) rather than given. */
  get startAtDefaulted(): boolean {
    return this.spec.startAtDefaulted;
  }

  /** A defaulted `startAt` differs on every boot; the schedule is the same if the rest is. */
  isSameSchedule(other: Trigger): boolean {
    return (
      other instanceof IntervalTrigger &&
      other.interval === this.interval &&
      other.endAt === this.endAt &&
      other.jitter === this.jitter &&
      other.timezone === this.timezone &&
      (this.startAtDefaulted || other.startAt === this.startAt)
    );
  }

  getNextFireTime(previous: number | null, now: number): number | null {
    let next: number;
    if (previous === null) {
      next = now <= this.startAt ? this.startAt : this.startAt + Math.ceil((now - this.startAt) / this.interval) * this.interval;
    } else {
      next = previous < this.startAt ? this.startAt : this.startAt + (Math.floor((previous - this.startAt) / this.interval) + 1) * this.interval;
    }
    return this.endAt !== null && next > this.endAt ? null : next;
  }

  toJSON(): TriggerJSON {
    const json: TriggerJSON = { type: 'interval' };
    let rest = this.interval;
    for (const [unit, size] of UNITS) {
      const count = Math.floor(rest / size);
      if (count > 0) json[unit] = count;
      rest -= count * size;
    }
    json.timezone = this.timezone;
    return commonJSON(json, this);
  }

  describe(): string {
    const parts: string[] = [];
    let rest = this.interval;
    for (const [unit, size] of UNITS) {
      const count = Math.floor(rest / size);
      if (count > 0) parts.push(`${count} ${count === 1 ? unit.slice(0, -1) : unit}`);
      rest -= count * size;
    }
    const end = this.endAt === null ? '' : ` until ${formatInZone(this.endAt, this.timezone)}`;
    return `interval every ${parts.join(' ')}${end}`;
  }
}

export function createIntervalTrigger(options: TriggerSpec, context: TriggerContext): IntervalTrigger {
  checkTriggerKeys(options, context, [...UNITS.map(([unit]) => unit), 'startAt', 'endAt', 'jitter', 'timezone']);
  let interval = 0;
  for (const [unit, size] of UNITS) {
    const value = options[unit];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw errors.invalidTrigger(
        context.taskId,
        `interval trigger: ${unit} ${JSON.stringify(value)} is not allowed; give a finite number >= 0`,
      );
    }
    interval += value * size;
  }
  interval = Math.round(interval);
  if (!(interval <= MAX_EPOCH)) {
    throw errors.invalidTrigger(
      context.taskId,
      `interval trigger: the interval is ${interval} ms; it must be at most ${MAX_EPOCH} ms (about 273,790 years), or no fire after the first could be represented`,
    );
  }
  if (interval <= 0) {
    throw errors.invalidTrigger(
      context.taskId,
      `interval trigger: the interval is ${interval} ms; it must be above zero (set weeks, days, hours, minutes, seconds or milliseconds)`,
    );
  }
  const zone = readTimezone(options, context);
  const startAt = readDate(options, 'startAt', zone, context);
  const endAt = readDate(options, 'endAt', zone, context);
  checkWindow('interval', startAt, endAt, context);
  return new IntervalTrigger(interval, startAt ?? context.now + interval, endAt, readJitter(options, context), zone, startAt === null);
}
