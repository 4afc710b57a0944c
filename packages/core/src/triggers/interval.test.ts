import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { fireTimes, makeTrigger } from '../../test/trigger-helpers.js';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('interval trigger', () => {
  it('starts one interval after now by default and adds the units up', () => {
    const trigger = makeTrigger({ type: 'interval', minutes: 1, seconds: 30 }, now);
    expect(fireTimes(trigger, now, 3)).toEqual(['2026-01-01T00:01:30.000Z', '2026-01-01T00:03:00.000Z', '2026-01-01T00:04:30.000Z']);
  });

  it('fires on the startAt grid, so a late or jittered previous fire does not drift the schedule', () => {
    const trigger = makeTrigger({ type: 'interval', seconds: 10, startAt: '2026-01-01T00:00:00Z' }, now);
    // previous fire happened 3.5 s late (or was jittered): the next is still on the grid
    expect(trigger.getNextFireTime(now + 13_500, now + 13_500)).toBe(now + 20_000);
    // asked without a previous fire at a time between grid points: the next grid point
    expect(trigger.getNextFireTime(null, now + 25_000)).toBe(now + 30_000);
    // exactly on a grid point counts as due
    expect(trigger.getNextFireTime(null, now + 30_000)).toBe(now + 30_000);
  });

  it('waits for a future startAt and stops after endAt', () => {
    const trigger = makeTrigger({ type: 'interval', hours: 1, startAt: '2026-01-02T00:00:00Z', endAt: '2026-01-02T02:00:00Z' }, now);
    expect(fireTimes(trigger, now, 10)).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-02T01:00:00.000Z', '2026-01-02T02:00:00.000Z']);
  });

  it('is elapsed time: a day is 24 hours across a daylight-saving change', () => {
    const start = Date.parse('2026-03-07T12:00:00-05:00');
    const trigger = makeTrigger({ type: 'interval', days: 1, startAt: start, timezone: 'America/New_York' }, start);
    expect(trigger.getNextFireTime(start, start)! - start).toBe(86_400_000);
  });

  it('reads startAt strings without an offset in its time zone', () => {
    const trigger = makeTrigger({ type: 'interval', hours: 1, startAt: '2026-06-01T09:00:00', timezone: 'Europe/Berlin' }, now);
    expect(new Date(trigger.getNextFireTime(null, now)!).toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });

  it('round-trips through JSON and keeps its grid', () => {
    const trigger = makeTrigger({ type: 'interval', weeks: 1, hours: 2, milliseconds: 5, jitter: 100 }, now);
    const json = trigger.toJSON();
    expect(json).toMatchObject({ type: 'interval', weeks: 1, hours: 2, milliseconds: 5, jitter: 100, timezone: 'UTC' });
    const copy = makeTrigger(JSON.parse(JSON.stringify(json)) as { type: string }, now + 999_999);
    expect(fireTimes(copy, now, 5)).toEqual(fireTimes(trigger, now, 5));
    expect(copy.describe()).toBe('interval every 1 week 2 hours 5 milliseconds');
  });

  it.each([
    [{ type: 'interval' }, /must be above zero/],
    [{ type: 'interval', seconds: 0 }, /must be above zero/],
    [{ type: 'interval', seconds: -5 }, /seconds -5 is not allowed/],
    [{ type: 'interval', minutes: 'ten' }, /minutes "ten" is not allowed/],
    [{ type: 'interval', seconds: 1, startAt: 'not a date' }, /startAt "not a date" is not a date/],
    [{ type: 'interval', seconds: 1, startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' }, /endAt .* is before startAt/],
    [{ type: 'interval', seconds: 1, jitter: -1 }, /jitter -1/],
  ])('refuses %j with a clear, typed error naming the task', (spec, message) => {
    let caught: unknown;
    try {
      makeTrigger(spec, now);
    } catch (error) {
      caught = error;
    }
    expect(isHoraeError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('Task "test-task"');
  });

  it('refuses an unknown time zone', () => {
    expect(() => makeTrigger({ type: 'interval', seconds: 1, timezone: 'Mars/Olympus' }, now)).toThrowError(
      expect.objectContaining({ code: 'INVALID_TIMEZONE', message: expect.stringContaining('"Mars/Olympus"') }),
    );
  });
});
