/**
 * Releases: a claimed batch handed back, each task with its new next run time (or gone, its
 * schedule finished) and the run lease of the fire it dispatches, in one script. A release
 * applies only while the claim is the caller's and the task the claimed revision.
 */
import { randomUUID } from 'node:crypto';
import type { DispatchOutcome, TaskDispatch } from '@horae/core/store';
import type { Connection } from './connection.js';
import { checkDuration, instanceBound, runLeaseJson, sealText, timeText } from './rows.js';
import { DISPATCH } from './scripts/index.js';

/**
 * How long a dispatch batch's outcome stays recognisable when sent again, ms: longer than a
 * client keeps a command across reconnection attempts (ioredis by default: 20 attempts, at most
 * 2 s apart).
 */
const OUTCOME_TTL = 120_000;

/** Hands claimed batches back, with their run leases. */
export class Releases {
  constructor(private readonly connection: Connection) {}

  /** One script per batch: run leases, releases and the batch's outcome, kept for a resend. */
  async dispatch(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    if (dispatches.length === 0) return [];
    const args = [String(OUTCOME_TTL)];
    for (const dispatch of dispatches) {
      const { run } = dispatch;
      if (run !== undefined) checkDuration(run.duration);
      args.push(
        dispatch.id,
        dispatch.owner,
        String(dispatch.claimedRevision),
        timeText(dispatch.id, dispatch.nextRunTime),
        dispatch.removeWhenFinished ? '1' : '0',
        run?.lease.runId ?? '',
        run === undefined ? '' : runLeaseJson(run.lease),
        run === undefined ? '0' : String(instanceBound(run.maxInstances)),
        run === undefined ? '0' : String(run.duration),
        sealText(dispatch.seal),
      );
    }
    const { keys } = this.connection;
    const batchKeys = [keys.tasks, keys.due, keys.claims, keys.runs, keys.runExpiry, keys.taskRuns, keys.dispatched(randomUUID()), keys.paused];
    const answer = String(await this.connection.run(DISPATCH, batchKeys, args));
    return dispatches.map((_, index) => ({ released: answer[index] !== '0', runLeased: answer[index] === '2' }));
  }
}
