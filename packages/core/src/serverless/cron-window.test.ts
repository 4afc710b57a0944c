import { afterEach, describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { testScheduler } from '../../test/harness.js';
import type { Trigger } from '../triggers/trigger.js';
import { runCronWindow, type CronWindowReport } from './cron-window.js';

const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);
const open: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((scheduler) => scheduler.shutdown()));
});

/** A scheduler as a Worker module would make one, with every run it is asked for recorded. */
function workerScheduler() {
  const made = testScheduler();
  open.push(made.scheduler);
  const runs: { taskId: string; times: number[] }[] = [];
  made.scheduler.on('task:submitted', ({ taskId, scheduledRunTimes }) => void runs.push({ taskId, times: scheduledRunTimes.map((time) => time.getTime()) }));
  made.scheduler.define('record', () => undefined);
  return { ...made, runs };
}

/** Every multiple of `step` ms in (from, to]. */
function grid(step: number, from: number, to: number): number[] {
  const times: number[] = [];
  for (let time = (Math.floor(from / step) + 1) * step; time <= to; time += step) times.push(time);
  return times;
}

describe('runCronWindow: one platform cron invocation', () => {
  it('runs every fire between two ticks of the platform cron once: none twice, none lost', async () => {
    const { scheduler, runs } = workerScheduler();
    await scheduler.addTask({ id: 'cron', handler: 'record', trigger: { type: 'cron', expression: '*/5 * * * *' } });
    await scheduler.addTask({ id: 'every-3-min', handler: 'record', trigger: { type: 'interval', minutes: 3 }, coalesce: false });
    await scheduler.addTask({ id: 'every-7-min-coalesced', handler: 'record', trigger: { type: 'interval', minutes: 7 } });
    await scheduler.addTask({ id: 'once', handler: 'record', trigger: { type: 'date', runAt: '2026-03-01T12:37:00Z' } });
    const from = at('2026-03-01T12:00:00Z');
    const to = at('2026-03-01T14:00:00Z');
    const reports: CronWindowReport[] = [];
    for (let tick = from + 10 * MINUTE; tick <= to; tick += 10 * MINUTE) {
      const report = await runCronWindow(scheduler, { cron: '*/10 * * * *', scheduledTime: new Date(tick) });
      expect(report.after.getTime()).toBe(tick - 10 * MINUTE);
      expect(report.upTo.getTime()).toBe(tick);
      reports.push(report);
    }
    const submitted = (taskId: string) => runs.filter((run) => run.taskId === taskId).flatMap((run) => run.times);
    const reported = (taskId: string) => reports.flatMap((report) => report.runs.filter((run) => run.taskId === taskId).flatMap((run) => run.scheduledRunTimes.map((time) => time.getTime())));
    // Every fire is in exactly one invocation's report.
    expect(reported('cron')).toEqual(grid(5 * MINUTE, from, to));
    // An interval with no startAt counts from the epoch where nothing persists between calls.
    expect(reported('every-3-min')).toEqual(grid(3 * MINUTE, from, to));
    expect(reported('every-7-min-coalesced')).toEqual(grid(7 * MINUTE, from, to));
    expect(reported('once')).toEqual([at('2026-03-01T12:37:00Z')]);
    // coalesce (the default) runs once per invocation, for the latest fire; coalesce: false runs each fire.
    expect(submitted('cron')).toEqual(grid(10 * MINUTE, from, to));
    expect(submitted('every-3-min')).toEqual(grid(3 * MINUTE, from, to));
    expect(reports.flatMap((report) => report.runs.filter((run) => run.taskId === 'cron').map((run) => run.coalesced))).toEqual(Array(12).fill(true));
  });

  it('passes the fire time to the handler and reports failures as events, not as a failed invocation', async () => {
    const { scheduler, ofType } = workerScheduler();
    const seen: string[] = [];
    scheduler.define('fails', (_args, ctx) => {
      seen.push(ctx.scheduledAt.toISOString());
      throw new Error('boom');
    });
    await scheduler.addTask({ id: 'failing', handler: 'fails', trigger: { type: 'cron', expression: '0 * * * *' } });
    const report = await runCronWindow(scheduler, { cron: '0 * * * *', scheduledTime: at('2026-03-01T12:00:00Z') });
    expect(report.runs).toEqual([{ taskId: 'failing', store: 'default', scheduledRunTimes: [new Date('2026-03-01T12:00:00Z')], coalesced: false }]);
    expect(seen).toEqual(['2026-03-01T12:00:00.000Z']);
    expect(ofType('task:error')).toHaveLength(1);
  });

  it('skips paused tasks, and one task that cannot be planned does not keep the others from running', async () => {
    const { scheduler, runs, logger } = workerScheduler();
    const broken: Trigger = {
      type: 'broken',
      getNextFireTime: () => {
        throw new Error('cannot compute');
      },
      toJSON: () => ({ type: 'broken' }),
      describe: () => 'broken',
    };
    await scheduler.start({ paused: true });
    await scheduler.addTask({ id: 'healthy', handler: 'record', trigger: { type: 'cron', expression: '* * * * *' } });
    await scheduler.addTask({ id: 'paused', handler: 'record', trigger: { type: 'cron', expression: '* * * * *' } });
    await scheduler.pauseTask('paused');
    await scheduler.addTask({ id: 'broken', handler: 'record', trigger: broken, nextRunTime: Date.now() });
    await runCronWindow(scheduler, { cron: '* * * * *', scheduledTime: at('2026-03-01T12:00:00Z') });
    expect(runs.map((run) => run.taskId)).toEqual(['healthy']);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'Task "broken" was not run for this cron invocation.' }));
  });

  it('keeps the scheduler from running the same fires on its own timer', async () => {
    const { scheduler } = workerScheduler();
    await scheduler.start();
    await runCronWindow(scheduler, { cron: '* * * * *', scheduledTime: Date.now() });
    expect(scheduler.state).toBe('paused');
  });

  it.each([
    [{ cron: 'every minute', scheduledTime: 0 }, 'INVALID_TRIGGER'],
    [{ cron: '', scheduledTime: 0 }, 'INVALID_OPTION'],
    [{ cron: '* * * * *', scheduledTime: Number.NaN }, 'INVALID_OPTION'],
  ])('refuses %j', async (invocation, code) => {
    const { scheduler } = workerScheduler();
    const error = await runCronWindow(scheduler, invocation).catch((thrown: unknown) => thrown);
    expect(isHoraeError(error, code as never)).toBe(true);
  });
});
