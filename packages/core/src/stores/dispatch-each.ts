import type { DispatchOutcome, RunLease, TaskDispatch, TaskRelease } from './store.js';

/** The steps {@link dispatchEach} takes for each dispatch, each atomic on its own. */
export interface DispatchSteps {
  /** Commits one release if it applies (see `TaskStore.dispatchTasks`); resolves to whether it did. */
  release(release: TaskRelease): Promise<boolean>;
  acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean>;
  releaseRunLease(taskId: string, runId: string): Promise<void>;
}

/**
 * `TaskStore.dispatchTasks` for a store that cannot hand back a batch in one step: task by task,
 * the run lease first, then the release, and the lease given back when the release is refused.
 * The outcome is the contract's; it takes more round trips, and a crash between the two steps
 * leaves a run lease that expires and is reported as interrupted.
 *
 * @example
 * ```ts
 * class MyStore implements TaskStore {
 *   dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
 *     return dispatchEach(dispatches, {
 *       release: (release) => this.release(release),
 *       acquireRunLease: (lease, max, duration) => this.acquireRunLease(lease, max, duration),
 *       releaseRunLease: (taskId, runId) => this.releaseRunLease(taskId, runId),
 *     });
 *   }
 *   // ...
 * }
 * ```
 * @public
 */
export async function dispatchEach(dispatches: readonly TaskDispatch[], steps: DispatchSteps): Promise<DispatchOutcome[]> {
  const outcomes: DispatchOutcome[] = [];
  for (const dispatch of dispatches) {
    const { run } = dispatch;
    const leased = run !== undefined && (await steps.acquireRunLease(run.lease, run.maxInstances, run.duration));
    const released = await steps.release(dispatch);
    if (leased && !released) await steps.releaseRunLease(run.lease.taskId, run.lease.runId);
    outcomes.push({ released, runLeased: leased && released });
  }
  return outcomes;
}
