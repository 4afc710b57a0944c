import type { CronExpression } from 'cron-parser';

/**
 * The next wall time of a cron expression, found by calendar arithmetic on tables compiled from
 * the fields cron-parser parsed: cron-parser stays the parser and the judge of the syntax, and
 * the search costs a few lookups instead of cron-parser's walk through Luxon dates. Wall times
 * are UTC milliseconds of a clock without daylight saving (the cron schedule maps them to
 * instants). Matching is cron-parser's: a day matches its day-of-month or its day-of-week when
 * both are restricted, else the restricted one.
 *
 * Expressions with `L` or `#` are left to cron-parser ({@link compileWallClock} returns null),
 * and so is a search that would go on for more than {@link MAX_DAYS} days (an expression that
 * matches rarely, or never, such as February 30th): the caller then asks cron-parser, whose
 * answer or error stands.
 */
export interface WallClockSearch {
  /** The first whole-second wall time strictly after `after`; `undefined`: ask cron-parser. */
  next(after: number): number | undefined;
}

const SECOND = 1_000;
/** Days a search walks before it leaves the question to cron-parser. */
const MAX_DAYS = 3_000;
/** Years Date.UTC maps as written (0-99 would be read as 1900-1999). */
const MIN_YEAR = 100;
const MAX_YEAR = 275_000;
const NativeDate = Date;

/** For each value 0..size-1, the first allowed value at or after it, or -1. */
function nextTable(values: readonly number[], size: number): Int16Array {
  const table = new Int16Array(size).fill(-1);
  const allowed = new Set(values);
  let next = -1;
  for (let value = size - 1; value >= 0; value--) {
    if (allowed.has(value)) next = value;
    table[value] = next;
  }
  return table;
}

function plainNumbers(values: readonly unknown[]): values is readonly number[] {
  return values.every((value) => typeof value === 'number');
}

/** The search for a parsed expression, or null when it uses syntax only cron-parser searches (`L`, `#`). */
export function compileWallClock(expression: CronExpression): WallClockSearch | null {
  const { second, minute, hour, dayOfMonth, dayOfWeek, month } = expression.fields;
  const fields = [second.values, minute.values, hour.values, dayOfMonth.values, dayOfWeek.values, month.values] as const;
  if (!fields.every((values) => plainNumbers(values as readonly unknown[]))) return null;
  if (dayOfMonth.hasLastChar || dayOfWeek.hasLastChar || dayOfWeek.nthDay !== 0) return null;
  const seconds = nextTable(second.values, 60);
  const minutes = nextTable(minute.values, 60);
  const hours = nextTable(hour.values, 24);
  const months = nextTable((month.values as readonly number[]).map((value) => value - 1), 12);
  const monthDays = new Set(dayOfMonth.values as readonly number[]);
  const weekDays = new Set(dayOfWeek.values as readonly number[]);
  const domRestricted = !dayOfMonth.isWildcard;
  const dowRestricted = !dayOfWeek.isWildcard;
  const firstSecond = seconds[0]!;
  const firstMinute = minutes[0]!;

  const dayMatches = (day: number, weekday: number): boolean => {
    const byMonthDay = monthDays.has(day);
    const byWeekDay = weekDays.has(weekday);
    if (domRestricted && dowRestricted) return byMonthDay || byWeekDay;
    if (domRestricted) return byMonthDay;
    if (dowRestricted) return byWeekDay;
    return true;
  };

  return {
    next(after: number): number | undefined {
      const start = Math.floor(after / SECOND) * SECOND + SECOND;
      const at = new NativeDate(start);
      let year = at.getUTCFullYear();
      if (year < MIN_YEAR || year > MAX_YEAR) return undefined;
      let month = at.getUTCMonth();
      let day = at.getUTCDate();
      let h = at.getUTCHours();
      let m = at.getUTCMinutes();
      let s = at.getUTCSeconds();
      // A day's wall times: from (h, m, s) on the first day searched, from midnight on the others.
      for (let walked = 0; walked < MAX_DAYS; walked++) {
        const nextMonth = months[month]!;
        if (nextMonth !== month) {
          // The month is not in the schedule: its first allowed successor, this year or the next.
          if (nextMonth === -1) {
            year += 1;
            month = months[0]!;
          } else month = nextMonth;
          day = 1;
          h = m = s = 0;
          continue;
        }
        const date = NativeDate.UTC(year, month, day);
        if (day > 28 && new NativeDate(date).getUTCMonth() !== month) {
          // Past the month's last day: on to the next month.
          month += 1;
          if (month === 12) {
            month = 0;
            year += 1;
          }
          day = 1;
          h = m = s = 0;
          continue;
        }
        if (dayMatches(day, new NativeDate(date).getUTCDay())) {
          const time = firstTimeOfDay(h, m, s);
          if (time !== undefined) return date + time;
        }
        day += 1;
        h = m = s = 0;
        if (year > MAX_YEAR) return undefined;
      }
      return undefined;
    },
  };

  /** The first allowed time of day at or after (h, m, s), ms since midnight; undefined: none that day. */
  function firstTimeOfDay(h: number, m: number, s: number): number | undefined {
    let hour = hours[h]!;
    if (hour === -1) return undefined;
    let minute = hour === h ? minutes[m]! : firstMinute;
    let sec = hour === h && minute === m ? seconds[s]! : firstSecond;
    if (minute === -1 || sec === -1) {
      // Nothing left in this minute (or hour): the next minute, then the next hour.
      if (minute !== -1 && minute + 1 < 60 && minutes[minute + 1]! !== -1) {
        minute = minutes[minute + 1]!;
        sec = firstSecond;
      } else {
        if (hour + 1 >= 24 || hours[hour + 1]! === -1) return undefined;
        hour = hours[hour + 1]!;
        minute = firstMinute;
        sec = firstSecond;
      }
    }
    return ((hour * 60 + minute) * 60 + sec) * SECOND;
  }
}
