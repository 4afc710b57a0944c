import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { DateTime } from 'luxon';
import { errors } from '../errors/index.js';
import type { DateInput } from '../time/time.js';
import { zoneOffsets, type ZoneOffsets } from '../time/zone-offsets.js';
import { compileWallClock, type WallClockSearch } from './cron-wall.js';
import {
  CRON_FIELD_NAMES,
  FieldError,
  convertFields,
  nextInSet,
  parseNumberSet,
  type CronFields,
  type NumberSet,
} from './cron-fields.js';
import { checkTriggerKeys, checkWindow, commonJSON, readDate, readJitter, readTimezone } from './options.js';
import type { Trigger, TriggerContext, TriggerJSON, TriggerSpec } from './trigger.js';

/** Options of the `cron` trigger: an `expression` or Asyncz-style fields. @public */
export interface CronTriggerOptions extends CronFields {
  /**
   * A crontab expression: 5 fields (`minute hour day month dayOfWeek`), 6 (a leading `second`)
   * or 7 (a trailing `year`), or an alias such as `@daily`. Day of week 0 or 7 = Sunday.
   */
  expression?: string;
  /** IANA time zone the fields are read in; default the scheduler's. */
  timezone?: string;
  startAt?: DateInput;
  endAt?: DateInput;
  /** Random delay of up to this many milliseconds added to each fire. */
  jitter?: number;
}

/** The filters cron-parser has no field for. */
interface CronFilters {
  years: NumberSet | null;
  weeks: NumberSet | null;
  weekdays: ReadonlySet<number> | null;
}

/** The first wall time (epoch ms read as UTC) the expression matches strictly after `after`. */
function nextWallOf(wallClock: CronExpression, search: WallClockSearch | null, after: number): number {
  const found = search?.next(after);
  if (found !== undefined) return found;
  wallClock.reset(new Date(after));
  // On a clock without daylight saving every valid expression matches again; an error here is
  // a real one, never "no more fires" (reading it as that once deleted tasks).
  return wallClock.next().getTime();
}

/** Bounds the search for a fire time that passes the filters (each step jumps ahead). */
const MAX_FILTER_STEPS = 2_000;
const MEMO_SIZE = 512;
const HOUR = 3_600_000;
/** No daylight-saving jump anywhere is longer than this. */
const MAX_GAP = 3 * HOUR;
/** Beyond the widest offset of any zone (UTC+14) and a jump. */
const OFFSET_PROBE = 18 * HOUR;

/**
 * One parsed cron schedule in one zone, shared by every trigger with the same expression and
 * zone, with recent answers memoised (tasks on one schedule tend to ask from the same instant).
 *
 * The expression is evaluated on a wall clock without daylight saving (cron-parser in UTC, where
 * it is exact), and each wall time is mapped to the instants at which the zone's clocks show it,
 * from the zone's offsets. cron-parser's own zone handling is not used: it fails on some changes
 * (the 30-minute ones of Australia/Lord_Howe).
 */
class CronSchedule {
  private readonly memo = new Map<number, number | null>();
  private lastAfter = 0;
  private lastNext: number | null = null;
  /** The wall-time search by calendar arithmetic; null where cron-parser searches (`L`, `#`). */
  private readonly search: WallClockSearch | null;
  /** The zone's offsets, shared with every schedule in the zone. */
  private readonly offsets: ZoneOffsets;
  /** Whether the hour field is `*`: such expressions follow elapsed time across a change. */
  private readonly elapsed: boolean;

  constructor(
    private readonly wallClock: CronExpression,
    zone: string,
    private readonly filters: CronFilters,
  ) {
    this.offsets = zoneOffsets(zone);
    this.search = compileWallClock(wallClock);
    this.elapsed = wallClock.fields.hour.values.length === 24;
  }

  /** The first fire time strictly after `after`, or null when there is none. */
  nextAfter(after: number): number | null {
    // Any question between the last one and its answer has the same answer: nothing fires between.
    if (this.lastNext !== null && after >= this.lastAfter && after < this.lastNext) return this.lastNext;
    let next = this.memo.get(after);
    if (next === undefined) {
      next = this.compute(after);
      if (this.memo.size >= MEMO_SIZE) this.memo.clear();
      this.memo.set(after, next);
    }
    this.lastAfter = after;
    this.lastNext = next;
    return next;
  }

  private compute(after: number): number | null {
    const offsets = this.offsets;
    const offset = (instant: number): number => offsets.offset(instant);
    // A wall time before the one `after` shows can still fire after it: shifted out of a gap, or
    // in the second copy of a repeated hour. Search from the smallest offset around; where the
    // offset holds around `after`, from the wall time `after` shows.
    const lowest = offsets.steady(after - MAX_GAP, after + MAX_GAP) ? offset(after) : Math.min(offset(after - MAX_GAP), offset(after), offset(after + MAX_GAP));
    let cursor = after + lowest;
    // Widened by hand: assignments inside the inner loop are not seen by the narrowing.
    let best = null as number | null;
    for (let step = 0; step < MAX_FILTER_STEPS; step++) {
      const wall = this.nextWall(cursor);
      if (wall === null) break;
      // Later wall times map to later instants than `best`, give or take one jump.
      if (best !== null && wall > best + offset(best) + MAX_GAP) break;
      for (const instant of this.instantsOf(wall, offset)) {
        if (instant > after && (best === null || instant < best)) best = instant;
      }
      // No offset change within MAX_GAP of `best`: a later wall time maps to a later instant
      // (it could only come earlier through a change near `best` of more than the wall times'
      // distance, and no change exceeds MAX_GAP), so `best` is the answer. Else look on, for a
      // shifted or repeated time.
      if (best !== null && offsets.steady(best - MAX_GAP, best + MAX_GAP)) break;
      cursor = wall;
    }
    return best;
  }

  /**
   * The instants at which a wall time fires: where the zone's clocks show it, once (the first
   * time) if they show it twice; if they skip it, once, shifted by the gap (02:30 -> 03:30).
   * Elapsed-time expressions fire at every instant that shows it, and not in a gap.
   */
  private instantsOf(wall: number, offset: (instant: number) => number): number[] {
    const before = offset(wall - OFFSET_PROBE);
    const after = offset(wall + OFFSET_PROBE);
    const instants: number[] = [];
    for (const candidate of before === after ? [before] : [before, after]) {
      const instant = wall - candidate;
      if (offset(instant) === candidate && !instants.includes(instant)) instants.push(instant);
    }
    instants.sort((a, b) => a - b);
    if (this.elapsed) return instants;
    if (instants.length > 0) return [instants[0]!];
    // In a gap: clocks went from `before` to `after` (`before` < `after`).
    return [wall - before];
  }

  /** The first wall time strictly after `after` (a wall time) that passes the filters, or null. */
  private nextWall(after: number): number | null {
    let cursor = after;
    for (let step = 0; step < MAX_FILTER_STEPS; step++) {
      const candidate = nextWallOf(this.wallClock, this.search, cursor);
      const skipTo = this.rejectedUntil(candidate);
      if (skipTo === undefined) return candidate;
      if (skipTo === null) return null;
      cursor = skipTo - 1;
    }
    return null;
  }

  /** `undefined` when a wall time passes the filters; else the wall time to search on from (null: never). */
  private rejectedUntil(wall: number): number | null | undefined {
    const { years, weeks, weekdays } = this.filters;
    if (years === null && weeks === null && weekdays === null) return undefined;
    const at = DateTime.fromMillis(wall, { zone: 'utc' });
    if (years !== null) {
      const year = nextInSet(years, at.year);
      if (year === null) return null;
      if (year !== at.year) return DateTime.fromObject({ year, month: 1, day: 1 }, { zone: 'utc' }).toMillis();
    }
    if (weeks !== null && nextInSet(weeks, at.weekNumber) !== at.weekNumber) {
      return at.startOf('week').plus({ weeks: 1 }).toMillis();
    }
    if (weekdays !== null && !weekdays.has(at.weekday)) return at.startOf('day').plus({ days: 1 }).toMillis();
    return undefined;
  }
}

const schedules = new Map<string, CronSchedule>();
const MAX_SHARED_SCHEDULES = 10_000;

function sharedSchedule(expression: string, zone: string, filters: CronFilters): CronSchedule {
  const key = `${expression}\u0000${zone}\u0000${filters.years?.spec ?? ''}\u0000${filters.weeks?.spec ?? ''}\u0000${[...(filters.weekdays ?? [])].join(',')}`;
  let schedule = schedules.get(key);
  if (schedule === undefined) {
    schedule = new CronSchedule(CronExpressionParser.parse(expression, { tz: 'UTC' }), zone, filters);
    // Unbounded growth would leak with per-tenant expressions; losing sharing is harmless.
    if (schedules.size >= MAX_SHARED_SCHEDULES) schedules.clear();
    schedules.set(key, schedule);
  }
  return schedule;
}

/**
 * Fires when the clock matches a cron expression in a time zone, correctly across daylight-saving
 * changes.
 *
 * Across a change, a time that does not exist (02:30 when clocks jump from 02:00 to 03:00) fires
 * once, shifted by the gap (03:30), and several such times each fire once, in order; a time that
 * occurs twice (01:30 when clocks fall back) fires once, at its first occurrence. Expressions whose hour is `*` follow elapsed time: an hourly
 * task fires in both copies of a repeated hour and never in a skipped one.
 *
 * @example
 * ```ts
 * await scheduler.addTask({
 *   handler: 'nightly-report',
 *   trigger: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Berlin' },
 * });
 * // the same with Asyncz-style fields
 * await scheduler.addTask({ handler: 'nightly-report', trigger: { type: 'cron', hour: 3 } });
 * ```
 * @public
 */
export class CronTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'cron' {
    return 'cron';
  }

  /** @internal Build cron triggers from specs (`{ type: 'cron', ... }`) or `scheduler.triggers.create`. */
  constructor(
    private readonly schedule: CronSchedule,
    /** The expression or fields as given, kept for the JSON form and the description. */
    readonly source: string | Readonly<CronFields>,
    readonly timezone: string,
    readonly startAt: number | null,
    readonly endAt: number | null,
    readonly jitter: number | null,
  ) {}

  getNextFireTime(previous: number | null, now: number): number | null {
    let after = previous ?? now - 1;
    if (this.startAt !== null && after < this.startAt - 1) after = this.startAt - 1;
    const next = this.schedule.nextAfter(after);
    return next === null || (this.endAt !== null && next > this.endAt) ? null : next;
  }

  toJSON(): TriggerJSON {
    const json: TriggerJSON = { type: 'cron' };
    if (typeof this.source === 'string') json.expression = this.source;
    else for (const name of CRON_FIELD_NAMES) if (this.source[name] !== undefined) json[name] = this.source[name];
    json.timezone = this.timezone;
    return commonJSON(json, this);
  }

  describe(): string {
    const source = this.source;
    const what =
      typeof source === 'string'
        ? `cron '${source}'`
        : `cron[${CRON_FIELD_NAMES.filter((name) => source[name] !== undefined)
            .map((name) => `${name}='${source[name]}'`)
            .join(', ')}]`;
    return `${what} (${this.timezone})`;
  }
}

function splitExpression(expression: string): { expression: string; years: NumberSet | null } {
  if (expression.trim() === '') throw new FieldError('it is empty');
  const parts = expression.trim().split(/\s+/);
  if (parts.length === 7) {
    const year = parts.pop()!;
    return { expression: parts.join(' '), years: year === '*' || year === '?' ? null : parseNumberSet('year', year, 1970, 9999) };
  }
  if (parts.length < 5 && !expression.trim().startsWith('@')) {
    throw new FieldError(`it has ${parts.length} field(s)`);
  }
  return { expression: expression.trim(), years: null };
}

export function createCronTrigger(options: TriggerSpec, context: TriggerContext): CronTrigger {
  checkTriggerKeys(options, context, ['expression', ...CRON_FIELD_NAMES, 'timezone', 'startAt', 'endAt', 'jitter']);
  const zone = readTimezone(options, context);
  const startAt = readDate(options, 'startAt', zone, context);
  const endAt = readDate(options, 'endAt', zone, context);
  checkWindow('cron', startAt, endAt, context);
  const jitter = readJitter(options, context);
  const { expression } = options;
  const hasFields = CRON_FIELD_NAMES.some((name) => options[name] !== undefined);
  let source: string | CronFields;
  let schedule: CronSchedule;
  try {
    if (expression !== undefined) {
      if (typeof expression !== 'string') throw new FieldError('the expression must be a string');
      if (hasFields) throw new FieldError('give either an expression or fields, not both');
      source = expression;
      const split = splitExpression(expression);
      schedule = sharedSchedule(split.expression, zone, { years: split.years, weeks: null, weekdays: null });
    } else {
      const fields: CronFields = {};
      for (const name of CRON_FIELD_NAMES) {
        const value = options[name];
        if (value !== undefined) fields[name] = value as number | string;
      }
      source = Object.freeze(fields);
      const converted = convertFields(fields);
      schedule = sharedSchedule(converted.expression, zone, converted);
    }
    // Finds out now, not at the first fire, whether the expression can ever match.
    schedule.nextAfter(context.now);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const shown = expression !== undefined ? `expression ${JSON.stringify(expression)}` : 'fields';
    throw errors.invalidTrigger(
      context.taskId,
      `cron trigger: invalid ${shown}: ${detail}. Allowed: 5 fields (minute hour day month dayOfWeek), ` +
        '6 with a leading second, 7 with a trailing year, an alias such as @daily, or the fields ' +
        `${CRON_FIELD_NAMES.join(', ')}`,
      error,
    );
  }
  if (startAt !== null || endAt !== null) return new CronTrigger(schedule, source, zone, startAt, endAt, jitter);
  // Triggers are immutable: tasks on the same schedule with no window of their own share one.
  const key = `${typeof source === 'string' ? source : JSON.stringify(source)}\u0000${zone}\u0000${jitter}`;
  let trigger = sharedTriggers.get(key);
  if (trigger === undefined) {
    trigger = new CronTrigger(schedule, source, zone, null, null, jitter);
    if (sharedTriggers.size >= MAX_SHARED_SCHEDULES) sharedTriggers.clear();
    sharedTriggers.set(key, trigger);
  }
  return trigger;
}

const sharedTriggers = new Map<string, CronTrigger>();
