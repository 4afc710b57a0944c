/**
 * Time inside Horae is epoch milliseconds (numbers): cheap to store, compare and serialise.
 * Users hand in `Date`s, epoch numbers or ISO strings; these helpers convert and validate.
 */
import { DateTime } from 'luxon';

/** A point in time as users may give it: a `Date`, epoch milliseconds, or an ISO 8601 string. @public */
export type DateInput = Date | number | string;

/**
 * The largest distance from the epoch a `Date` can hold, ms (years -271821 to 275760): a time
 * beyond it cannot be shown, stored as an ISO string, or compared with one.
 */
export const MAX_EPOCH = 8.64e15;

/** Whether a number is epoch milliseconds a `Date` can hold. */
export function isValidEpoch(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_EPOCH;
}

/** What the messages say is allowed for a time. */
export const TIME_RANGE = 'a time between -271821-04-20 and +275760-09-13 (epoch ms within ±8.64e15)';

/** The largest delay `setTimeout` accepts; longer ones overflow and fire at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

const validZones = new Map<string, boolean>();

/** Whether `zone` is an IANA time-zone name this runtime knows. */
export function isValidTimezone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  let valid = validZones.get(zone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      valid = true;
    } catch {
      valid = false;
    }
    validZones.set(zone, valid);
  }
  return valid;
}

/** The system's time zone, as the runtime reports it. */
export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** An ISO instant in UTC as `Date.prototype.toISOString` writes it. */
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Converts a date input to epoch milliseconds. ISO strings without an offset are read as wall
 * time in `zone`. Returns `undefined` when the input is not a valid point in time.
 */
export function toEpoch(input: unknown, zone: string): number | undefined {
  if (input instanceof Date) {
    const ms = input.getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (typeof input === 'number') return isValidEpoch(input) ? input : undefined;
  if (typeof input === 'string') {
    // The form records are written in (toISOString): read many times faster than by Luxon.
    // Date.parse rolls "02-30" over to March, so only a string it writes back alike is taken.
    if (UTC_ISO.test(input)) {
      const ms = Date.parse(input);
      if (!Number.isNaN(ms) && new Date(ms).toISOString() === input) return ms;
    }
    const parsed = DateTime.fromISO(input, { zone, setZone: true });
    return parsed.isValid && isValidEpoch(parsed.toMillis()) ? parsed.toMillis() : undefined;
  }
  return undefined;
}

/** Renders epoch milliseconds as an ISO string in the given zone, for descriptions. */
export function formatInZone(epoch: number, zone: string): string {
  return DateTime.fromMillis(epoch, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(epoch).toISOString();
}
