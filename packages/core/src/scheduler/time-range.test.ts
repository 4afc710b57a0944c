import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { PersistentMemoryStore, testScheduler } from '../../test/harness.js';

describe('times past what a Date can hold are refused before anything is written', () => {
  it.each([
    ['a next run time before -8.64e15', { nextRunTime: -8.64e15 - 1 }, 'INVALID_OPTION', 'invalid nextRunTime -8640000000000001'],
    ['a date after +8.64e15', { trigger: { type: 'date', runAt: 8.64e15 + 1 } }, 'INVALID_TRIGGER', 'runAt 8640000000000001 is not a date'],
    ['an ISO date past year 275760', { trigger: { type: 'date', runAt: '+275761-01-01T00:00:00Z' } }, 'INVALID_TRIGGER', 'is not a date'],
    ['an interval of 1e308 seconds', { trigger: { type: 'interval', seconds: 1e308 } }, 'INVALID_TRIGGER', 'it must be at most 8640000000000000 ms'],
    ['an interval of MAX_SAFE_INTEGER ms', { trigger: { type: 'interval', milliseconds: Number.MAX_SAFE_INTEGER } }, 'INVALID_TRIGGER', 'it must be at most'],
    ['an interval whose first fire is past the end of time', { trigger: { type: 'interval', milliseconds: 8.64e15 } }, 'INVALID_TRIGGER', "its trigger's first fire time"],
  ])('%s', async (_what, options, code, message) => {
    const { scheduler } = testScheduler({ stores: { default: new PersistentMemoryStore() } });
    scheduler.define('noop', () => undefined);
    await scheduler.start({ paused: true });
    let thrown: unknown;
    try {
      await scheduler.addTask({ id: 'far', handler: 'noop', trigger: 'date', ...options });
    } catch (error) {
      thrown = error;
    }
    expect(isHoraeError(thrown, code as never)).toBe(true);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).toContain('Task "far"');
    expect(await scheduler.getTasks()).toEqual([]);
    expect(await scheduler.getTaskInfos()).toEqual([]);
    await scheduler.shutdown();
  });
});
