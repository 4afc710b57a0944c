import type { TaskRelease, TaskStore } from '@horae/core';

/**
 * Hands back one claimed task through the store contract's one release path
 * (`dispatchTasks`, a batch of one); resolves to whether the release applied.
 *
 * @example
 * ```ts
 * const [task] = await store.claimDueTasks({ now: Date.now(), limit: 1, owner: 'me', duration: 60_000 });
 * expect(await releaseOne(store, { id: task!.id, owner: 'me', claimedRevision: task!.revision, nextRunTime: null, removeWhenFinished: true })).toBe(true);
 * ```
 */
export async function releaseOne(store: Pick<TaskStore, 'dispatchTasks'>, release: TaskRelease): Promise<boolean> {
  const [outcome] = await store.dispatchTasks([release]);
  return outcome?.released === true;
}
