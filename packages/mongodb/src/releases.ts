/**
 * Releases: a claimed task handed back with its new next run time (or gone, its schedule
 * finished), each with the run lease of the fire it dispatches, a batch in one command. A release
 * applies only while the claim is the caller's and the task the claimed revision.
 */
import { randomUUID } from 'node:crypto';
import type { DispatchOutcome, TaskDispatch } from '@horae/core/store';
import type { Document } from 'mongodb';
import { checkDuration, checkTime } from './checks.js';
import type { Connection } from './connection.js';
import { LIVE_RUNS, literal, SERVER_NOW, SETTLE_RUNS } from './documents.js';
import type { RunLeases } from './run-leases.js';

/** One task's part of a release batch: what its document's update reads (see {@link releasePipeline}). */
interface ReleaseRow {
  owner: string;
  revision: number;
  /** Finished and to be removed: the task goes, its runs stay (runsOnly). */
  finished: boolean;
  next: number | null;
  /** The new seal; `null` for none. */
  seal: string | null;
  run: { runId: string; owner: string; scheduledAt: number; duration: number } | null;
  /** The run's `maxInstances`; `null` when unbounded or without a run. */
  max: number | null;
}

function releaseRow(dispatch: TaskDispatch, withRuns: boolean): ReleaseRow {
  const run = withRuns ? dispatch.run : undefined;
  return {
    owner: dispatch.owner,
    revision: dispatch.claimedRevision,
    finished: dispatch.nextRunTime === null && dispatch.removeWhenFinished,
    next: dispatch.nextRunTime,
    seal: dispatch.seal ?? null,
    run: run === undefined ? null : { runId: run.lease.runId, owner: run.lease.owner, scheduledAt: run.lease.scheduledAt, duration: run.duration },
    max: run !== undefined && Number.isFinite(run.maxInstances) ? run.maxInstances : null,
  };
}

/** Whether a release applies to a document, its {@link ReleaseRow} being `$$row`: still claimed as it was, and the run fits. */
const RELEASE_APPLIES: Document = {
  $and: [
    { $eq: ['$claimedBy', '$$row.owner'] },
    { $eq: ['$revision', '$$row.revision'] },
    { $or: [{ $eq: ['$$row.max', null] }, { $lt: [{ $size: LIVE_RUNS }, '$$row.max'] }] },
  ],
};

/**
 * The update of a release batch (see {@link Releases.dispatch}), `row` finding each document's
 * {@link ReleaseRow}, marked with the batch's token: the new schedule, the revision raised and
 * the claim ended; or, for a finished task to remove, the task gone (runsOnly, as `TO_RUNS_ONLY`
 * does); with the run's lease added when given. The row is kept in a field only while the update
 * runs (MongoDB logs the difference between before and after).
 */
function releasePipeline(row: Document, token: string): Document[] {
  const finished = '$_horaeRelease.finished';
  const run = '$_horaeRelease.run';
  const entry = { runId: `${run}.runId`, owner: `${run}.owner`, scheduledAt: `${run}.scheduledAt`, expiresAt: { $add: [SERVER_NOW, `${run}.duration`] } };
  return [
    { $set: { _horaeRelease: row } },
    { $unset: ['claimedBy', 'claimExpiresAt', 'claimToken'] },
    {
      $set: {
        runsOnly: { $cond: [finished, true, '$$REMOVE'] },
        nextRunTime: { $cond: [finished, '$nextRunTime', '$_horaeRelease.next'] },
        dueAt: { $cond: [finished, null, '$_horaeRelease.next'] },
        revision: { $cond: [finished, '$revision', { $add: ['$revision', 1] }] },
        seal: { $cond: [{ $or: [finished, { $eq: ['$_horaeRelease.seal', null] }] }, '$$REMOVE', '$_horaeRelease.seal'] },
        releasedBy: literal(token),
        runs: { $cond: [{ $eq: [run, null] }, '$runs', { $concatArrays: [{ $ifNull: ['$runs', []] }, [entry]] }] },
      },
    },
    { $unset: '_horaeRelease' },
    ...SETTLE_RUNS,
  ];
}

/** Hands claimed tasks back, one or a batch, with their runs' leases. */
export class Releases {
  constructor(
    private readonly connection: Connection,
    private readonly runLeases: RunLeases,
  ) {}

  /**
   * Hands back a claimed batch, in the usual case in one round trip whatever its size: one
   * `updateMany` over the batch's documents, each conditioned on its claim (owner and revision)
   * and, for a task with a run, on fewer than `maxInstances` live runs in its document (each
   * document finds its own release in a table the command carries). Each update commits the
   * release and records the run lease in the same document at once, so the lease exists no
   * later than the commit (a run whose instance dies is reported as interrupted), and a refused
   * release records nothing. When every update applied (the result's count says so) nothing is
   * read back; otherwise the tasks this batch marked are read, and those whose run did not fit
   * are released again without it. A finished task's document stays, holding only its run
   * (`runsOnly`), until that run's lease is released.
   */
  async dispatch(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    if (dispatches.length === 0) return [];
    for (const dispatch of dispatches) {
      checkTime(dispatch.id, dispatch.nextRunTime);
      if (dispatch.run !== undefined) checkDuration(dispatch.run.duration);
    }
    await this.connection.ready();
    return this.dispatchNow(dispatches);
  }

  private async dispatchNow(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    const token = randomUUID();
    const withRun = await this.applyReleases(dispatches, true, token);
    // Releases refused with their run: the run may not have fitted under maxInstances; the claim
    // decides alone now. (Refused for their claim, they are refused again: nothing changes.)
    const again = dispatches.filter((dispatch, index) => !withRun[index] && dispatch.run !== undefined);
    const without = again.length === 0 ? [] : await this.applyReleases(again, false, token);
    const released = new Map(again.map((dispatch, index) => [dispatch, without[index]!]));
    const outcomes = dispatches.map((dispatch, index) => {
      const leased = withRun[index]! && dispatch.run !== undefined;
      return { released: withRun[index]! || released.get(dispatch) === true, runLeased: leased };
    });
    // Finished tasks left no task behind; those with a run keep its lease until it ends, the
    // others leave an empty document, deleted now.
    const empty: string[] = [];
    dispatches.forEach((dispatch, index) => {
      if (!outcomes[index]!.released || dispatch.nextRunTime !== null || !dispatch.removeWhenFinished) return;
      if (outcomes[index]!.runLeased) this.runLeases.heldInRunsOnly(dispatch.run!.lease.runId, dispatch.id);
      else empty.push(dispatch.id);
    });
    if (empty.length > 0) await this.connection.tasks().deleteMany({ _id: { $in: empty }, runsOnly: true, runs: { $exists: false } });
    return outcomes;
  }

  /**
   * One `updateMany` of releases (with their runs, or without); resolves to which applied: all of
   * them when the matched count says so, else as read back from this batch's mark. One command
   * rather than a bulk write of one update per task: the server plans and logs it once, which
   * costs it about a third of the CPU (bench/src/mongodb/drain-profile.ts). An id given twice
   * (never by the scheduler) has its releases applied one after another, in order.
   */
  private async applyReleases(dispatches: readonly TaskDispatch[], withRuns: boolean, token: string): Promise<boolean[]> {
    const ids = dispatches.map((dispatch) => dispatch.id);
    if (new Set(ids).size < ids.length) {
      const applied: boolean[] = [];
      for (const dispatch of dispatches) applied.push(...(await this.applyReleases([dispatch], withRuns, token)));
      return applied;
    }
    const tasks = this.connection.tasks();
    const rows = dispatches.map((dispatch) => releaseRow(dispatch, withRuns));
    const row = { $arrayElemAt: [literal(rows), { $indexOfArray: [literal(ids), '$_id'] }] };
    const { matchedCount } = await tasks.updateMany({ _id: { $in: ids }, $expr: { $let: { vars: { row }, in: RELEASE_APPLIES } } }, releasePipeline(row, token));
    if (matchedCount === dispatches.length) return dispatches.map(() => true);
    const marked = await tasks.find({ _id: { $in: ids }, releasedBy: token }, { projection: { _id: 1 } }).toArray();
    const applied = new Set(marked.map((found) => found._id));
    return dispatches.map((dispatch) => applied.has(dispatch.id));
  }
}
