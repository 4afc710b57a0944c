import { describe, expect, it } from 'vitest';
import { TriggerRegistry } from './registry.js';
import { ShutdownTrigger } from './shutdown.js';
import type { Trigger } from './trigger.js';

class EveryOtherHour implements Trigger {
  readonly type = 'every-other-hour';
  getNextFireTime(previous: number | null, now: number): number {
    const step = 2 * 3_600_000;
    return (Math.floor((previous ?? now - 1) / step) + 1) * step;
  }
  toJSON() {
    return { type: this.type };
  }
  describe() {
    return 'every other hour';
  }
}

describe('trigger registry', () => {
  const context = { timezone: 'UTC', now: 0, taskId: 't' };

  it('builds custom types from specs and names once registered', () => {
    const registry = new TriggerRegistry();
    expect(() => registry.create('every-other-hour', context)).toThrowError(/unknown trigger "every-other-hour"/);
    registry.register('every-other-hour', () => new EveryOtherHour());
    expect(registry.create('every-other-hour', context)).toBeInstanceOf(EveryOtherHour);
    expect(registry.create({ type: 'every-other-hour' }, context).getNextFireTime(null, 1)).toBe(7_200_000);
    expect(registry.types()).toContain('every-other-hour');
  });

  it('passes trigger instances through and nests custom types in combinations', () => {
    const registry = new TriggerRegistry();
    registry.register('every-other-hour', () => new EveryOtherHour());
    const instance = new EveryOtherHour();
    expect(registry.create(instance, context)).toBe(instance);
    const both = registry.create({ type: 'and', triggers: ['every-other-hour', { type: 'cron', expression: '0 */3 * * *' }] }, context);
    expect(both.getNextFireTime(null, 1)).toBe(6 * 3_600_000);
  });

  it('names the known types when given an unknown one', () => {
    expect(() => new TriggerRegistry().create({ type: 'weekly' }, context)).toThrowError(
      expect.objectContaining({ code: 'INVALID_TRIGGER', message: expect.stringContaining('"date", "interval", "cron", "and", "or", "shutdown"') }),
    );
  });

  it('has a shutdown trigger that never fires by time', () => {
    const trigger = new TriggerRegistry().create('shutdown', context);
    expect(trigger).toBeInstanceOf(ShutdownTrigger);
    expect(trigger.getNextFireTime(null, 0)).toBeNull();
    expect(trigger.firesOnShutdown).toBe(true);
  });
});
