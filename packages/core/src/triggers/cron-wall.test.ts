import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { compileWallClock } from './cron-wall.js';

/** A seeded generator, so that a failure names the case that failed and repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** cron-parser's answer, the reference: its search in UTC. */
function reference(expression: string, after: number): number {
  const parsed = CronExpressionParser.parse(expression, { tz: 'UTC' });
  parsed.reset(new Date(after));
  return parsed.next().getTime();
}

const EXPRESSIONS = [
  '* * * * * *',
  '*/5 * * * *',
  '0 * * * *',
  '0 3 * * *',
  '15 10 * * 1-5',
  '0 0 1 * *',
  '0 0 29 2 *',
  '0 0 31 * *',
  '30 2 * * 0',
  '0 0 * * 7',
  '0 0 13 * 5',
  '0 0 1-7 * 1',
  '59 59 23 31 12 *',
  '*/7 */13 */5 * * *',
  '0 12 ? * 2,4,6',
  '5,10,15 8-17/3 1,15 */2 *',
  '0 0 1-31 * 1-5',
  '@hourly',
  '@weekly',
  '@yearly',
];

describe('the wall-time search by calendar arithmetic', () => {
  it("answers as cron-parser does, for every expression from 3,000 instants across four centuries' calendars", () => {
    const next = random(20261207);
    for (const expression of EXPRESSIONS) {
      const search = compileWallClock(CronExpressionParser.parse(expression, { tz: 'UTC' }));
      expect(search, expression).not.toBeNull();
      for (let index = 0; index < 150; index++) {
        // From 1900 to 2300, at any millisecond: month ends, leap days, year ends included.
        const after = Date.UTC(1900, 0, 1) + Math.floor(next() * 400 * 365.25 * 86_400_000);
        const found = search!.next(after);
        expect(found === undefined ? reference(expression, after) : found, `${expression} after ${new Date(after).toISOString()}`).toBe(reference(expression, after));
      }
    }
  });

  it('answers as cron-parser does at the edges of seconds, days, months and years', () => {
    const edges = [
      Date.UTC(2024, 1, 28, 23, 59, 59),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2023, 1, 28, 23, 59, 59, 500),
      Date.UTC(2026, 11, 31, 23, 59, 59),
      Date.UTC(2026, 11, 31, 23, 59, 59, 1),
      Date.UTC(2027, 0, 1),
      Date.UTC(2026, 5, 15, 10, 15),
      Date.UTC(2026, 5, 15, 10, 14, 59, 999),
    ];
    for (const expression of EXPRESSIONS) {
      const search = compileWallClock(CronExpressionParser.parse(expression, { tz: 'UTC' }))!;
      for (const after of edges) expect(search.next(after), `${expression} after ${new Date(after).toISOString()}`).toBe(reference(expression, after));
    }
  });

  it('leaves L, # and the first centuries of the calendar to cron-parser', () => {
    for (const expression of ['0 0 L * *', '0 0 * * 5L', '0 0 * * 5#3']) {
      expect(compileWallClock(CronExpressionParser.parse(expression, { tz: 'UTC' })), expression).toBeNull();
    }
    const daily = compileWallClock(CronExpressionParser.parse('0 3 * * *', { tz: 'UTC' }))!;
    expect(daily.next(new Date(0).setUTCFullYear(50, 5, 1))).toBeUndefined();
    // A leap day from a year before one that is not leap (2100): seven years on.
    const leapDay = compileWallClock(CronExpressionParser.parse('0 0 29 2 *', { tz: 'UTC' }))!;
    expect(leapDay.next(Date.UTC(2097, 2, 1))).toBe(Date.UTC(2104, 1, 29));
  });
});
