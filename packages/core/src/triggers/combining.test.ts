import { describe, expect, it } from 'vitest';
import { AndTrigger, OrTrigger } from './combining.js';
import { fireTimes, makeTrigger } from '../../test/trigger-helpers.js';

const now = Date.parse('2026-01-01T00:00:00Z'); // a Thursday

describe('and / or triggers', () => {
  it('and: fires only where every trigger fires', () => {
    const trigger = makeTrigger(
      {
        type: 'and',
        triggers: [
          { type: 'cron', expression: '0 9 * * *' },
          { type: 'cron', expression: '0 * * * 1' },
        ],
      },
      now,
    );
    expect(trigger).toBeInstanceOf(AndTrigger);
    expect(fireTimes(trigger, now, 2)).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-12T09:00:00.000Z']);
  });

  it('and: combines a cron trigger with an interval grid', () => {
    const trigger = makeTrigger(
      {
        type: 'and',
        triggers: [
          { type: 'cron', expression: '0 9 * * *' },
          { type: 'interval', days: 2, startAt: '2026-01-02T09:00:00Z' },
        ],
      },
      now,
    );
    expect(fireTimes(trigger, now, 3)).toEqual(['2026-01-02T09:00:00.000Z', '2026-01-04T09:00:00.000Z', '2026-01-06T09:00:00.000Z']);
  });

  it('and: finishes when one of its triggers does', () => {
    const trigger = makeTrigger(
      { type: 'and', triggers: [{ type: 'cron', expression: '0 9 * * *' }, { type: 'date', runAt: '2026-01-03T09:00:00Z' }] },
      now,
    );
    expect(fireTimes(trigger, now, 5)).toEqual(['2026-01-03T09:00:00.000Z']);
  });

  it('or: fires whenever any trigger fires, once for a shared time', () => {
    const trigger = makeTrigger(
      {
        type: 'or',
        triggers: [
          { type: 'cron', expression: '0 8 * * 1-5' },
          { type: 'cron', expression: '0 10 * * 0,6' },
          { type: 'date', runAt: '2026-01-02T08:00:00Z' },
        ],
      },
      now,
    );
    expect(trigger).toBeInstanceOf(OrTrigger);
    expect(fireTimes(trigger, now, 4)).toEqual([
      '2026-01-01T08:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
      '2026-01-03T10:00:00.000Z',
      '2026-01-04T10:00:00.000Z',
    ]);
  });

  it('round-trip through JSON and describe their parts', () => {
    const trigger = makeTrigger(
      { type: 'or', jitter: 250, triggers: [{ type: 'cron', expression: '0 8 * * *' }, { type: 'interval', hours: 5, startAt: now }] },
      now,
    );
    const copy = makeTrigger(JSON.parse(JSON.stringify(trigger.toJSON())) as { type: string }, now);
    expect(fireTimes(copy, now, 8)).toEqual(fireTimes(trigger, now, 8));
    expect(copy.jitter).toBe(250);
    expect(trigger.describe()).toBe("or[cron '0 8 * * *' (UTC), interval every 5 hours]");
  });

  it('refuse an empty list', () => {
    expect(() => makeTrigger({ type: 'and', triggers: [] }, now)).toThrowError(/non-empty array/);
  });
});
