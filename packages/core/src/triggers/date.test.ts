import { describe, expect, it } from 'vitest';
import { DateTrigger } from './date.js';
import { makeTrigger } from '../../test/trigger-helpers.js';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('date trigger', () => {
  it('fires once at its date', () => {
    const trigger = makeTrigger({ type: 'date', runAt: '2026-05-01T10:00:00Z' }, now);
    const first = trigger.getNextFireTime(null, now);
    expect(first).toBe(Date.parse('2026-05-01T10:00:00Z'));
    expect(trigger.getNextFireTime(first, now)).toBeNull();
  });

  it('without a date runs now, however late it gets to run', () => {
    const trigger = makeTrigger('date', now);
    expect(trigger.getNextFireTime(null, now + 5)).toBe(now);
    expect(trigger.defaultMisfireGraceTime).toBeNull();
    expect(makeTrigger({ type: 'date', runAt: now }, now).defaultMisfireGraceTime).toBeUndefined();
  });

  it('accepts Dates, epoch numbers and zone-less ISO strings read in its time zone', () => {
    expect(makeTrigger({ type: 'date', runAt: new Date(now) }, 0).getNextFireTime(null, 0)).toBe(now);
    const berlin = makeTrigger({ type: 'date', runAt: '2026-07-01T12:00:00', timezone: 'Europe/Berlin' }, now);
    expect(berlin.getNextFireTime(null, now)).toBe(Date.parse('2026-07-01T10:00:00Z'));
    expect(berlin.describe()).toBe("date '2026-07-01T12:00:00+02:00'");
  });

  it('round-trips through JSON', () => {
    const trigger = makeTrigger({ type: 'date', runAt: '2026-05-01T10:00:00.250Z' }, now);
    const copy = makeTrigger(JSON.parse(JSON.stringify(trigger.toJSON())) as { type: string }, now);
    expect(copy).toBeInstanceOf(DateTrigger);
    expect(copy.getNextFireTime(null, now)).toBe(trigger.getNextFireTime(null, now));
  });

  it('refuses a value that is not a date', () => {
    expect(() => makeTrigger({ type: 'date', runAt: 'tomorrow-ish' }, now)).toThrowError(/runAt "tomorrow-ish" is not a date/);
  });
});
