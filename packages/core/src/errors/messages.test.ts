import { describe, expect, it } from 'vitest';
import { Scheduler } from '../scheduler/scheduler.js';
import { isHoraeError } from './errors.js';
import { refusal } from '../../test/harness.js';

describe('error messages', () => {
  const scheduler = new Scheduler({ timezone: 'UTC' });
  scheduler.define('noop', () => undefined);

  it('show NaN and Infinity as such, not as null', async () => {
    const nan = await refusal(() => new Scheduler({ batchSize: Number.NaN }));
    expect(nan.message).toContain('invalid batchSize NaN');
    const infinite = await refusal(() => scheduler.addTask({ handler: 'noop', trigger: 'date', maxInstances: Infinity }));
    expect(infinite.message).toContain('invalid maxInstances Infinity');
  });

  it('say that an empty cron expression is empty', async () => {
    const error = await refusal(() => scheduler.addTask({ handler: 'noop', trigger: { type: 'cron', expression: '  ' } }));
    expect(isHoraeError(error, 'INVALID_TRIGGER')).toBe(true);
    expect(error.message).toContain('it is empty');
    expect(error.message).not.toContain('field(s)');
  });

  it('shorten a long bad value instead of echoing it whole', async () => {
    const long = 'x'.repeat(1_000);
    const error = await refusal(() => scheduler.addTask({ handler: long, trigger: 'date' }));
    expect(isHoraeError(error, 'HANDLER_NOT_DEFINED')).toBe(true);
    expect(error.message).toContain(`"${'x'.repeat(117)}..."`);
    expect(error.message.length).toBeLessThan(400);
  });

  it('refuse a trigger nested too deep with a typed error, not a stack overflow', async () => {
    let trigger: Record<string, unknown> = { type: 'date' };
    for (let level = 0; level < 20_000; level++) trigger = { type: 'or', triggers: [trigger] };
    const error = await refusal(() => scheduler.addTask({ handler: 'noop', trigger: trigger as never }));
    expect(isHoraeError(error, 'INVALID_TRIGGER')).toBe(true);
    expect(error.message).toContain('nested more than 32 levels deep');
    let shallow: Record<string, unknown> = { type: 'interval', hours: 1 };
    for (let level = 0; level < 30; level++) shallow = { type: 'or', triggers: [shallow] };
    await expect(scheduler.addTask({ handler: 'noop', trigger: shallow as never })).resolves.toBeDefined();
  });
});
