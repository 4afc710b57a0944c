/**
 * The steps the scale programs (`scale.ts`, `scale-stores.ts`) take on any store, so that the
 * memory store and the shared stores are measured alike: add idle tasks, claim due ones among
 * them, page through them.
 */
import type { Scheduler, TaskDispatch, TaskStore } from '@horae/core';

/** The handler every scale task names; define it as a no-op on the scheduler. */
export const SCALE_HANDLER = 'noop';

/**
 * Adds `tasks` interval tasks none of which is due (a year ahead, spread over an hour) with
 * `scheduler.addTasks`, `slice` at a time. Resolves to the time it took, ms.
 */
export async function addIdleTasks(scheduler: Scheduler, tasks: number, slice: number): Promise<number> {
  const far = Date.now() + 365 * 86_400_000;
  const started = performance.now();
  for (let first = 0; first < tasks; first += slice) {
    await scheduler.addTasks(
      Array.from({ length: Math.min(slice, tasks - first) }, (_, k) => ({
        handler: SCALE_HANDLER,
        trigger: { type: 'interval' as const, hours: 1, startAt: far + ((first + k) % 3_600) * 1_000 },
      })),
    );
  }
  return performance.now() - started;
}

/**
 * Adds `due` tasks due a minute ago, then claims them through the store and releases them as due
 * again, `rounds` times. Resolves to each claim's time, ms, ascending. Throws when a claim misses
 * one of them or a release is refused: the figures would not be of the same work.
 */
export async function claimRounds(scheduler: Scheduler, store: TaskStore, due: number, rounds: number): Promise<number[]> {
  const added = await scheduler.addTasks(Array.from({ length: due }, () => ({ handler: SCALE_HANDLER, trigger: { type: 'interval' as const, hours: 1 }, nextRunTime: Date.now() - 60_000 })));
  const claims: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const now = Date.now();
    const start = performance.now();
    const claimed = await store.claimDueTasks({ now, limit: due, owner: 'bench', duration: 5_000 });
    claims.push(performance.now() - start);
    if (claimed.length !== added.length) throw new Error(`claimed ${claimed.length} of ${added.length} due tasks`);
    const releases: TaskDispatch[] = claimed.map((task) => ({ id: task.id, owner: 'bench', claimedRevision: task.revision, nextRunTime: now - 60_000, removeWhenFinished: false }));
    const outcomes = await store.dispatchTasks(releases);
    if (outcomes.some((outcome) => !outcome.released)) throw new Error('a release was refused');
  }
  return claims.sort((a, b) => a - b);
}

/** The time of a `getTaskInfoPage` page of 100 and of the `more` pages after it, ms. */
export async function pageTimes(scheduler: Scheduler, more: number): Promise<{ firstPageMs: number; moreMs: number }> {
  const pageStart = performance.now();
  let page = await scheduler.getTaskInfoPage({ limit: 100 });
  const firstPageMs = performance.now() - pageStart;
  const moreStart = performance.now();
  for (let count = 0; count < more && page.nextCursor !== null; count++) page = await scheduler.getTaskInfoPage({ limit: 100, cursor: page.nextCursor });
  return { firstPageMs, moreMs: performance.now() - moreStart };
}
