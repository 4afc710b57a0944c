import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../stores/memory.js';
import { RunLog } from '../stores/run-log.js';
import type { StoredRun } from '../stores/store.js';
import { deferred, refusal, testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the run history', () => {
  it('records each run with its fire time, instance, times, outcome, error and result, newest first', async () => {
    const { scheduler, ofType } = testScheduler({ instanceId: 'replica-1' });
    let calls = 0;
    scheduler.define('report', async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (calls === 2) throw Object.assign(new Error('mail server said no'), { code: 'EMAIL_REFUSED' });
      return { sent: calls, to: 'ops' };
    });
    await scheduler.addTask({ id: 'report', handler: 'report', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(2_400);

    const runs = await scheduler.getRuns('report');
    expect(runs.map((run) => run.outcome)).toEqual(['failed', 'succeeded']);
    const [failed, succeeded] = runs;
    expect(succeeded).toMatchObject({
      taskId: 'report',
      scheduledAt: [new Date(start + 1_000)],
      instanceId: 'replica-1',
      startedAt: new Date(start + 1_000),
      endedAt: new Date(start + 1_300),
      outcome: 'succeeded',
      result: '{"sent":1,"to":"ops"}',
    });
    expect(succeeded!.duration).toBeCloseTo(300, -1);
    expect(failed).toMatchObject({ scheduledAt: [new Date(start + 2_000)], outcome: 'failed', error: { message: 'mail server said no', code: 'EMAIL_REFUSED' } });
    expect(failed!.error!.stack).toContain('mail server said no');
    expect(failed!.runId).not.toBe(succeeded!.runId);
    // Announced once each, after they were written.
    expect(ofType('run:recorded').map((event) => event.run.runId).sort()).toEqual(runs.map((run) => run.runId).sort());
    await scheduler.shutdown();
  });

  it('records missed fires and fires skipped under maxInstances', async () => {
    const { scheduler } = testScheduler();
    const release = deferred();
    scheduler.define('slow', () => release.promise);
    scheduler.define('tick', () => undefined);
    await scheduler.addTask({ id: 'slow', handler: 'slow', trigger: { type: 'interval', seconds: 1 }, maxInstances: 1 });
    await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 }, misfireGraceTime: 500, coalesce: true });
    await scheduler.start({ paused: true });
    await vi.advanceTimersByTimeAsync(3_000);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(1_000);

    const [skipped] = await scheduler.getRuns('slow');
    expect(skipped).toMatchObject({ outcome: 'skipped', startedAt: null, duration: null, scheduledAt: [new Date(start + 4_000)] });
    const ticks = await scheduler.getRuns('tick');
    expect(ticks.find((run) => run.outcome === 'missed')).toMatchObject({ scheduledAt: [new Date(start + 1_000), new Date(start + 2_000)], startedAt: null });
    release.resolve();
    await scheduler.shutdown();
  });

  it('keeps the newest runs per task, pages with limit and before, and writes waiting runs before reading', async () => {
    const { scheduler } = testScheduler({ runHistory: { perTask: 3 } });
    scheduler.define('tick', () => undefined);
    await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(5_000);
    // No flush delay waited for: the last run is still waiting to be written when this reads.
    const kept = await scheduler.getRuns('tick', { limit: 10 });
    expect(kept.map((run) => run.scheduledAt[0]!.getTime())).toEqual([start + 5_000, start + 4_000, start + 3_000]);
    const page = await scheduler.getRuns('tick', { limit: 1, before: kept[0]!.endedAt });
    expect(page.map((run) => run.scheduledAt[0]!.getTime())).toEqual([start + 4_000]);
    await scheduler.shutdown();
  });

  it('keeps the runs of a deleted task readable until they age out', async () => {
    const { scheduler } = testScheduler({ runHistory: { maxAge: 60_000 } });
    scheduler.define('tick', () => undefined);
    await scheduler.addTask({ id: 'once', handler: 'tick', trigger: { type: 'date', runAt: start + 1_000 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await scheduler.getTask('once')).toBeNull();
    expect((await scheduler.getRuns('once')).map((run) => run.outcome)).toEqual(['succeeded']);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(await scheduler.getRuns('once')).toEqual([]);
    await scheduler.shutdown();
  });

  it('records nothing with runHistory: false', async () => {
    const { scheduler, ofType } = testScheduler({ runHistory: false });
    scheduler.define('tick', () => undefined);
    await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await scheduler.getRuns('tick')).toEqual([]);
    expect(ofType('run:recorded')).toEqual([]);
    await scheduler.shutdown();
  });

  it('refuses bad history options and queries', async () => {
    expect(() => testScheduler({ runHistory: { perTask: 0 } })).toThrow(/runHistory.perTask 0/);
    expect(() => testScheduler({ runHistory: { maxage: 5 } as never })).toThrow(/did you mean "maxAge"/);
    const { scheduler } = testScheduler();
    expect(await refusal(() => scheduler.getRuns('x', { limit: 0 }))).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('limit 0') });
    expect(await refusal(() => scheduler.getRuns('x', { before: 'yesterday' }))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(await refusal(() => scheduler.getRuns('x', { store: 'nowhere' }))).toMatchObject({ code: 'UNKNOWN_STORE' });
    expect(() => new MemoryStore({ maxRuns: -1 })).toThrow(/maxRuns/);
  });
});

describe('RunLog, the memory store history', () => {
  const run = (taskId: string, endedAt: number): StoredRun => ({ taskId, runId: `${taskId}@${endedAt}`, endedAt, payload: null });
  const ends = (runs: StoredRun[]) => runs.map((found) => found.endedAt);

  it('keeps per task the newest, in end order whatever the order written', () => {
    const log = new RunLog(100);
    log.add([run('a', 3), run('a', 1), run('a', 2), run('a', 5), run('a', 4)], { perTask: 3, maxAge: 1_000, now: 5 });
    expect(ends(log.get('a', { limit: 10 }))).toEqual([5, 4, 3]);
    expect(ends(log.get('a', { limit: 10, before: 5 }))).toEqual([4, 3]);
  });

  it('drops aged runs, and past its limit the oldest runs of the tasks written least recently', () => {
    const log = new RunLog(4);
    log.add([run('old', 1), run('old', 2)], { perTask: 10, maxAge: 100, now: 2 });
    log.add([run('b', 50), run('b', 51), run('c', 52)], { perTask: 10, maxAge: 100, now: 52 });
    expect(ends(log.get('old', { limit: 10 }))).toEqual([2]);
    log.add([run('c', 150)], { perTask: 10, maxAge: 100, now: 150 });
    // 'old' aged out (ended before 50), and nothing else is past the age or the limit.
    expect(ends(log.get('old', { limit: 10 }))).toEqual([]);
    expect(ends(log.get('b', { limit: 10 }))).toEqual([51, 50]);
    expect(ends(log.get('c', { limit: 10 }))).toEqual([150, 52]);
    const empty = new RunLog(0);
    empty.add([run('a', 1)], { perTask: 10, maxAge: 100, now: 1 });
    expect(empty.get('a', { limit: 10 })).toEqual([]);
  });
});
