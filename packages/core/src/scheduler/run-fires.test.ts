import { afterEach, describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { deferred, testScheduler } from '../../test/harness.js';

const open: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((scheduler) => scheduler.shutdown()));
});

describe('scheduler.runFires', () => {
  it('runs the handler once per fire time given, in order, and resolves when the runs have ended', async () => {
    const { scheduler, ofType } = testScheduler();
    open.push(scheduler);
    const seen: string[] = [];
    scheduler.define('slow', async (_args, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(ctx.scheduledAt.toISOString());
    });
    await scheduler.start({ paused: true });
    await scheduler.addTask({ id: 'slow', handler: 'slow', trigger: { type: 'interval', hours: 1 } });
    const before = (await scheduler.getTask('slow'))!.nextRunTime;
    await scheduler.runFires('slow', [new Date('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T01:00:00Z')]);
    expect(seen).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z']);
    expect(ofType('task:submitted')).toHaveLength(1);
    // The schedule is the caller's: it does not move.
    expect((await scheduler.getTask('slow'))!.nextRunTime).toEqual(before);
    // The run's lease is gone: the next call is not refused under maxInstances.
    await scheduler.runFires('slow', [Date.parse('2026-01-01T02:00:00Z')]);
    expect(seen).toHaveLength(3);
    expect(ofType('task:max-instances')).toHaveLength(0);
  });

  it('gives its runs abort signals of their own, which a shutdown past its timeout still aborts', async () => {
    const { scheduler } = testScheduler();
    const aborted = deferred<unknown>();
    const started = deferred();
    scheduler.define('stuck', (_args, ctx) =>
      new Promise<void>((resolve) => {
        started.resolve();
        ctx.signal.addEventListener('abort', () => {
          aborted.resolve(ctx.signal.reason);
          resolve();
        });
      }),
    );
    await scheduler.start({ paused: true });
    await scheduler.addTask({ id: 'stuck', handler: 'stuck', trigger: { type: 'interval', hours: 1 } });
    const run = scheduler.runFires('stuck', [Date.now()]);
    await started.promise;
    await scheduler.shutdown({ timeout: 10 });
    expect(isHoraeError(await aborted.promise, 'TASK_ABORTED')).toBe(true);
    await run;
  });

  it('refuses fire times that are not times, and a stopped scheduler', async () => {
    const { scheduler } = testScheduler();
    open.push(scheduler);
    scheduler.define('noop', () => undefined);
    await expect(scheduler.runFires('x', [Date.now()])).rejects.toMatchObject({ code: 'SCHEDULER_NOT_RUNNING' });
    await scheduler.start({ paused: true });
    await scheduler.addTask({ id: 'x', handler: 'noop', trigger: { type: 'interval', hours: 1 } });
    await expect(scheduler.runFires('x', [])).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(scheduler.runFires('x', [Number.NaN])).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(scheduler.runFires('missing', [Date.now()])).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });
});
