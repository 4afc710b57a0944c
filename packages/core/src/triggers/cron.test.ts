import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { fireTimes, makeTrigger } from '../../test/trigger-helpers.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const cron = (options: Record<string, unknown>, at = now, zone = 'UTC') => makeTrigger({ type: 'cron', ...options }, at, zone);

describe('cron trigger: expressions', () => {
  it('reads five fields', () => {
    expect(fireTimes(cron({ expression: '30 3 * * *' }), now, 2)).toEqual(['2026-01-01T03:30:00.000Z', '2026-01-02T03:30:00.000Z']);
  });

  it('reads six fields with a leading second', () => {
    expect(fireTimes(cron({ expression: '*/20 0 0 * * *' }), now, 3)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
    ]);
  });

  it('reads seven fields with a trailing year, jumping to the allowed years', () => {
    expect(fireTimes(cron({ expression: '0 0 12 1 1 * 2028,2030' }), now, 3)).toEqual([
      '2028-01-01T12:00:00.000Z',
      '2030-01-01T12:00:00.000Z',
    ]);
  });

  it('counts a fire exactly at now as due, and the next one strictly after a previous fire', () => {
    const trigger = cron({ expression: '0 * * * *' });
    expect(trigger.getNextFireTime(null, now)).toBe(now);
    expect(trigger.getNextFireTime(now, now)).toBe(now + 3_600_000);
    expect(trigger.getNextFireTime(null, now + 1)).toBe(now + 3_600_000);
  });

  it('honours startAt and endAt', () => {
    const trigger = cron({ expression: '0 12 * * *', startAt: '2026-03-01T00:00:00Z', endAt: '2026-03-02T12:00:00Z' });
    expect(fireTimes(trigger, now, 5)).toEqual(['2026-03-01T12:00:00.000Z', '2026-03-02T12:00:00.000Z']);
  });

  it('reads the expression in its time zone', () => {
    const trigger = cron({ expression: '0 9 * * *', timezone: 'Asia/Tokyo' });
    // 09:00 in Tokyo is midnight UTC
    expect(fireTimes(trigger, now + 1, 1)).toEqual(['2026-01-02T00:00:00.000Z']);
    expect(trigger.describe()).toBe("cron '0 9 * * *' (Asia/Tokyo)");
  });

  it('uses the scheduler time zone when none is given', () => {
    const trigger = cron({ expression: '0 9 * * *' }, now, 'America/New_York');
    expect(trigger.toJSON()).toMatchObject({ timezone: 'America/New_York' });
    expect(fireTimes(trigger, now, 1)).toEqual(['2026-01-01T14:00:00.000Z']);
  });

  it('shares one parsed schedule between tasks without sharing their windows', () => {
    const a = cron({ expression: '0 0 * * *' });
    const b = cron({ expression: '0 0 * * *', startAt: '2026-02-01T00:00:00Z' });
    expect(a.getNextFireTime(null, now)).toBe(now);
    expect(b.getNextFireTime(null, now)).toBe(Date.parse('2026-02-01T00:00:00Z'));
    expect(a.getNextFireTime(null, now)).toBe(now);
  });

  it('answers questions in any order, whatever it remembers of earlier ones', () => {
    const trigger = cron({ expression: '0 */6 * * *' });
    const hour = 3_600_000;
    expect(trigger.getNextFireTime(now + 1, now)).toBe(now + 6 * hour);
    expect(trigger.getNextFireTime(now + 5 * hour, now)).toBe(now + 6 * hour); // inside the remembered range
    expect(trigger.getNextFireTime(now + 6 * hour, now)).toBe(now + 12 * hour); // at its end
    expect(trigger.getNextFireTime(now - 1, now)).toBe(now); // before it
    expect(trigger.getNextFireTime(now + 7 * hour, now)).toBe(now + 12 * hour);
  });

  it('round-trips through JSON', () => {
    const trigger = cron({ expression: '15 10 * * 1-5', timezone: 'Europe/Berlin', endAt: '2027-01-01T00:00:00Z', jitter: 500 });
    const copy = makeTrigger(JSON.parse(JSON.stringify(trigger.toJSON())) as { type: string }, now);
    expect(copy.toJSON()).toEqual(trigger.toJSON());
    expect(fireTimes(copy, now, 10)).toEqual(fireTimes(trigger, now, 10));
    expect(copy.jitter).toBe(500);
  });

  it.each([
    ['61 * * * *'],
    ['* * *'],
    ['not a cron'],
    ['0 0 30 2 *'],
    ['0 0 1 1 * 1999'],
  ])('refuses %j with a typed error that names the expression and what is allowed', (expression) => {
    let caught: unknown;
    try {
      cron({ expression });
    } catch (error) {
      caught = error;
    }
    expect(isHoraeError(caught, 'INVALID_TRIGGER')).toBe(true);
    expect((caught as Error).message).toContain(JSON.stringify(expression));
    expect((caught as Error).message).toContain('Allowed: 5 fields');
    expect((caught as Error).message).toContain('Task "test-task"');
  });
});

describe('cron trigger: Asyncz-style fields', () => {
  it('defaults less significant fields to their minimum and more significant ones to *', () => {
    expect(fireTimes(cron({ hour: 3 }), now, 2)).toEqual(['2026-01-01T03:00:00.000Z', '2026-01-02T03:00:00.000Z']);
    expect(fireTimes(cron({ minute: '*/30' }), now, 3)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
  });

  it('numbers days of the week from Monday = 0 and accepts names, ranges and wrap-around', () => {
    // 2026-01-01 is a Thursday
    expect(fireTimes(cron({ dayOfWeek: 0 }), now, 1)).toEqual(['2026-01-05T00:00:00.000Z']);
    expect(fireTimes(cron({ dayOfWeek: 'sat-mon', hour: 8 }), now, 3)).toEqual([
      '2026-01-03T08:00:00.000Z',
      '2026-01-04T08:00:00.000Z',
      '2026-01-05T08:00:00.000Z',
    ]);
  });

  it('supports the last day and the nth weekday of a month', () => {
    expect(fireTimes(cron({ day: 'last' }), now, 2)).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    expect(fireTimes(cron({ day: '2nd tue', hour: 9 }), now, 2)).toEqual(['2026-01-13T09:00:00.000Z', '2026-02-10T09:00:00.000Z']);
    expect(fireTimes(cron({ day: 'last fri' }), now, 1)).toEqual(['2026-01-30T00:00:00.000Z']);
  });

  it('combines day and dayOfWeek with AND, as Asyncz does', () => {
    // Friday the 13th
    expect(fireTimes(cron({ day: 13, dayOfWeek: 'fri' }), now, 2)).toEqual(['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z']);
  });

  it('filters by year and ISO week', () => {
    expect(fireTimes(cron({ year: '2027-2028', month: 6 }), now, 2)).toEqual(['2027-06-01T00:00:00.000Z', '2028-06-01T00:00:00.000Z']);
    // ISO week 10 of 2026 starts Monday 2026-03-02
    expect(fireTimes(cron({ week: 10, hour: 12 }), now, 2)).toEqual(['2026-03-02T12:00:00.000Z', '2026-03-03T12:00:00.000Z']);
  });

  it('describes and round-trips the fields', () => {
    const trigger = cron({ dayOfWeek: 'mon-fri', hour: 9, minute: 30, timezone: 'Europe/Berlin' });
    expect(trigger.describe()).toBe("cron[dayOfWeek='mon-fri', hour='9', minute='30'] (Europe/Berlin)");
    const copy = makeTrigger(JSON.parse(JSON.stringify(trigger.toJSON())) as { type: string }, now);
    expect(fireTimes(copy, now, 6)).toEqual(fireTimes(trigger, now, 6));
  });

  it.each([
    [{ hour: 24 }, /hour/],
    [{ dayOfWeek: 'funday' }, /dayOfWeek "funday"/],
    [{ year: 'soon' }, /year "soon"/],
    [{ week: '0' }, /week "0" is outside 1-53/],
    [{ expression: '* * * * *', hour: 1 }, /either an expression or fields/],
    [{}, /at least one of the fields/],
    [{ day: '1st mon', dayOfWeek: 'tue' }, /cannot be set too/],
  ])('refuses %j', (options, message) => {
    expect(() => cron(options)).toThrowError(expect.objectContaining({ code: 'INVALID_TRIGGER', message: expect.stringMatching(message) }));
  });
});

/**
 * Daylight saving. Documented behaviour (see CronTrigger): a local time that does not exist fires
 * once, shifted by the gap; a local time that occurs twice fires once, at its first occurrence;
 * expressions whose hour is `*` follow elapsed time.
 */
describe('cron trigger across daylight-saving changes', () => {
  const local = (zone: string, expression: string, from: string, count: number) =>
    fireTimes(cron({ expression, timezone: zone }, Date.parse(from)), Date.parse(from), count);

  describe('America/New_York', () => {
    it('spring forward (2026-03-08, 02:00 -> 03:00): 02:30 fires once, at 03:30 EDT, and daily times stay local', () => {
      expect(local('America/New_York', '30 2 * * *', '2026-03-07T12:00:00Z', 3)).toEqual([
        '2026-03-08T07:30:00.000Z', // 03:30 EDT: 02:30 does not exist that day
        '2026-03-09T06:30:00.000Z', // 02:30 EDT
        '2026-03-10T06:30:00.000Z',
      ]);
      expect(local('America/New_York', '0 9 * * *', '2026-03-07T00:00:00Z', 2)).toEqual([
        '2026-03-07T14:00:00.000Z', // 09:00 EST
        '2026-03-08T13:00:00.000Z', // 09:00 EDT
      ]);
    });

    it('spring forward: an every-30-minutes job skips the missing hour, no extra fires', () => {
      expect(local('America/New_York', '*/30 * * * *', '2026-03-08T06:00:00Z', 5)).toEqual([
        '2026-03-08T06:00:00.000Z', // 01:00 EST
        '2026-03-08T06:30:00.000Z', // 01:30 EST
        '2026-03-08T07:00:00.000Z', // 03:00 EDT
        '2026-03-08T07:30:00.000Z', // 03:30 EDT
        '2026-03-08T08:00:00.000Z',
      ]);
    });

    it('fall back (2026-11-01, 02:00 -> 01:00): 01:30 fires once, at its first occurrence', () => {
      expect(local('America/New_York', '30 1 * * *', '2026-10-31T12:00:00Z', 2)).toEqual([
        '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not fire again
        '2026-11-02T06:30:00.000Z',
      ]);
    });

    it('fall back: an every-30-minutes job follows elapsed time through both copies of 01:xx', () => {
      expect(local('America/New_York', '*/30 * * * *', '2026-11-01T04:45:00Z', 6)).toEqual([
        '2026-11-01T05:00:00.000Z', // 01:00 EDT
        '2026-11-01T05:30:00.000Z', // 01:30 EDT
        '2026-11-01T06:00:00.000Z', // 01:00 EST
        '2026-11-01T06:30:00.000Z', // 01:30 EST
        '2026-11-01T07:00:00.000Z', // 02:00 EST
        '2026-11-01T07:30:00.000Z',
      ]);
    });
  });

  describe('several times in a skipped hour', () => {
    it('each fires once, shifted by the gap, in order (Berlin, 2026-03-29)', () => {
      expect(local('Europe/Berlin', '0,30 2 * * *', '2026-03-28T12:00:00Z', 4)).toEqual([
        '2026-03-29T01:00:00.000Z', // 02:00 -> 03:00 CEST
        '2026-03-29T01:30:00.000Z', // 02:30 -> 03:30 CEST
        '2026-03-30T00:00:00.000Z', // 02:00 CEST
        '2026-03-30T00:30:00.000Z',
      ]);
      expect(local('Europe/Berlin', '15,45 2 * * *', '2026-03-28T12:00:00Z', 3)).toEqual([
        '2026-03-29T01:15:00.000Z',
        '2026-03-29T01:45:00.000Z',
        '2026-03-30T00:15:00.000Z',
      ]);
    });

    it('each fires once, shifted by the gap (New York, 2026-03-08)', () => {
      expect(local('America/New_York', '*/20 2 * * *', '2026-03-07T12:00:00Z', 4)).toEqual([
        '2026-03-08T07:00:00.000Z', // 03:00 EDT
        '2026-03-08T07:20:00.000Z',
        '2026-03-08T07:40:00.000Z',
        '2026-03-09T06:00:00.000Z', // 02:00 EDT
      ]);
    });

    it('leaves wildcard-hour schedules alone: shifted times coincide with real ones', () => {
      expect(local('America/New_York', '0,45 * * * *', '2026-03-08T06:30:00Z', 4)).toEqual([
        '2026-03-08T06:45:00.000Z', // 01:45 EST
        '2026-03-08T07:00:00.000Z', // 03:00 EDT
        '2026-03-08T07:45:00.000Z', // 03:45 EDT
        '2026-03-08T08:00:00.000Z',
      ]);
    });
  });

  describe('Europe/Berlin', () => {
    it('spring forward (2026-03-29, 02:00 -> 03:00): 02:30 fires once, at 03:30 CEST', () => {
      expect(local('Europe/Berlin', '30 2 * * *', '2026-03-28T12:00:00Z', 3)).toEqual([
        '2026-03-29T01:30:00.000Z', // 03:30 CEST
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
        '2026-03-31T00:30:00.000Z',
      ]);
    });

    it('fall back (2026-10-25, 03:00 -> 02:00): 02:30 fires once; hourly fires every real hour', () => {
      expect(local('Europe/Berlin', '30 2 * * *', '2026-10-24T12:00:00Z', 2)).toEqual([
        '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first occurrence
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
      expect(local('Europe/Berlin', '0 * * * *', '2026-10-24T23:30:00Z', 4)).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T01:00:00.000Z', // 02:00 CET
        '2026-10-25T02:00:00.000Z', // 03:00 CET
        '2026-10-25T03:00:00.000Z',
      ]);
    });
  });
});
