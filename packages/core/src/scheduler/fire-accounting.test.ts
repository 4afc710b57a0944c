import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../stores/memory.js';
import type { ClaimOptions, StoredTask } from '../stores/store.js';
import { testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');
beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Every fire time each task's events account for: run (submitted), missed, or refused. */
function accounting(events: ReturnType<typeof testScheduler>['events']) {
  const seen = new Map<string, number[]>();
  for (const event of events) {
    if (event.type !== 'task:submitted' && event.type !== 'task:missed' && event.type !== 'task:max-instances') continue;
    const { taskId, scheduledRunTimes } = event as unknown as { taskId: string; scheduledRunTimes: Date[] };
    seen.set(taskId, [...(seen.get(taskId) ?? []), ...scheduledRunTimes.map((time) => time.getTime() - start)]);
  }
  return seen;
}

describe('every fire time is accounted for', () => {
  it('run (a coalesced run lists every fire it stands for), or reported missed, exactly once, at the grace-time boundary too', async () => {
    const { scheduler, events } = testScheduler();
    const ran: [string, number][] = [];
    scheduler.define('tick', (_args, ctx) => void ran.push([ctx.taskId, ctx.scheduledAt.getTime() - start]));
    await scheduler.addTask({ id: 'coalesced', handler: 'tick', trigger: { type: 'interval', seconds: 1 }, misfireGraceTime: 1_000 });
    await scheduler.addTask({ id: 'each', handler: 'tick', trigger: { type: 'interval', seconds: 1 }, misfireGraceTime: 1_000, coalesce: false });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    scheduler.pause();
    // Fires at 2, 3, 4 and 5 s fall due while paused; at 5 s, 2 s and 3 s are past the grace
    // time, 4 s is exactly the grace time late (on time), 5 s is due.
    await vi.advanceTimersByTimeAsync(4_000);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(2_000);
    await scheduler.shutdown();
    const seen = accounting(events);
    const all = [1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000];
    expect([...(seen.get('coalesced') ?? [])].sort((a, b) => a - b)).toEqual(all);
    expect([...(seen.get('each') ?? [])].sort((a, b) => a - b)).toEqual(all);
    // The coalesced run of 4 s and 5 s ran once, for the latest; coalesce: false ran both.
    expect(ran.filter(([id]) => id === 'coalesced').map(([, at]) => at)).toEqual([1_000, 5_000, 6_000, 7_000]);
    expect(ran.filter(([id]) => id === 'each').map(([, at]) => at)).toEqual([1_000, 4_000, 5_000, 6_000, 7_000]);
    const submitted = events.filter((event) => event.type === 'task:submitted' && event.taskId === 'coalesced').map((event) => (event as unknown as { scheduledRunTimes: Date[] }).scheduledRunTimes.map((time) => time.getTime() - start));
    expect(submitted).toContainEqual([4_000, 5_000]);
  });

  it('judges lateness when the task is claimed, not when the round began', async () => {
    /** A store whose claims take two seconds (a slow network, a long batch before). */
    class SlowClaims extends MemoryStore {
      override async claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
        const claimed = await super.claimDueTasks(options);
        if (claimed.length > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
        return claimed;
      }
    }
    const { scheduler, events } = testScheduler({ stores: { default: new SlowClaims() } });
    const ran: number[] = [];
    scheduler.define('tick', (_args, ctx) => void ran.push(ctx.scheduledAt.getTime() - start));
    await scheduler.addTask({ id: 'once', handler: 'tick', trigger: { type: 'date', runAt: start + 1_000 }, misfireGraceTime: 1_000 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(4_000);
    await scheduler.shutdown();
    // Claimed 2 s after it was due: past its 1 s grace time, so missed, and said so.
    expect(ran).toEqual([]);
    expect(events.filter((event) => event.type === 'task:missed').map((event) => (event as unknown as { scheduledRunTimes: Date[] }).scheduledRunTimes.map((time) => time.getTime() - start))).toEqual([[1_000]]);
  });
});
