import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { dispatchEach, type DispatchSteps } from './dispatch-each.js';
import type { TaskDispatch } from './store.js';

const dispatch = (id: string, runId: string): TaskDispatch =>
  ({ id, owner: 'me', revision: 1, nextRunTime: null, payload: '{}', run: { lease: { taskId: id, runId, owner: 'me', scheduledAt: 0 }, maxInstances: 1, duration: 1_000 } }) as unknown as TaskDispatch;

/** Steps that take a few turns each and record what overlapped; release refuses the run ids in `refused`. */
function recordingSteps(refused: ReadonlySet<string> = new Set()) {
  const running = new Set<string>();
  const log: string[] = [];
  let most = 0;
  let sameTaskOverlap = false;
  const step = async (taskId: string, what: string): Promise<void> => {
    if ([...running].some((entry) => entry.startsWith(`${taskId}/`))) sameTaskOverlap = true;
    const entry = `${taskId}/${what}`;
    running.add(entry);
    most = Math.max(most, running.size);
    for (let turn = 0; turn < 3; turn++) await Promise.resolve();
    running.delete(entry);
    log.push(entry);
  };
  const steps: DispatchSteps = {
    acquireRunLease: async (lease) => {
      await step(lease.taskId, `lease ${lease.runId}`);
      return true;
    },
    release: async (release) => {
      const runId = (release as TaskDispatch).run?.lease.runId ?? '';
      await step(release.id, `release ${runId}`);
      return !refused.has(runId);
    },
    releaseRunLease: async (taskId, runId) => step(taskId, `give back ${runId}`),
  };
  return { steps, log, most: () => most, sameTaskOverlap: () => sameTaskOverlap };
}

describe('dispatchEach', () => {
  it('goes one dispatch after another by default', async () => {
    const recorder = recordingSteps();
    const outcomes = await dispatchEach([dispatch('a', '1'), dispatch('b', '2')], recorder.steps);
    expect(outcomes).toEqual([
      { released: true, runLeased: true },
      { released: true, runLeased: true },
    ]);
    expect(recorder.most()).toBe(1);
    expect(recorder.log).toEqual(['a/lease 1', 'a/release 1', 'b/lease 2', 'b/release 2']);
  });

  it('with a concurrency, dispatches that many tasks at once, one task never twice at once, outcomes in order', async () => {
    const recorder = recordingSteps(new Set(['3']));
    const batch = [dispatch('a', '1'), dispatch('b', '2'), dispatch('a', '3'), dispatch('c', '4'), dispatch('d', '5')];
    const outcomes = await dispatchEach(batch, recorder.steps, { concurrency: 3 });
    expect(outcomes).toEqual([
      { released: true, runLeased: true },
      { released: true, runLeased: true },
      { released: false, runLeased: false },
      { released: true, runLeased: true },
      { released: true, runLeased: true },
    ]);
    expect(recorder.most()).toBe(3);
    expect(recorder.sameTaskOverlap()).toBe(false);
    // Task a's dispatches in the order given, and the refused one's lease given back.
    expect(recorder.log.filter((entry) => entry.startsWith('a/'))).toEqual(['a/lease 1', 'a/release 1', 'a/lease 3', 'a/release 3', 'a/give back 3']);
  });

  it('refuses a concurrency that is not a whole number of at least 1', async () => {
    for (const concurrency of [0, 1.5, Number.NaN]) {
      await expect(dispatchEach([dispatch('a', '1')], recordingSteps().steps, { concurrency })).rejects.toSatisfy((error: unknown) => isHoraeError(error, 'INVALID_OPTION'));
    }
  });
});
