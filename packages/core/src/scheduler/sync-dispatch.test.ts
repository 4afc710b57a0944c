import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunContext } from '../tasks/task.js';
import { AsyncExecutor } from '../executors/async.js';
import { InlineExecutor } from '../executors/inline.js';
import { MemoryStore } from '../stores/memory.js';
import type { ClaimOptions, StoredTask } from '../stores/store.js';
import { deferred, PersistentMemoryStore, testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A scheduler on memory stores, started, whose `tick` handler records when it was called. */
async function started(options: Parameters<typeof testScheduler>[0] = {}) {
  const harness = testScheduler(options);
  const calls: { taskId: string; at: number; scheduledAt: number }[] = [];
  harness.scheduler.define('tick', (_args, ctx: RunContext) => void calls.push({ taskId: ctx.taskId, at: Date.now(), scheduledAt: ctx.scheduledAt.getTime() }));
  await harness.scheduler.start();
  return { ...harness, calls };
}

describe('dispatch from stores in this process, within the timer callback', () => {
  it('calls handlers inside the timer callback, once per fire, when fake timers are advanced synchronously', async () => {
    const { scheduler, calls } = await started();
    // A run ends (and leaves its maxInstances slot) in the microtasks after its handler returns,
    // which a synchronous advance does not reach: room for overlapping runs, as setInterval has.
    await scheduler.addTask({ id: 'every-second', handler: 'tick', trigger: { type: 'interval', seconds: 1 }, maxInstances: 100 });
    await scheduler.addTask({ id: 'every-two', handler: 'tick', trigger: { type: 'interval', seconds: 2 }, maxInstances: 100 });
    await vi.advanceTimersByTimeAsync(0);
    // No await from here on: nothing but the timers' own callbacks can call a handler.
    vi.advanceTimersByTime(4_000);
    expect(calls.filter((call) => call.taskId === 'every-second').map((call) => call.at - start)).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(calls.filter((call) => call.taskId === 'every-two').map((call) => call.at - start)).toEqual([2_000, 4_000]);
    // Each handler was called at its own fire time, not folded into a later one.
    expect(calls.every((call) => call.at === call.scheduledAt)).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(calls).toHaveLength(7);
    await scheduler.shutdown();
  });

  it('announces a run (task:submitted) before its handler does anything', async () => {
    const { scheduler, events } = await started();
    const seen: string[] = [];
    scheduler.define('look', () => void seen.push(...events.map((event) => event.type)));
    await scheduler.addTask({ id: 'once', handler: 'look', trigger: { type: 'date', runAt: start + 500 } });
    vi.advanceTimersByTime(500);
    expect(seen.at(-1)).toBe('task:submitted');
    await scheduler.shutdown();
  });

  it('counts a run among the running instances while its handler is being called', async () => {
    const executor = new AsyncExecutor();
    const { scheduler } = await started({ executors: { default: executor } });
    const running: number[] = [];
    scheduler.define('count', () => void running.push(executor.runningInstances('counted')));
    await scheduler.addTask({ id: 'counted', handler: 'count', trigger: { type: 'interval', seconds: 10, startAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(100);
    expect(running).toEqual([1]);
    await scheduler.shutdown();
  });

  it('does not call a handler inside the call that made its task due (addTask, resume), but right after it', async () => {
    const { scheduler, calls } = await started();
    scheduler.pause();
    const adding = scheduler.addTask({ id: 'now', handler: 'tick', trigger: { type: 'date', runAt: start } });
    await adding;
    scheduler.resume();
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.taskId)).toEqual(['now']);
    await scheduler.shutdown();
  });

  it('dispatches a burst of due tasks in the one timer callback, in batches', async () => {
    const { scheduler, calls } = await started({ batchSize: 7 });
    for (let index = 0; index < 50; index++) await scheduler.addTask({ id: `burst-${index}`, handler: 'tick', trigger: { type: 'date', runAt: start + 1_000 } });
    await vi.advanceTimersByTimeAsync(0);
    vi.advanceTimersByTime(1_000);
    expect(calls).toHaveLength(50);
    expect(new Set(calls.map((call) => call.taskId)).size).toBe(50);
    await scheduler.shutdown();
  });

  it('runs the inline executor one run after another, going on once each has ended', async () => {
    const { scheduler } = await started({ executors: { default: new InlineExecutor() } });
    const order: string[] = [];
    const gate = deferred();
    scheduler.define('slow', async (_args, ctx: RunContext) => {
      order.push(`start ${ctx.taskId}`);
      await gate.promise;
      order.push(`end ${ctx.taskId}`);
    });
    await scheduler.addTask({ id: 'a', handler: 'slow', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.addTask({ id: 'b', handler: 'slow', trigger: { type: 'date', runAt: start + 100 } });
    vi.advanceTimersByTime(100);
    expect(order).toEqual(['start a']);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
    await scheduler.shutdown();
  });

  it("calls a store's own dispatch steps when a subclass replaces them, a turn at a time", async () => {
    const claims: number[] = [];
    class Counting extends MemoryStore {
      override claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
        claims.push(options.now);
        return super.claimDueTasks(options);
      }
    }
    expect(new Counting().sync).toBeUndefined();
    expect(new MemoryStore().sync).toBeDefined();
    const { scheduler, calls } = await started({ stores: { default: new Counting() } });
    await scheduler.addTask({ id: 'due', handler: 'tick', trigger: { type: 'date', runAt: start + 100 } });
    vi.advanceTimersByTime(100);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.taskId)).toEqual(['due']);
    expect(claims).toContain(start + 100);
    await scheduler.shutdown();
  });

  it('dispatches the stores in this process in the callback and the others after it, in one round', async () => {
    class Remote extends PersistentMemoryStore {
      override claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
        return super.claimDueTasks(options);
      }
    }
    const { scheduler, calls } = await started({ stores: { default: new MemoryStore(), shared: new Remote() } });
    await scheduler.addTask({ id: 'local', handler: 'tick', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.addTask({ id: 'shared', store: 'shared', handler: 'tick', trigger: { type: 'date', runAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(0);
    vi.advanceTimersByTime(100);
    expect(calls.map((call) => call.taskId)).toEqual(['local']);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.taskId)).toEqual(['local', 'shared']);
    await scheduler.shutdown();
  });

  it('keeps no heartbeat for runs in a store of this process: their leases do not expire', async () => {
    const { scheduler } = await started();
    const gate = deferred();
    scheduler.define('long', () => gate.promise);
    await scheduler.addTask({ id: 'long', handler: 'long', trigger: { type: 'date', runAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(100);
    // The run goes on; only timers that end by themselves are left, so runAllTimers ends.
    vi.runAllTimers();
    expect(vi.getTimerCount()).toBe(0);
    const [instance] = await scheduler.getInstances();
    expect(instance?.runs).toEqual([expect.objectContaining({ taskId: 'long', expiresAt: null })]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await scheduler.getInstances())[0]?.runs).toEqual([expect.objectContaining({ taskId: 'long', expiresAt: null })]);
    gate.resolve();
    await scheduler.shutdown();
  });

  it('lets a handler that keeps making work due at once give the event loop back', async () => {
    const { scheduler } = await started();
    let count = 0;
    scheduler.define('again', () => {
      count += 1;
      if (count < 1_000) void scheduler.addTask({ id: `again-${count}`, handler: 'again', trigger: { type: 'date', runAt: start + 100 } });
    });
    await scheduler.addTask({ id: 'again-0', handler: 'again', trigger: { type: 'date', runAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(count).toBe(1_000));
    await scheduler.shutdown();
  });

  it('ends waits for a run slot at shutdown without waiting for their timers', async () => {
    // Two schedulers on one store: the second is refused the run lease the first one's run holds.
    const store = new MemoryStore();
    const gate = deferred();
    const [first, second] = [testScheduler({ stores: { default: store } }), testScheduler({ stores: { default: store } })];
    for (const { scheduler } of [first, second]) scheduler.define('busy', () => gate.promise);
    await first.scheduler.start();
    await first.scheduler.addTask({ id: 'busy', handler: 'busy', trigger: { type: 'interval', seconds: 1 }, maxInstances: 1, misfireGraceTime: null });
    await vi.advanceTimersByTimeAsync(1_000);
    await first.scheduler.shutdown({ wait: false });
    await second.scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(second.ofType('task:max-instances')).toEqual([]);
    // The fire of 2 s waits for the slot; the clock stands still from here on.
    let stopped = false;
    void second.scheduler.shutdown({ wait: false }).then(() => (stopped = true));
    for (let turn = 0; turn < 200 && !stopped; turn++) await new Promise((resolve) => process.nextTick(resolve));
    expect(stopped).toBe(true);
    expect(second.ofType('task:max-instances').map((event) => event.scheduledRunTimes.map((time) => time.getTime() - start))).toEqual([[2_000]]);
    gate.resolve();
  });
});
