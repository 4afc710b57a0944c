import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import type { RunContext } from '../tasks/task.js';
import { InlineExecutor } from '../executors/inline.js';
import { MemoryStore } from '../stores/memory.js';
import type { ClaimOptions, DispatchOutcome, StoredTask, TaskDispatch } from '../stores/store.js';
import { deferred, PersistentMemoryStore, testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('scheduler lifecycle', () => {
  it('starts and shuts down once however often it is asked, and never doubles a fire', async () => {
    const { scheduler, ofType } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await Promise.all([scheduler.start(), scheduler.start()]);
    await scheduler.start();
    expect(scheduler.state).toBe('running');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs).toEqual([start + 1_000, start + 2_000, start + 3_000]);
    await Promise.all([scheduler.shutdown(), scheduler.shutdown()]);
    await scheduler.shutdown();
    expect(scheduler.state).toBe('stopped');
    expect(ofType('scheduler:started')).toHaveLength(1);
    expect(ofType('scheduler:shutdown')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(3);
  });

  it('keeps tasks added before start pending, and adds them to their store at start', async () => {
    const { scheduler, ofType } = testScheduler();
    scheduler.define('noop', () => undefined);
    const task = await scheduler.addTask({ id: 'early', handler: 'noop', trigger: { type: 'interval', minutes: 1 } });
    expect(task.pending).toBe(true);
    expect((await scheduler.getTaskInfo('early'))?.state).toBe('pending');
    expect(ofType('task:added')).toHaveLength(0);
    await scheduler.start();
    expect((await scheduler.getTaskInfo('early'))?.state).toBe('scheduled');
    expect(ofType('task:added')).toEqual([expect.objectContaining({ taskId: 'early', store: 'default' })]);
    await scheduler.shutdown();
  });

  it('starts paused when asked, and resume dispatches what became due', async () => {
    const { scheduler, ofType } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'date', runAt: start + 1_000 }, misfireGraceTime: null });
    await scheduler.start({ paused: true });
    expect(scheduler.state).toBe('paused');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toEqual([]);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([start + 1_000]);
    scheduler.pause();
    expect(ofType('scheduler:paused')).toHaveLength(1);
    expect(ofType('scheduler:resumed')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('emits scheduler:started before anything its tasks do, and task:submitted before the handler runs', async () => {
    const { scheduler, events } = testScheduler();
    scheduler.define('mark', () => void events.push({ type: 'handler-ran' } as never));
    await scheduler.addTask({ handler: 'mark' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    const order = events.map((event) => event.type as string);
    expect(order[0]).toBe('scheduler:started');
    expect(order.indexOf('task:submitted')).toBeLessThan(order.indexOf('handler-ran'));
    expect(order.indexOf('handler-ran')).toBeLessThan(order.indexOf('task:executed'));
    expect(order).toContain('task:removed');
    await scheduler.shutdown();
  });

  it('refuses to pause, resume or run a task while stopped', async () => {
    const { scheduler } = testScheduler();
    scheduler.define('noop', () => undefined);
    await scheduler.addTask({ id: 'x', handler: 'noop', trigger: { type: 'interval', minutes: 1 } });
    expect(() => scheduler.pause()).toThrowError(expect.objectContaining({ code: 'SCHEDULER_NOT_RUNNING' }));
    expect(() => scheduler.resume()).toThrowError(/Call scheduler.start\(\) first/);
    await expect(scheduler.runTask('x')).rejects.toSatisfy((error) => isHoraeError(error, 'SCHEDULER_NOT_RUNNING'));
  });

  it('on shutdown waits for running handlers', async () => {
    const { scheduler, ofType } = testScheduler();
    const release = deferred();
    scheduler.define('slow', () => release.promise);
    await scheduler.addTask({ handler: 'slow' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = scheduler.shutdown().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(ofType('task:executed')).toHaveLength(1);
  });

  it('on shutdown aborts handlers still running after the timeout through ctx.signal, then resolves', async () => {
    const { scheduler, ofType, logger } = testScheduler();
    let signal: AbortSignal | undefined;
    scheduler.define('stuck', (_args, ctx: RunContext) => {
      signal = ctx.signal;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    await scheduler.addTask({ id: 'stuck', handler: 'stuck' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = scheduler.shutdown({ timeout: 5_000 }).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(signal?.aborted).toBe(false);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(signal?.aborted).toBe(true);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('shutdown timeout of 5000 ms'))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(ofType('task:error')[0]?.error).toSatisfy((error) => isHoraeError(error, 'TASK_ABORTED'));
  });

  it('takes the shutdown timeout once, and warns once, for a handler that ignores the abort', async () => {
    const { scheduler, logger } = testScheduler();
    scheduler.define('deaf', () => new Promise(() => undefined));
    await scheduler.addTask({ id: 'deaf', handler: 'deaf' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = scheduler.shutdown({ timeout: 5_000 }).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(true);
    await stopping;
    expect(logger.lines.filter((line) => line.level === 'warn' && line.message.includes('shutdown timeout'))).toHaveLength(1);
  });

  it('claims and leases for 5 s by default, so a dead instance is recognised within about 5 s', async () => {
    const durations: number[] = [];
    // Taken for a shared store: run leases in a store of this process's memory never expire.
    class Recording extends MemoryStore {
      override readonly persistent = true;
      override claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
        durations.push(options.duration);
        return super.claimDueTasks(options);
      }
      override dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
        for (const dispatch of dispatches) if (dispatch.run !== undefined) durations.push(dispatch.run.duration);
        return super.dispatchTasks(dispatches);
      }
    }
    const { scheduler } = testScheduler({ stores: { default: new Recording() } });
    scheduler.define('tick', () => undefined);
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await scheduler.shutdown();
    expect(durations.length).toBeGreaterThan(1);
    expect(new Set(durations)).toEqual(new Set([5_000]));
  });

  it('with wait: false aborts running handlers at once', async () => {
    const { scheduler } = testScheduler();
    let signal: AbortSignal | undefined;
    scheduler.define('stuck', (_args, ctx: RunContext) => {
      signal = ctx.signal;
      return new Promise(() => undefined);
    });
    await scheduler.addTask({ handler: 'stuck' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    await scheduler.shutdown({ wait: false });
    expect(signal?.aborted).toBe(true);
  });

  it('runs shutdown-trigger tasks once on each shutdown, before waiting for handlers', async () => {
    const { scheduler } = testScheduler();
    const calls: string[] = [];
    scheduler.define('flush', () => void calls.push('flush'));
    await scheduler.addTask({ id: 'flush', handler: 'flush', trigger: 'shutdown' });
    await scheduler.start();
    expect((await scheduler.getTaskInfo('flush'))?.state).toBe('scheduled');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([]);
    await scheduler.shutdown();
    expect(calls).toEqual(['flush']);
  });
});

describe('stopping mid-round', () => {
  it('pausing during a dispatch round runs the batch already committed and claims nothing more until resume', async () => {
    const { scheduler } = testScheduler({ executors: { default: new InlineExecutor() } });
    const runs: string[] = [];
    scheduler.define('first', () => {
      runs.push('first');
      scheduler.pause();
    });
    scheduler.define('record', (_args, ctx: RunContext) => void runs.push(ctx.taskId));
    await scheduler.addTask({ handler: 'first', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.addTask({ id: 'same-batch', handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.addTask({ id: 'later', handler: 'record', trigger: { type: 'date', runAt: start + 200 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    // Both fires of the batch were committed before the first ran: a committed fire always runs.
    expect(runs).toEqual(['first', 'same-batch']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual(['first', 'same-batch']);
    expect((await scheduler.getTask('later'))?.nextRunTime).toEqual(new Date(start + 200));
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['first', 'same-batch', 'later']);
    await scheduler.shutdown();
  });

  it('claims the next full batch while one is dispatched, and hands it back untouched when paused meanwhile', async () => {
    const gates: (() => void)[] = [];
    const claims: string[][] = [];
    class GatedStore extends MemoryStore {
      override async claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
        const claimed = await super.claimDueTasks(options);
        if (claimed.length > 0) claims.push(claimed.map((task) => task.id));
        return claimed;
      }
      override async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
        await new Promise<void>((resolve) => gates.push(resolve));
        return super.dispatchTasks(dispatches);
      }
    }
    const store = new GatedStore();
    const { scheduler } = testScheduler({ stores: { default: store }, batchSize: 2 });
    const runs: string[] = [];
    scheduler.define('record', (_args, ctx: RunContext) => void runs.push(ctx.taskId));
    for (const id of ['a', 'b', 'c', 'd', 'e']) await scheduler.addTask({ id, handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    // The second batch is claimed before the first is committed.
    expect(claims).toEqual([['a', 'b'], ['c', 'd']]);
    expect(gates).toHaveLength(1);
    scheduler.pause();
    gates.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['a', 'b']);
    // The prefetched batch goes back unchanged (through the store, hence the gate), claimable again.
    gates.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(claims).toHaveLength(2);
    expect((await store.claimTask('c', { owner: 'probe', duration: 1 }))?.id).toBe('c');
    await vi.advanceTimersByTimeAsync(10);
    scheduler.resume();
    for (let i = 0; i < 5 && runs.length < 5; i++) {
      await vi.advanceTimersByTimeAsync(0);
      while (gates.length > 0) gates.shift()!();
      await vi.advanceTimersByTimeAsync(0);
    }
    // each once ("c" last: the probe's claim moved it behind its expiry)
    expect(runs).toEqual(['a', 'b', 'd', 'e', 'c']);
    await scheduler.shutdown();
  });

  it('shuts its stores down only after the run-lease releases in flight are answered', async () => {
    const gate = deferred();
    const order: string[] = [];
    class SlowReleaseStore extends MemoryStore {
      override async releaseRunLeases(leases: readonly { taskId: string; runId: string }[]): Promise<void> {
        order.push('release sent');
        await gate.promise;
        order.push('release answered');
        return super.releaseRunLeases(leases);
      }
      override shutdown(): Promise<void> {
        order.push('store shut down');
        return super.shutdown();
      }
    }
    const { scheduler } = testScheduler({ stores: { default: new SlowReleaseStore() } });
    scheduler.define('quick', () => undefined);
    await scheduler.addTask({ handler: 'quick', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(1); // the run settled; its release goes out on the next turn
    expect(order).toEqual(['release sent']);
    const stopped = scheduler.shutdown();
    await vi.advanceTimersByTimeAsync(10);
    expect(order).toEqual(['release sent']);
    gate.resolve();
    await stopped;
    expect(order).toEqual(['release sent', 'release answered', 'store shut down']);
  });

  it('waits at shutdown for the runs of a batch whose commit was under way', async () => {
    const gate = deferred();
    class SlowCommitStore extends MemoryStore {
      override async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
        await gate.promise;
        return super.dispatchTasks(dispatches);
      }
    }
    const { scheduler } = testScheduler({ stores: { default: new SlowCommitStore() } });
    const finished: string[] = [];
    scheduler.define('slow', async (_args, ctx: RunContext) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      finished.push(ctx.taskId);
    });
    await scheduler.addTask({ id: 'committing', handler: 'slow', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(100); // claimed; its commit waits on the gate
    const stopped = scheduler.shutdown();
    await vi.advanceTimersByTimeAsync(0);
    gate.resolve();
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    expect(finished).toEqual(['committing']);
  });

  it('bounds an inline run in progress by the shutdown timeout too', async () => {
    const { scheduler } = testScheduler({ executors: { default: new InlineExecutor() } });
    scheduler.define('stuck', (_args, ctx: RunContext) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)));
    await scheduler.addTask({ handler: 'stuck' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = scheduler.shutdown({ timeout: 1_000 }).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(stopped).toBe(true);
  });
});

describe('store outages', () => {
  it('logs a failing store once per outage, retries, and says when it is back', async () => {
    let down = true;
    class FlakyStore extends PersistentMemoryStore {
      override claimDueTasks(...args: Parameters<MemoryStore['claimDueTasks']>) {
        return down ? Promise.reject(new Error('connection refused')) : super.claimDueTasks(...args);
      }
      override takeExpiredRunLeases() {
        return down ? Promise.reject(new Error('connection refused')) : super.takeExpiredRunLeases();
      }
    }
    const { scheduler, logger } = testScheduler({ stores: { default: new FlakyStore() }, storeRetryInterval: 1_000, leaseDuration: 3_000 });
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.start();
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 }, misfireGraceTime: null, coalesce: false });
    await vi.advanceTimersByTimeAsync(10_000);
    const complaints = (level: string) => logger.lines.filter((line) => line.level === level && /failed/.test(line.message));
    expect(complaints('error')).toHaveLength(1);
    expect(complaints('warn')).toHaveLength(1);
    expect(runs).toEqual([]);
    down = false;
    await vi.advanceTimersByTimeAsync(1_000);
    // nothing lost: every fire time of the outage runs once it is over
    expect(runs.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, k) => start + (k + 1) * 1_000));
    expect(new Set(runs).size).toBe(runs.length);
    expect(logger.lines.some((line) => line.level === 'info' && /is reachable again/.test(line.message))).toBe(true);
    await scheduler.shutdown();
  });
});

describe('the one timer', () => {
  it('uses a single timer however many tasks there are', async () => {
    const { scheduler } = testScheduler();
    scheduler.define('noop', () => undefined);
    await scheduler.start();
    for (let i = 0; i < 500; i++) await scheduler.addTask({ handler: 'noop', trigger: { type: 'interval', seconds: 10 + i } });
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    await scheduler.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wakes early when a task is added that runs before the current wake-up', async () => {
    const { scheduler } = testScheduler();
    const runs: string[] = [];
    scheduler.define('log', (args: string) => void runs.push(args));
    await scheduler.start();
    await scheduler.addTask({ handler: 'log', args: 'hourly', trigger: { type: 'interval', hours: 1 } });
    await scheduler.addTask({ handler: 'log', args: 'soon', trigger: { type: 'date', runAt: start + 2_000 } });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toEqual(['soon']);
    await scheduler.shutdown();
  });

  it('wakes early when a task is moved earlier', async () => {
    const { scheduler } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', () => void runs.push(Date.now()));
    await scheduler.start();
    await scheduler.addTask({ id: 'later', handler: 'tick', trigger: { type: 'date', runAt: start + 3_600_000 } });
    await scheduler.rescheduleTask('later', { type: 'date', runAt: start + 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toEqual([start + 500]);
    await scheduler.shutdown();
  });

  it('never fires early: a timer that comes back before the target re-arms for the rest', async () => {
    const { scheduler } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', () => void runs.push(Date.now()));
    await scheduler.start();
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'date', runAt: start + 1_000 } });
    // The clock steps back 3 ms, as if setTimeout had fired early relative to the wall clock.
    vi.setSystemTime(start - 3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(Date.now()).toBe(start + 997);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(3);
    expect(runs).toEqual([start + 1_000]);
    await scheduler.shutdown();
  });

  it('waits past setTimeout\'s 2^31-1 ms limit in chunks and fires on time', async () => {
    const { scheduler } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', () => void runs.push(Date.now()));
    const due = start + 40 * 86_400_000;
    await scheduler.start();
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'date', runAt: due } });
    await vi.advanceTimersByTimeAsync(due - start - 1);
    expect(runs).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([due]);
    await scheduler.shutdown();
  });

  it('reads the injected clock', async () => {
    const skew = 5_000;
    const { scheduler } = testScheduler({ clock: () => Date.now() + skew });
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.start();
    // Due at start + 6 s by the scheduler's clock, which is 5 s ahead: 1 s of real time.
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'date', runAt: start + 6_000 } });
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([start + 6_000]);
    await scheduler.shutdown();
  });

  it('sleeps with no timer when nothing is scheduled', async () => {
    const { scheduler } = testScheduler();
    await scheduler.start();
    expect(vi.getTimerCount()).toBe(0);
    await scheduler.shutdown();
  });
});

describe('misfires, coalescing and max instances in the scheduler', () => {
  it('reports run times missed while paused, and coalesces the rest into one run', async () => {
    const { scheduler, ofType } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.addTask({
      id: 'tick',
      handler: 'tick',
      trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 },
      misfireGraceTime: 2_500,
      coalesce: true,
    });
    await scheduler.start({ paused: true });
    await vi.advanceTimersByTimeAsync(5_000);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(ofType('task:missed')).toEqual([
      expect.objectContaining({ taskId: 'tick', count: 2, scheduledRunTimes: [new Date(start + 1_000), new Date(start + 2_000)] }),
    ]);
    expect(runs).toEqual([start + 5_000]);
    expect((await scheduler.getTask('tick'))?.nextRunTime).toEqual(new Date(start + 6_000));
    await scheduler.shutdown();
  });

  it('without coalescing runs each due run time in order', async () => {
    const { scheduler } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 }, misfireGraceTime: null, coalesce: false });
    await scheduler.start({ paused: true });
    await vi.advanceTimersByTimeAsync(3_000);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([start + 1_000, start + 2_000, start + 3_000]);
    await scheduler.shutdown({ wait: false });
  });

  it('skips a fire while maxInstances runs are in progress and says so', async () => {
    const { scheduler, ofType } = testScheduler();
    const release = deferred();
    let started = 0;
    scheduler.define('slow', () => {
      started++;
      return release.promise;
    });
    await scheduler.addTask({ id: 'slow', handler: 'slow', trigger: { type: 'interval', seconds: 1 }, maxInstances: 1 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(started).toBe(1);
    expect(ofType('task:max-instances')).toEqual([
      expect.objectContaining({ taskId: 'slow', maxInstances: 1, scheduledRunTimes: [new Date(start + 2_000)] }),
    ]);
    expect((await scheduler.getTaskInfo('slow'))?.state).toBe('running');
    release.resolve();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(2);
    await scheduler.shutdown();
  });

  it('applies jitter to each next run time within the bound', async () => {
    const { scheduler } = testScheduler();
    const runs: number[] = [];
    scheduler.define('tick', (_args, ctx: RunContext) => void runs.push(ctx.scheduledAt.getTime()));
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 10, startAt: start }, jitter: 2_000 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(25_000);
    random.mockRestore();
    expect(runs).toEqual([start + 1_000, start + 11_000, start + 21_000]);
    await scheduler.shutdown();
  });
});

describe('handler failures and listeners', () => {
  it('turns a throwing or rejecting handler into task:error, and goes on', async () => {
    const { scheduler, ofType, logger } = testScheduler();
    scheduler.define('throws', () => {
      throw new Error('sync boom');
    });
    scheduler.define('rejects', () => Promise.reject(new Error('async boom')));
    await scheduler.addTask({ id: 'a', handler: 'throws', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.addTask({ id: 'b', handler: 'rejects', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    const failures = ofType('task:error').map((event) => [event.taskId, (event.error as Error).message]);
    expect(failures).toEqual([
      ['a', 'sync boom'],
      ['b', 'async boom'],
      ['a', 'sync boom'],
      ['b', 'async boom'],
    ]);
    expect(logger.lines.filter((line) => line.level === 'error' && line.message.startsWith('Task "a"'))).toHaveLength(2);
    await scheduler.shutdown();
  });

  it('reports results and durations in task:executed', async () => {
    const { scheduler, ofType } = testScheduler();
    scheduler.define('answer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 250));
      return 42;
    });
    await scheduler.addTask({ id: 'q', handler: 'answer' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(300);
    expect(ofType('task:submitted')).toEqual([expect.objectContaining({ taskId: 'q', executor: 'default', scheduledRunTimes: [new Date(start)] })]);
    expect(ofType('task:executed')).toEqual([expect.objectContaining({ taskId: 'q', result: 42, scheduledAt: new Date(start) })]);
    expect(ofType('task:executed')[0]!.duration).toBeGreaterThanOrEqual(250);
    await scheduler.shutdown();
  });

  it('logs a listener that throws or rejects and still calls the others', async () => {
    const { scheduler, logger } = testScheduler();
    const seen: string[] = [];
    scheduler.on('task:added', () => {
      throw new Error('bad listener');
    });
    scheduler.on('task:added', () => Promise.reject(new Error('bad async listener')));
    scheduler.on('task:added', (event) => void seen.push(event.taskId));
    scheduler.define('noop', () => undefined);
    await scheduler.start();
    await scheduler.addTask({ id: 'one', handler: 'noop', trigger: 'shutdown' });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['one']);
    expect(logger.lines.filter((line) => line.message.includes('A listener for "task:added" failed'))).toHaveLength(2);
    await scheduler.shutdown();
  });

  it('stops calling a listener once it is removed, and once() fires once', async () => {
    const { scheduler } = testScheduler();
    const seen: string[] = [];
    const stop = scheduler.on('task:added', (event) => void seen.push(`on:${event.taskId}`));
    scheduler.once('task:added', (event) => void seen.push(`once:${event.taskId}`));
    scheduler.define('noop', () => undefined);
    await scheduler.start();
    await scheduler.addTask({ id: 'a', handler: 'noop', trigger: 'shutdown' });
    stop();
    await scheduler.addTask({ id: 'b', handler: 'noop', trigger: 'shutdown' });
    expect(seen).toEqual(['on:a', 'once:a']);
    await scheduler.shutdown();
  });
});
