/**
 * Asyncz-style cron fields (`year, month, day, week, dayOfWeek, hour, minute, second`) turned
 * into what the cron engine needs: a six-field expression for cron-parser plus the two filters
 * it has no field for, the year and the ISO week.
 */

/** The cron fields a trigger may be given instead of an expression. @public */
export interface CronFields {
  /** 4-digit year: `2030`, `'2030-2035'`, `'*\/2'`. */
  year?: number | string;
  /** 1-12 or `jan`-`dec`. */
  month?: number | string;
  /** Day of month 1-31, `'last'`, or an nth weekday: `'1st mon'`, `'3rd fri'`, `'last sun'`. */
  day?: number | string;
  /** ISO week of the year, 1-53. */
  week?: number | string;
  /** Day of week: `mon`-`sun`, or 0-6 with 0 = Monday (as in Asyncz / APScheduler). */
  dayOfWeek?: number | string;
  hour?: number | string;
  minute?: number | string;
  second?: number | string;
}

export const CRON_FIELD_NAMES = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'] as const;
export type CronFieldName = (typeof CRON_FIELD_NAMES)[number];

/** A set of integers given by `*`, `a`, `a-b`, `*\/n`, `a-b/n`, `a/n` atoms. */
export interface NumberSet {
  readonly spec: string;
  readonly ranges: ReadonlyArray<{ from: number; to: number; step: number }>;
}

/**
 * What is wrong with a cron field, in words. Internal: `createCronTrigger` catches it and throws
 * an `INVALID_TRIGGER` HoraeError whose message includes it (and whose cause it is).
 */
export class FieldError extends Error {}

const ATOM = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/;

/** Parses a number-set spec over [min, max]; throws {@link FieldError} naming the field. */
export function parseNumberSet(field: string, spec: string, min: number, max: number): NumberSet {
  const ranges = spec.split(',').map((raw) => {
    const atom = raw.trim();
    const match = ATOM.exec(atom);
    if (!match) throw new FieldError(`${field} ${JSON.stringify(atom)} is not one of *, N, N-M, */S, N-M/S, N/S`);
    const [, first, last, step] = match;
    const from = first === '*' ? min : Number(first);
    const to = first === '*' ? max : last !== undefined ? Number(last) : step !== undefined ? max : from;
    const stepSize = step === undefined ? 1 : Number(step);
    if (first === '*' && last !== undefined) throw new FieldError(`${field} ${JSON.stringify(atom)}: * cannot start a range`);
    if (from < min || to > max || from > to) {
      throw new FieldError(`${field} ${JSON.stringify(atom)} is outside ${min}-${max} (or its range is reversed)`);
    }
    if (stepSize < 1) throw new FieldError(`${field} ${JSON.stringify(atom)}: the step must be 1 or more`);
    return { from, to, step: stepSize };
  });
  return { spec, ranges };
}

/** The smallest member of `set` that is >= value, or null. */
export function nextInSet(set: NumberSet, value: number): number | null {
  let best: number | null = null;
  for (const { from, to, step } of set.ranges) {
    if (value > to) continue;
    const candidate = value <= from ? from : from + Math.ceil((value - from) / step) * step;
    if (candidate <= to && (best === null || candidate < best)) best = candidate;
  }
  return best;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ORDINALS: Record<string, string> = { '1st': '1', '2nd': '2', '3rd': '3', '4th': '4', '5th': '5' };

/** Asyncz weekday (0 = Monday) to cron-parser weekday (1 = Monday ... 7 = Sunday). */
function weekdayIndex(token: string): number {
  const byName = WEEKDAYS.indexOf(token.toLowerCase() as (typeof WEEKDAYS)[number]);
  if (byName >= 0) return byName;
  if (/^[0-6]$/.test(token)) return Number(token);
  throw new FieldError(`dayOfWeek ${JSON.stringify(token)} is not mon-sun or 0-6 (0 = Monday)`);
}

/** Expands an Asyncz day-of-week field into cron-parser's explicit list (handles wrap-around). */
function convertDayOfWeek(spec: string): string {
  const days = new Set<number>();
  for (const raw of spec.split(',')) {
    const atom = raw.trim().toLowerCase();
    const [range = '', stepText] = atom.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new FieldError(`dayOfWeek ${JSON.stringify(atom)}: the step must be 1 or more`);
    let from = 0;
    let to = 6;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = weekdayIndex(a);
      to = b === undefined ? (stepText === undefined ? from : 6) : weekdayIndex(b);
    }
    const span = (to - from + 7) % 7;
    for (let offset = 0; offset <= span; offset += step) days.add((from + offset) % 7);
  }
  return [...days].sort((a, b) => a - b).map((day) => day + 1).join(',');
}

export interface ConvertedFields {
  /** Six-field expression for cron-parser: second minute hour day month dayOfWeek. */
  expression: string;
  years: NumberSet | null;
  weeks: NumberSet | null;
  /** ISO weekdays (1 = Monday ... 7 = Sunday) that must match as well as the day of month. */
  weekdays: ReadonlySet<number> | null;
}

/**
 * Applies Asyncz's defaults — fields more significant than the least significant one given are
 * `*`, less significant ones their minimum; `week` and `dayOfWeek` default to `*` — and converts.
 */
export function convertFields(fields: CronFields): ConvertedFields {
  const given = CRON_FIELD_NAMES.filter((name) => fields[name] !== undefined && fields[name] !== null);
  if (given.length === 0) throw new FieldError('give an expression or at least one of the fields ' + CRON_FIELD_NAMES.join(', '));
  const least = Math.max(...given.map((name) => CRON_FIELD_NAMES.indexOf(name)));
  const text = (name: CronFieldName): string | undefined => {
    const value = fields[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new FieldError(`${name} ${value} is not a whole number`);
      return String(value);
    }
    if (typeof value !== 'string' || value.trim() === '') throw new FieldError(`${name} ${JSON.stringify(value)} must be a number or a non-empty string`);
    return value.trim();
  };
  const orDefault = (name: CronFieldName, minimum: string): string =>
    text(name) ?? (CRON_FIELD_NAMES.indexOf(name) < least ? '*' : minimum);

  let day = orDefault('day', '1');
  let dayOfWeek = text('dayOfWeek') ?? '*';
  if (dayOfWeek !== '*') dayOfWeek = convertDayOfWeek(dayOfWeek);

  // Day-of-month forms that cron expresses through the day-of-week field.
  const nth = /^(1st|2nd|3rd|4th|5th|last)\s+([a-z]{3})$/i.exec(day);
  if (nth) {
    if (text('dayOfWeek') !== undefined) throw new FieldError(`day ${JSON.stringify(day)} names a weekday, so dayOfWeek cannot be set too`);
    const weekday = weekdayIndex(nth[2]!) + 1;
    const which = nth[1]!.toLowerCase();
    dayOfWeek = which === 'last' ? `${weekday}L` : `${weekday}#${ORDINALS[which]}`;
    day = '*';
  } else if (day.toLowerCase() === 'last') {
    day = 'L';
  }

  // Asyncz combines fields with AND; cron ORs a restricted day of month with a restricted day of
  // week. When both are given, the weekday becomes a filter so that AND still holds.
  let weekdays: Set<number> | null = null;
  if (day !== '*' && dayOfWeek !== '*') {
    weekdays = new Set(dayOfWeek.split(',').map((d) => (Number(d) === 0 ? 7 : Number(d))));
    dayOfWeek = '*';
  }

  const yearText = text('year');
  const weekText = text('week');
  return {
    expression: [orDefault('second', '0'), orDefault('minute', '0'), orDefault('hour', '0'), day, orDefault('month', '1'), dayOfWeek].join(' '),
    years: yearText === undefined || yearText === '*' ? null : parseNumberSet('year', yearText, 1970, 9999),
    weeks: weekText === undefined || weekText === '*' ? null : parseNumberSet('week', weekText, 1, 53),
    weekdays,
  };
}
