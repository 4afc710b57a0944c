import { errors } from '../errors/index.js';
import type { DispatchOutcome, RunLease, TaskDispatch, TaskRelease } from './store.js';

/** The steps {@link dispatchEach} takes for each dispatch, each atomic on its own. */
export interface DispatchSteps {
  /** Commits one release if it applies (see `TaskStore.dispatchTasks`); resolves to whether it did. */
  release(release: TaskRelease): Promise<boolean>;
  acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean>;
  releaseRunLease(taskId: string, runId: string): Promise<void>;
}

/** How {@link dispatchEach} proceeds. @public */
export interface DispatchEachOptions {
  /**
   * How many tasks are dispatched at once; default 1, one after another. A store whose tasks are
   * independent records (files, rows) can take several at a time; dispatches of the same task
   * still go one after another, in the order given.
   */
  readonly concurrency?: number;
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
 *     }, { concurrency: 8 });
 *   }
 *   // ...
 * }
 * ```
 * @public
 */
export async function dispatchEach(dispatches: readonly TaskDispatch[], steps: DispatchSteps, options: DispatchEachOptions = {}): Promise<DispatchOutcome[]> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw errors.invalidOption(undefined, 'concurrency', concurrency, 'a whole number of dispatches, at least 1');
  const outcomes = new Array<DispatchOutcome>(dispatches.length);
  // Each task's dispatches in one queue, so that no two of one task ever overlap.
  const queues = new Map<string, number[]>();
  for (const [index, dispatch] of dispatches.entries()) {
    const queue = queues.get(dispatch.id);
    if (queue === undefined) queues.set(dispatch.id, [index]);
    else queue.push(index);
  }
  const pending = [...queues.values()];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length) {
      for (const index of pending[next++]!) outcomes[index] = await dispatchOne(dispatches[index]!, steps);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  return outcomes;
}

async function dispatchOne(dispatch: TaskDispatch, steps: DispatchSteps): Promise<DispatchOutcome> {
  const { run } = dispatch;
  const leased = run !== undefined && (await steps.acquireRunLease(run.lease, run.maxInstances, run.duration));
  const released = await steps.release(dispatch);
  if (leased && !released) await steps.releaseRunLease(run.lease.taskId, run.lease.runId);
  return { released, runLeased: leased && released };
}
