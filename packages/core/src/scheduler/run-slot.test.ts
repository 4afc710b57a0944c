import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../stores/memory.js';
import { testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');
beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A store where a replica that died left a run of `report` holding its lease for two more seconds. */
async function storeWithDeadRun(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.acquireRunLease({ taskId: 'report', runId: 'dead-run', owner: 'dead-replica', scheduledAt: start - 10_000 }, 1, 2_000);
  return store;
}

describe("a fire refused a run slot by another run's lease", () => {
  it('waits for the slot within its misfire grace time, and runs when the lease lapses', async () => {
    const { scheduler, ofType } = testScheduler({ stores: { default: await storeWithDeadRun() } });
    const ran: number[] = [];
    scheduler.define('report', (_args, ctx) => void ran.push(ctx.scheduledAt.getTime() - start));
    await scheduler.addTask({ id: 'report', handler: 'report', trigger: { type: 'date', runAt: start + 100 }, misfireGraceTime: 3_000 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(ran).toEqual([100]);
    expect(ofType('task:max-instances')).toEqual([]);
    await scheduler.shutdown();
  });

  it('is reported as refused once its grace time is spent, not before', async () => {
    const { scheduler, ofType } = testScheduler({ stores: { default: await storeWithDeadRun() } });
    const ran: number[] = [];
    scheduler.define('report', (_args, ctx) => void ran.push(ctx.scheduledAt.getTime() - start));
    await scheduler.addTask({ id: 'report', handler: 'report', trigger: { type: 'date', runAt: start + 100 }, misfireGraceTime: 500 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(300);
    expect(ofType('task:max-instances')).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ran).toEqual([]);
    expect(ofType('task:max-instances').map((event) => event.scheduledRunTimes.map((time) => time.getTime() - start))).toEqual([[100]]);
    await scheduler.shutdown();
  });

  it('gives up and is reported at shutdown', async () => {
    const { scheduler, ofType } = testScheduler({ stores: { default: await storeWithDeadRun() } });
    scheduler.define('report', () => undefined);
    await scheduler.addTask({ id: 'report', handler: 'report', trigger: { type: 'date', runAt: start + 100 }, misfireGraceTime: null });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(500);
    const stopping = scheduler.shutdown();
    await vi.advanceTimersByTimeAsync(300);
    await stopping;
    expect(ofType('task:max-instances')).toHaveLength(1);
    expect(ofType('task:executed')).toEqual([]);
  });
});
