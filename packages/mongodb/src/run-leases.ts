/**
 * Run leases, for a cluster-wide `maxInstances`: each run in progress is an entry in its task's
 * document (`runs`), recorded while fewer than `maxInstances` live ones are there, renewed by the
 * heartbeat, released when the run ends, and taken by one instance only once it expires (a dead
 * instance's run, reported as interrupted). All of it on MongoDB's clock.
 */
import { randomUUID } from 'node:crypto';
import type { RunLease } from '@horae/core/store';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import { checkDuration } from './checks.js';
import { isDuplicateKey, type Connection } from './connection.js';
import { LIVE_RUNS, literal, onlyRunsOf, readRunLease, runEntry, SERVER_NOW, SETTLE_RUNS, type StoredTaskDocument } from './documents.js';
import { logs } from './messages.js';

/** The most tasks with expired run leases one call collects; the rest come with the next heartbeat. */
const EXPIRED_BATCH = 100;

/**
 * The update that records a run lease if fewer than `maxInstances` of the task's runs hold live
 * leases (by MongoDB's clock), keeping expired ones for {@link RunLeases.takeExpired}. A document
 * it creates (upsert: the id had none) holds runs only.
 */
function acquirePipeline(lease: RunLease, maxInstances: number, duration: number): Document[] {
  const bound = Number.isFinite(maxInstances) ? maxInstances : Number.MAX_SAFE_INTEGER;
  // In an upsert the new document has nothing but its _id when the pipeline starts.
  const created = { $eq: [{ $size: { $objectToArray: '$$ROOT' } }, 1] };
  return [
    {
      $set: {
        runsOnly: { $cond: [created, true, '$runsOnly'] },
        runs: { $cond: [{ $lt: [{ $size: LIVE_RUNS }, bound] }, { $concatArrays: [{ $ifNull: ['$runs', []] }, [runEntry(lease, duration)]] }, '$runs'] },
      },
    },
    ...SETTLE_RUNS,
  ];
}

/** The update that removes the given runs from the given tasks' documents. */
function removeRuns(taskIds: readonly string[], runIds: readonly string[]): { filter: Document; update: Document[] } {
  return {
    filter: { _id: { $in: taskIds }, 'runs.runId': { $in: runIds } },
    update: [{ $set: { runs: { $filter: { input: '$runs', cond: { $not: [{ $in: ['$$this.runId', literal(runIds)] }] } } } } }, ...SETTLE_RUNS],
  };
}

/** Records, renews, releases and takes over the leases of runs in progress. */
export class RunLeases {
  /**
   * Run ids whose lease this process recorded in a runsOnly document (a finished task's run): its
   * release deletes the document at once. A hint only: every write is conditioned on what it finds.
   */
  private readonly runsOnlyRuns = new Map<string, string>(); // run id → task id

  constructor(private readonly connection: Connection) {}

  /** Notes that a run's lease is held in a runsOnly document, which its release may delete. */
  heldInRunsOnly(runId: string, taskId: string): void {
    this.runsOnlyRuns.set(runId, taskId);
  }

  /**
   * Counts and records in one atomic update of the task's document, on MongoDB's clock. For an
   * id without a document (no task, or a task that is gone) a runsOnly document is created.
   */
  async acquire(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    checkDuration(duration);
    await this.connection.ready();
    for (let attempt = 0; ; attempt++) {
      try {
        const after = await this.connection.tasks().findOneAndUpdate({ _id: lease.taskId }, acquirePipeline(lease, maxInstances, duration), {
          upsert: true,
          returnDocument: 'after',
          projection: { 'runs.runId': 1, runsOnly: 1 },
        });
        const leased = (after?.runs ?? []).some((run) => run.runId === lease.runId);
        if (leased && after?.runsOnly === true) this.heldInRunsOnly(lease.runId, lease.taskId);
        return leased;
      } catch (error) {
        // Two first runs of an id at once: both upserts insert, one fails; the second try updates.
        if (!isDuplicateKey(error) || attempt > 0) throw error;
      }
    }
  }

  /** Extends the owner's leases of these runs by `duration` from now, on MongoDB's clock. */
  async renew(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    checkDuration(duration);
    if (runIds.length === 0) return;
    await this.connection.ready();
    const ids = [...runIds];
    const renewed = { $mergeObjects: ['$$this', { expiresAt: { $add: [SERVER_NOW, duration] } }] };
    const mine = { $and: [{ $in: ['$$this.runId', literal(ids)] }, { $eq: ['$$this.owner', literal(owner)] }] };
    await this.connection.tasks().updateMany({ 'runs.runId': { $in: ids } }, [{ $set: { runs: { $map: { input: '$runs', in: { $cond: [mine, renewed, '$$this'] } } } } }, ...SETTLE_RUNS]);
  }

  /**
   * Releases run leases in one round trip in the usual cases: one bulk write of at most two
   * commands, a `deleteMany` of the documents this process knows hold only these runs (a finished
   * task's last run: the document goes with it, as the task did), and an `updateMany` that
   * removes the others' runs. Should a delete not apply (the id got a task again, or another
   * run), the runs are removed by update instead. Run ids are unique, so one list of them serves
   * every document of a command.
   */
  async release(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.connection.ready();
    const byTask = new Map<string, string[]>();
    for (const { taskId, runId } of leases) {
      const runIds = byTask.get(taskId);
      if (runIds === undefined) byTask.set(taskId, [runId]);
      else runIds.push(runId);
    }
    const deletes = { taskIds: [] as string[], runIds: [] as string[] };
    const updates = { taskIds: [] as string[], runIds: [] as string[] };
    for (const [taskId, runIds] of byTask) {
      const to = runIds.every((runId) => this.runsOnlyRuns.get(runId) === taskId) ? deletes : updates;
      to.taskIds.push(taskId);
      to.runIds.push(...runIds);
    }
    const operations: AnyBulkWriteOperation<StoredTaskDocument>[] = [];
    if (deletes.taskIds.length > 0) operations.push({ deleteMany: { filter: onlyRunsOf(deletes.taskIds, deletes.runIds) } });
    if (updates.taskIds.length > 0) operations.push({ updateMany: removeRuns(updates.taskIds, updates.runIds) });
    try {
      const { deletedCount } = await this.connection.tasks().bulkWrite(operations, { ordered: false });
      if (deletedCount < deletes.taskIds.length) {
        const tasks = this.connection.tasks();
        const { filter, update } = removeRuns(deletes.taskIds, deletes.runIds);
        await tasks.updateMany(filter, update);
        await tasks.deleteMany({ _id: { $in: deletes.taskIds }, runsOnly: true, runs: { $exists: false } });
      }
    } finally {
      for (const { taskId, runId } of leases) if (this.runsOnlyRuns.get(runId) === taskId) this.runsOnlyRuns.delete(runId);
    }
  }

  /**
   * Each task's expired leases are taken in one atomic update, so each goes to one caller only.
   * The same sweep deletes runsOnly documents left empty (see {@link StoredTaskDocument.runExpiry}).
   */
  async takeExpired(): Promise<RunLease[]> {
    await this.connection.ready();
    const tasks = this.connection.tasks();
    const expired: Document = { runExpiry: { $type: 'number' }, $expr: { $lte: ['$runExpiry', SERVER_NOW] } };
    const candidates = await tasks.find(expired, { projection: { _id: 1 }, sort: { runExpiry: 1 }, limit: EXPIRED_BATCH }).toArray();
    const leases: RunLease[] = [];
    for (const { _id: taskId } of candidates) {
      const token = randomUUID();
      const after = await tasks.findOneAndUpdate(
        { _id: taskId, ...expired },
        [
          {
            $set: {
              taken: { token: literal(token), runs: { $filter: { input: { $ifNull: ['$runs', []] }, cond: { $lte: ['$$this.expiresAt', SERVER_NOW] } } } },
              runs: LIVE_RUNS,
            },
          },
          ...SETTLE_RUNS,
        ],
        { returnDocument: 'after', projection: { taken: 1, runs: 1, runsOnly: 1 } },
      );
      if (after?.taken?.token !== token) continue;
      for (const entry of after.taken.runs) {
        const lease = readRunLease(taskId, entry);
        if (lease === undefined) this.connection.logger.warn(logs.unreadableRunLease(this.connection.alias, taskId, entry));
        else leases.push(lease);
      }
      if (after.runsOnly === true && after.runs === undefined) await tasks.deleteOne({ _id: taskId, runsOnly: true, runs: { $exists: false } });
    }
    return leases;
  }
}
