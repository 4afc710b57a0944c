import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { TaskCodec } from '../stores/codec.js';
import { taskRecord } from '../tasks/task.js';
import { TriggerRegistry } from '../triggers/registry.js';
import { refusal } from '../../test/harness.js';

describe('unknown option keys given by code are refused with the nearest valid one', () => {
  const scheduler = new Scheduler({ timezone: 'UTC' });
  scheduler.define('noop', () => undefined);

  it.each([
    ['scheduler options', () => new Scheduler({ timezon: 'UTC' } as never), 'unknown option "timezon" in the scheduler options; did you mean "timezone"?'],
    ['task defaults', () => new Scheduler({ taskDefaults: { maxInstance: 2 } as never }), 'unknown option "maxInstance" in taskDefaults; did you mean "maxInstances"?'],
    ['task options', () => scheduler.addTask({ handler: 'noop', trigger: 'date', misfireGracetime: 5 } as never), 'unknown option "misfireGracetime" in the task options; did you mean "misfireGraceTime"?'],
    ['date trigger', () => scheduler.addTask({ handler: 'noop', trigger: { type: 'date', runat: '2030-01-01T00:00:00Z' } }), 'unknown option "runat" in the date trigger; did you mean "runAt"?'],
    ['cron trigger fields', () => scheduler.addTask({ handler: 'noop', trigger: { type: 'cron', hour: 3, minutes: 30 } }), 'unknown option "minutes" in the cron trigger; did you mean "minute"?'],
    ['interval trigger', () => scheduler.addTask({ handler: 'noop', trigger: { type: 'interval', second: 5 } }), 'unknown option "second" in the interval trigger; did you mean "seconds"?'],
    ['nested trigger', () => scheduler.addTask({ handler: 'noop', trigger: { type: 'or', triggers: [{ type: 'interval', minutes: 1, strtAt: 0 }] } }), 'unknown option "strtAt" in the interval trigger; did you mean "startAt"?'],
    ['shutdown trigger', () => scheduler.addTask({ handler: 'noop', trigger: { type: 'shutdown', when: 'now' } }), 'unknown option "when" in the shutdown trigger'],
  ])('%s', async (_what, action, message) => {
    const error = await refusal(action);
    expect(isHoraeError(error, 'INVALID_OPTION')).toBe(true);
    expect(error.message).toContain(message);
  });

  it('in task changes too, and nothing changes', async () => {
    const task = await scheduler.addTask({ id: 'changing', handler: 'noop', trigger: { type: 'interval', hours: 1 }, args: { a: 1 } });
    const error = await refusal(() => scheduler.updateTask('changing', { argz: { a: 2 } } as never));
    expect(error.message).toContain('unknown option "argz" in the task changes; did you mean "args"?');
    expect((await scheduler.getTask('changing'))?.args).toEqual(task.args);
  });
});

describe('records read back from a store stay lenient', () => {
  it('reads a stored trigger with a key this version does not know (written by a newer one)', () => {
    const triggers = new TriggerRegistry();
    const codec = new TaskCodec(true, undefined, triggers, 'UTC');
    const stored = codec.encode(
      taskRecord({
        id: 'newer',
        name: 'newer',
        handler: 'noop',
        args: null,
        trigger: triggers.create({ type: 'interval', minutes: 5 }, { timezone: 'UTC', now: 0 }),
        executor: 'default',
        coalesce: true,
        misfireGraceTime: null,
        maxInstances: 1,
        jitter: null,
        nextRunTime: 300_000,
        revision: 1,
      }),
    );
    const payload = JSON.parse(stored.payload as string) as { trigger: Record<string, unknown> };
    payload.trigger.alignTo = 'hour';
    const read = codec.decode({ ...stored, payload: JSON.stringify(payload) });
    expect(read.trigger.toJSON()).toMatchObject({ type: 'interval', minutes: 5 });
  });
});
