import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { TriggerRegistry } from './registry.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const registry = new TriggerRegistry();
const cron = (expression: string, timezone: string, now: number) => registry.create({ type: 'cron', expression, timezone }, { timezone: 'UTC', now });

/** The fire times of a cron trigger in (from, to]. */
function fires(expression: string, zone: string, from: number, to: number): number[] {
  const trigger = cron(expression, zone, from);
  const times: number[] = [];
  for (let next = trigger.getNextFireTime(from, from); next !== null && next <= to; next = trigger.getNextFireTime(next, next)) times.push(next);
  return times;
}

const iso = (times: number[]) => times.map((time) => new Date(time).toISOString());

describe('cron across the 30-minute daylight-saving changes of Australia/Lord_Howe', () => {
  // 2026-04-05 02:00 LHDT (+11:00) -> 01:30 LHST (+10:30); 2026-10-04 02:00 LHST -> 02:30 LHDT.
  const zone = 'Australia/Lord_Howe';

  it('keeps firing daily jobs through the fall back (they were read as finished and deleted)', () => {
    expect(iso(fires('0 2 * * *', zone, Date.parse('2026-04-04T10:00:00Z'), Date.parse('2026-04-07T00:00:00Z')))).toEqual([
      '2026-04-04T15:30:00.000Z', // 02:00 LHST on the 5th: after the change
      '2026-04-05T15:30:00.000Z',
      '2026-04-06T15:30:00.000Z',
    ]);
    expect(iso(fires('15 1 * * *', zone, Date.parse('2026-04-04T10:00:00Z'), Date.parse('2026-04-06T00:00:00Z')))).toEqual([
      '2026-04-04T14:15:00.000Z', // 01:15 LHDT, before the change; 01:15 does not repeat
      '2026-04-05T14:45:00.000Z', // 01:15 LHST
    ]);
    expect(iso(fires('5 4 * * sun', zone, Date.parse('2026-03-28T00:00:00Z'), Date.parse('2026-04-12T00:00:00Z')))).toEqual([
      '2026-03-28T17:05:00.000Z', // Sunday 29 March 04:05 LHDT
      '2026-04-04T17:35:00.000Z', // Sunday 5 April 04:05 LHST
      '2026-04-11T17:35:00.000Z',
    ]);
  });

  it('fires a time in the repeated half hour once, at its first occurrence, and every-2-hours on local even hours', () => {
    expect(iso(fires('45 1 * * *', zone, Date.parse('2026-04-04T12:00:00Z'), Date.parse('2026-04-05T12:00:00Z')))).toEqual([
      '2026-04-04T14:45:00.000Z', // 01:45 LHDT; 01:45 LHST (15:15Z) does not fire again
    ]);
    expect(iso(fires('0 */2 * * *', zone, Date.parse('2026-04-04T10:00:00Z'), Date.parse('2026-04-04T20:00:00Z')))).toEqual([
      '2026-04-04T11:00:00.000Z', // 22:00 LHDT
      '2026-04-04T13:00:00.000Z', // 00:00 LHDT
      '2026-04-04T15:30:00.000Z', // 02:00 LHST
      '2026-04-04T17:30:00.000Z', // 04:00
      '2026-04-04T19:30:00.000Z',
    ]);
  });

  it('shifts a time in the skipped half hour by the gap, once', () => {
    expect(iso(fires('15 2 * * *', zone, Date.parse('2026-10-03T10:00:00Z'), Date.parse('2026-10-05T00:00:00Z')))).toEqual([
      '2026-10-03T15:45:00.000Z', // 02:15 does not exist on the 4th: 02:45 LHDT
      '2026-10-04T15:15:00.000Z', // 02:15 LHDT
    ]);
  });

  it('computes at once (cron-parser spent over a second in a loop here)', () => {
    // Not a timing assertion: the answer exists and is not null, which it was after the loop.
    expect(cron('0 2 * * *', zone, Date.parse('2026-04-04T10:00:00Z')).getNextFireTime(null, Date.parse('2026-04-04T10:00:00Z'))).toBe(Date.parse('2026-04-04T15:30:00Z'));
  });
});

/**
 * An independent oracle, instant by instant: at each minute, the wall time the zone's clocks
 * show; a non-elapsed expression fires where that wall time matches and was not shown before
 * (the first copy of a repeated time), or, just after clocks jumped forward, where the wall time
 * the old offset would show matches (a skipped time, shifted by the gap); an elapsed one (hour
 * `*`) wherever the shown wall time matches. `offset(t)` is the zone's offset at minute t, ms.
 */
function oracle(expression: string, offset: (instant: number) => number, from: number, to: number): number[] {
  const fields = CronExpressionParser.parse(expression, { tz: 'UTC' }).fields;
  const sets = {
    minute: new Set<number>(fields.minute.values as number[]),
    hour: new Set<number>(fields.hour.values as number[]),
    day: new Set<number>((fields.dayOfMonth.values as unknown[]).filter((v): v is number => typeof v === 'number')),
    month: new Set<number>(fields.month.values as number[]),
    weekday: new Set<number>((fields.dayOfWeek.values as number[]).map((d) => d % 7)),
  };
  const elapsed = sets.hour.size === 24;
  const matches = (wall: number) => {
    const d = new Date(wall);
    return sets.minute.has(d.getUTCMinutes()) && sets.hour.has(d.getUTCHours()) && sets.day.has(d.getUTCDate()) && sets.month.has(d.getUTCMonth() + 1) && sets.weekday.has(d.getUTCDay());
  };
  const out: number[] = [];
  for (let t = from; t <= to; t += MINUTE) {
    const now = offset(t);
    const earlier = offset(t - 3 * HOUR);
    // Clocks went back by (earlier - now) within the last three hours, and t shows a time shown before.
    const repeated = earlier > now && offset(t - (earlier - now)) === earlier;
    // Clocks jumped forward by (now - earlier) less than that long ago: t + earlier was skipped.
    const skipped = earlier < now && offset(t - (now - earlier)) === earlier;
    if ((matches(t + now) && (elapsed || !repeated)) || (!elapsed && skipped && matches(t + earlier))) out.push(t);
  }
  return out;
}

/** The instants in `year` at which the zone's offset changes, to the minute. */
function transitions(zone: IANAZone, year: number): number[] {
  const found: number[] = [];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  for (let t = start; t < end; t += 6 * HOUR) {
    if (zone.offset(t) === zone.offset(t + 6 * HOUR)) continue;
    let low = t;
    let high = t + 6 * HOUR;
    while (high - low > MINUTE) {
      const middle = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
      if (zone.offset(middle) === zone.offset(t)) low = middle;
      else high = middle;
    }
    found.push(high);
  }
  return found;
}

describe('cron agrees with an instant-by-instant oracle around every offset change of 2026 in the IANA database', () => {
  const zones = Intl.supportedValuesOf('timeZone').map((name) => IANAZone.create(name));
  const changes = zones.flatMap((zone) => transitions(zone, 2026).map((at) => ({ zone, at })));

  it('finds the changes to check (30- and 60-minute ones among them)', () => {
    expect(changes.length).toBeGreaterThan(100);
    const sizes = new Set(changes.map(({ zone, at }) => Math.abs(zone.offset(at) - zone.offset(at - MINUTE))));
    expect(sizes.has(30)).toBe(true);
    expect(sizes.has(60)).toBe(true);
  });

  it('for daily, every-2-hours, hourly (elapsed) and two-times-a-night expressions, 12 h either side of each change', { timeout: 60_000 }, () => {
    const expressions = ['30 2 * * *', '0 */2 * * *', '15 * * * *', '45 0,1 * * *'];
    const disagreements: string[] = [];
    for (const { zone, at } of changes) {
      const from = at - 12 * HOUR;
      const to = at + 12 * HOUR;
      // The zone's offset at every minute of the window (and the three hours before it), once.
      const first = from - 3 * HOUR;
      const table = Array.from({ length: (to - first) / MINUTE + 1 }, (_, index) => zone.offset(first + index * MINUTE) * MINUTE);
      const offset = (instant: number) => table[(instant - first) / MINUTE]!;
      for (const expression of expressions) {
        const expected = oracle(expression, offset, from + MINUTE, to);
        const actual = fires(expression, zone.name, from, to);
        if (expected.join() !== actual.join()) disagreements.push(`${expression} in ${zone.name} around ${new Date(at).toISOString()}: expected ${iso(expected).join(' ')}, got ${iso(actual).join(' ')}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});
