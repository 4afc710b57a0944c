import { randomUUID } from 'node:crypto';
import {
  checkKeys,
  defaultLogger,
  HoraeError,
  resolveEncryptionKey,
  storeErrors,
  type ClaimOptions,
  type DispatchOutcome,
  type Lease,
  type Logger,
  type QuarantinedTask,
  type RunLease,
  type StoreContext,
  type StoredTask,
  type TaskDispatch,
  type TaskRelease,
  type TaskStore,
} from '@horae/core';
import { MongoClient, ObjectId, type AnyBulkWriteOperation, type ChangeStream, type Collection, type Document, type IndexDescription, type MongoClientOptions, type Timestamp } from 'mongodb';
import {
  claimStage,
  DUE_FILTER,
  FREE_FILTER,
  IS_TASK,
  LIVE_RUNS,
  literal,
  onlyRunsOf,
  readQuarantined,
  readRunLease,
  readTask,
  runEntry,
  SERVER_NOW,
  SETTLE_RUNS,
  TO_RUNS_ONLY,
  unchanged,
  type QuarantineDocument,
  type TaskDocument,
  type TaskRow,
} from './documents.js';

/**
 * Options of {@link MongoDBStore}. Give either `client` (a `MongoClient` of your own, which the
 * store uses and never closes) or `url` and/or `clientOptions` (the store opens a client of its
 * own and closes it at shutdown); with none of them, the store connects to
 * `mongodb://127.0.0.1:27017`.
 *
 * @example
 * ```ts
 * const store = new MongoDBStore({ url: process.env.MONGODB_URL, database: 'billing', collection: 'tasks' });
 * ```
 * @public
 */
export interface MongoDBStoreOptions {
  /**
   * A `MongoClient` to use. The store does not close it. Give it a short
   * `serverSelectionTimeoutMS` (a few seconds): during an outage the scheduler retries on its
   * own, and a call that waits 30 s (the driver's default) for a server holds up its dispatching.
   */
  readonly client?: MongoClient;
  /** A `mongodb://` or `mongodb+srv://` connection string for a client the store opens and owns. */
  readonly url?: string;
  /**
   * Driver options for the client the store opens, over the store's default
   * `serverSelectionTimeoutMS: 2000`.
   */
  readonly clientOptions?: MongoClientOptions;
  /** The database. Default `'horae'`. */
  readonly database?: string;
  /**
   * The collection of tasks (and their run leases). The quarantine lives beside it, in
   * `<collection>.quarantine`. Stores on different collections share nothing. Default `'tasks'`.
   */
  readonly collection?: string;
  /**
   * The key payloads are encrypted with; `null` for none. Default: the `HORAE_STORE_ENCRYPTION_KEY`
   * environment variable.
   */
  readonly encryptionKey?: string | null;
  /**
   * Whether to watch a change stream of the tasks collection where the deployment has them
   * (a replica set or a sharded cluster), so that a change made by another instance wakes this
   * one at once. Default `true`. On a standalone server, or with `false`, the store polls.
   */
  readonly changeStream?: boolean;
  /**
   * How often (ms) the store asks its scheduler to look for due work without being told of a
   * change: the only notification on a standalone server, and a safety net beside a change
   * stream (which misses changes while it reconnects). Default `1000`.
   */
  readonly pollInterval?: number;
}

/**
 * The names of the collections one store uses, for looking at them with `mongosh`.
 *
 * @example
 * ```ts
 * const { tasks, quarantine } = new MongoDBStore({ collection: 'jobs' }).collections; // 'jobs', 'jobs.quarantine'
 * ```
 * @public
 */
export interface MongoDBStoreCollections {
  /** One document per task, `_id` = task id, with the task's run leases in it. */
  readonly tasks: string;
  /** One document per quarantined task: the reason and the document exactly as found. */
  readonly quarantine: string;
}

/** The most tasks one claim call takes, whatever the limit asked: the scheduler asks again while batches come full. */
const CLAIM_BATCH = 1_000;
/** How often one claim call looks for more candidates after losing some to other instances. */
const CLAIM_ATTEMPTS = 3;
/** The most tasks with expired run leases one call collects; the rest come with the next heartbeat. */
const EXPIRED_BATCH = 100;
/** How often a move to the quarantine is tried again when the task keeps changing under it. */
const QUARANTINE_ATTEMPTS = 5;
/** How long shutdown lets calls in flight finish before it closes its own client, ms. */
const SHUTDOWN_GRACE = 2_000;
/** The longest wait between tries to create the indexes and open the change stream, ms. */
const RETRY_INTERVAL = 1_000;
/** MongoDB's duplicate key error. */
const DUPLICATE_KEY = 11_000;
/** Change stream events that can make work due earlier: new tasks and changed schedules. */
const CHANGES_THAT_WAKE: Document[] = [
  {
    $match: {
      $or: [
        { operationType: { $in: ['insert', 'replace', 'drop', 'rename', 'dropDatabase', 'invalidate'] } },
        // Not a release (marked releasedBy): it only moves a run time later, and the instance that
        // released will run the next fire (should it die, the others find it by their poll).
        // Waking every instance for every release cost each of them a claim round per batch.
        { operationType: 'update', 'updateDescription.updatedFields.revision': { $exists: true }, 'updateDescription.updatedFields.releasedBy': { $exists: false } },
        { operationType: 'update', 'updateDescription.updatedFields.nextRunTime': { $exists: true }, 'updateDescription.updatedFields.releasedBy': { $exists: false } },
      ],
    },
  },
  // Only the fact of a change is needed.
  { $project: { operationType: 1 } },
];

/** Matches tasks that are not paused (claimed or not). */
const SCHEDULED_FILTER: Document = { dueAt: { $type: 'number' } };

const TASK_INDEXES: IndexDescription[] = [
  // What is due, earliest first, and when the next work is: one range of this index each. With
  // _id in it, the query for claim candidates reads the index only, no document.
  { key: { dueAt: 1, seq: 1, _id: 1 }, name: 'horae_due' },
  // Run leases by run id (renewals) and by expiry (the heartbeat's sweep). Sparse: only
  // documents with runs in progress are in them.
  { key: { 'runs.runId': 1 }, name: 'horae_run_ids', sparse: true },
  { key: { runExpiry: 1 }, name: 'horae_run_expiry', sparse: true },
];

/**
 * Keeps tasks in MongoDB, shared by every scheduler instance that uses the same database and
 * collection: the store for replicated applications that already run MongoDB. Works with
 * MongoDB 4.4 and later (tested on 6.0), standalone, as a replica set or sharded.
 *
 * Each task is one document; an index on its due time (`dueAt`, `seq`) serves what is due and
 * when the next work is. Claims are conditional updates with lease times from MongoDB's own
 * clock (`$$NOW` in update pipelines), batched (one query for the due documents, one `updateMany`
 * conditioned on each being still due, free and as read), so instances whose clocks disagree
 * never run a fire twice. Releases apply only while the claim is the caller's and the revision
 * the claimed one. Run leases for a cluster-wide `maxInstances` live in the task's document, so
 * that a batch's releases and run leases are one bulk write. A change stream (on a replica set)
 * or a poll wakes the other instances after a change. A document that cannot be read is moved to
 * `<collection>.quarantine`, never deleted or run.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { MongoDBStore } from '@horae/mongodb';
 *
 * const scheduler = new Scheduler({
 *   stores: { default: new MongoDBStore({ url: 'mongodb://127.0.0.1:27017/?replicaSet=rs0', database: 'my-app' }) },
 * });
 * ```
 * @public
 */
export class MongoDBStore implements TaskStore {
  readonly persistent: boolean = true;
  readonly encryptionKey: string | undefined;
  /** The database's name. */
  readonly database: string;
  /** The collections this store uses. */
  readonly collections: MongoDBStoreCollections;
  private readonly givenClient: MongoClient | undefined;
  private readonly url: string | undefined;
  private readonly clientOptions: MongoClientOptions;
  private readonly pollInterval: number;
  private readonly watchChanges: boolean;
  /** The client the store opened itself, created on first use and closed at shutdown. */
  private ownClient: MongoClient | undefined;
  /** Resolves once the indexes exist; reset after a failure, so the next call tries again. */
  private indexes: Promise<void> | undefined;
  private stream: ChangeStream | undefined;
  /** The stream is closed while this instance drains due tasks (see {@link drainingChanged}). */
  private streamSuspended = false;
  /** Suspending and reopening the stream, one after another. */
  private streamTransition: Promise<void> = Promise.resolve();
  /** Whether the deployment has change streams; asked once per start. */
  private hasChangeStreams: boolean | undefined;
  private poller: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * Run ids whose lease this process recorded in a runsOnly document (a finished task's run): its
   * release deletes the document at once. A hint only: every write is conditioned on what it finds.
   */
  private readonly runsOnlyRuns = new Map<string, string>(); // run id → task id
  /** Calls in flight, which shutdown lets finish (briefly) before it closes its own client. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Raised by every start and shutdown: background work of an earlier start stops. */
  private generation = 0;
  private alias = 'default';
  private logger: Logger = defaultLogger;
  private wake: () => void = () => undefined;
  /** Reports a record this store quarantined by itself; logs until the scheduler starts it. */
  private reportQuarantined = (id: string, reason: string): void => {
    this.logger.error(`Task "${id}" in store "${this.alias}" was moved to the quarantine: ${reason}.`);
  };

  constructor(options: MongoDBStoreOptions = {}) {
    const checked = checkOptions(options);
    this.givenClient = options.client;
    this.url = options.url;
    this.clientOptions = options.clientOptions ?? {};
    this.database = checked.database;
    this.collections = { tasks: checked.collection, quarantine: `${checked.collection}.quarantine` };
    this.pollInterval = checked.pollInterval;
    this.watchChanges = options.changeStream ?? true;
    this.encryptionKey = resolveEncryptionKey(options.encryptionKey);
  }

  /**
   * Creates the indexes (idempotently) and opens the change stream. Does not fail when MongoDB
   * cannot be reached: it logs a warning and tries again in the background, polling meanwhile;
   * the scheduler starts and retries its store calls until MongoDB answers.
   */
  async start(context: StoreContext): Promise<void> {
    await this.stopListening();
    const generation = ++this.generation;
    this.alias = context.alias;
    this.logger = context.logger;
    this.wake = () => context.wake();
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
    this.poller = setInterval(() => context.wake(), this.pollInterval);
    this.poller.unref();
    try {
      await this.ready();
      await this.listen(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.logger.warn(
        `Store "${this.alias}" cannot reach MongoDB yet (${describe(error)}); it will create its indexes${this.watchChanges ? ' and watch for changes' : ''} once MongoDB answers, polling every ${this.pollInterval} ms.`,
      );
      this.listenLater(generation);
    }
  }

  async shutdown(): Promise<void> {
    this.generation++;
    await this.stopListening();
    // Closing a client interrupts what it is doing: a release of run leases still under way when
    // the scheduler shuts its stores down is given a moment to land.
    if (this.inFlight.size > 0) await Promise.race([Promise.allSettled([...this.inFlight]), sleep(SHUTDOWN_GRACE)]);
    const own = this.ownClient;
    this.ownClient = undefined;
    this.indexes = undefined;
    if (own !== undefined) await own.close().catch(() => undefined);
  }

  async addTask(task: StoredTask): Promise<void> {
    const document = this.newDocument(task);
    await this.ready();
    if (!(await this.insertTask(document))) throw storeErrors.conflictingId(task.id, this.alias);
  }

  /**
   * Adds many tasks in one `insertMany` (unordered, so every free id is added); resolves to the
   * ids that existed already, whose tasks are left as they are.
   */
  async addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
    const documents = tasks.map((task) => this.newDocument(task));
    if (documents.length === 0) return [];
    await this.ready();
    let failed: { index: number; code: unknown }[];
    try {
      await this.tasks().insertMany(documents, { ordered: false });
      return [];
    } catch (error) {
      const errors = writeErrors(error);
      if (errors === undefined || errors.some((entry) => entry.code !== DUPLICATE_KEY)) throw error;
      failed = errors;
    }
    // An id taken by a runsOnly document (runs of a task that is gone) is free for a task.
    const existing: string[] = [];
    for (const { index } of failed) {
      const document = documents[index]!;
      if (!(await this.insertTask(document))) existing.push(document._id);
    }
    return existing;
  }

  async updateTask(task: StoredTask): Promise<void> {
    const { nextRunTime, revision, payload, seal } = this.newDocument(task);
    await this.ready();
    // The claim ends with the change: its release is then refused.
    const { matchedCount } = await this.tasks().updateOne(
      { _id: task.id, ...IS_TASK },
      {
        $set: { nextRunTime, dueAt: nextRunTime, revision, payload, ...(seal === undefined ? {} : { seal }) },
        $unset: { claimedBy: '', claimExpiresAt: '', claimToken: '', releasedBy: '', ...(seal === undefined ? { seal: '' } : {}) },
      },
    );
    if (matchedCount !== 1) throw storeErrors.taskNotFound(task.id, this.alias);
  }

  async deleteTask(id: string): Promise<void> {
    await this.ready();
    // Without runs in progress the document goes; with some, its runs stay (runsOnly).
    if ((await this.tasks().deleteOne({ _id: id, ...IS_TASK, runs: { $exists: false } })).deletedCount === 1) return;
    if ((await this.tasks().updateOne({ _id: id, ...IS_TASK }, TO_RUNS_ONLY)).matchedCount !== 1) throw storeErrors.taskNotFound(id, this.alias);
  }

  async lookupTask(id: string): Promise<StoredTask | null> {
    await this.ready();
    const found = await this.tasks().findOne({ _id: id, ...IS_TASK });
    if (found === null) return null;
    const task = readTask(found);
    if (typeof task !== 'string') return stored(task);
    await this.quarantineUnreadable(found, task);
    return null;
  }

  async getAllTasks(): Promise<StoredTask[]> {
    await this.ready();
    const tasks: TaskRow[] = [];
    for (const found of await this.tasks().find(IS_TASK).toArray()) {
      const task = readTask(found);
      if (typeof task === 'string') await this.quarantineUnreadable(found, task);
      else tasks.push(task);
    }
    const time = (task: TaskRow): number => task.nextRunTime ?? Infinity;
    return tasks.sort((a, b) => time(a) - time(b) || compare(a.order, b.order) || compare(a.id, b.id)).map(stored);
  }

  async getNextRunTime(): Promise<number | null> {
    await this.ready();
    // dueAt already holds, for a claimed task, the later of its run time and the claim's expiry.
    const [first] = await this.tasks()
        .find(SCHEDULED_FILTER, { projection: { _id: 0, dueAt: 1 }, sort: { dueAt: 1, seq: 1, _id: 1 }, limit: 1 })
      .toArray();
    return first === undefined ? null : first.dueAt;
  }

  async removeAllTasks(): Promise<void> {
    await this.ready();
    // The quarantine and the run leases stay, as in every store: tasks with runs in progress
    // become runsOnly documents, the others go.
    await this.tasks().updateMany({ ...IS_TASK, runs: { $exists: true } }, TO_RUNS_ONLY);
    await this.tasks().deleteMany({ runs: { $exists: false } });
  }

  /**
   * Claims by MongoDB's clock: `now` is ignored, so instances with skewed clocks agree. One round:
   * the earliest due candidates (an index range), one `updateMany` that claims those still due
   * and free at that moment (each document atomically, so of several instances exactly one wins
   * each task), and one read of the documents this call's token is on.
   */
  async claimDueTasks({ limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    checkDuration(duration);
    if (!(limit >= 1)) return [];
    await this.ready();
    const wanted = Math.min(Math.floor(limit), CLAIM_BATCH);
    const won: TaskRow[] = [];
    // Unreadable documents claimed on the way go to the quarantine; more are claimed in their place.
    let more = true;
    for (let pass = 0; pass < CLAIM_ATTEMPTS && won.length < wanted; pass++) {
      const { readable, unreadable, exhausted } = await this.claimBatch(wanted - won.length, owner, duration);
      won.push(...readable);
      more = !exhausted;
      if (unreadable === 0 || exhausted) break;
    }
    await this.drainingChanged(more || won.length >= limit);
    const time = (task: TaskRow): number => task.nextRunTime ?? Infinity;
    return won.sort((a, b) => time(a) - time(b) || compare(a.order, b.order)).map(stored);
  }

  async claimTask(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    checkDuration(duration);
    await this.ready();
    const token = randomUUID();
    const found = await this.tasks().findOneAndUpdate({ _id: id, ...IS_TASK, ...FREE_FILTER }, [claimStage(owner, token, duration)], { returnDocument: 'after' });
    if (found === null) return null;
    const task = readTask(found);
    if (typeof task !== 'string') return stored(task);
    if (await this.moveToQuarantine(found, cannotBeRead(task), { _id: id, claimToken: token })) this.reportQuarantined(id, cannotBeRead(task));
    return null;
  }

  /**
   * Applies only while the claim is the caller's and the revision the claimed one. On a replica
   * set the driver retries a release whose reply was lost once, and the server recognises it
   * (retryable writes), so it is answered alike both times.
   */
  async releaseTask(release: TaskRelease): Promise<boolean> {
    return this.track(this.releaseTaskNow(release));
  }

  private async releaseTaskNow(release: TaskRelease): Promise<boolean> {
    checkTime(release.id, release.nextRunTime);
    await this.ready();
    const [outcome] = await this.dispatchNow([release]);
    return outcome!.released;
  }

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
  async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return this.track(this.dispatchTasksNow(dispatches));
  }

  private async dispatchTasksNow(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    if (dispatches.length === 0) return [];
    for (const dispatch of dispatches) {
      checkTime(dispatch.id, dispatch.nextRunTime);
      if (dispatch.run !== undefined) checkDuration(dispatch.run.duration);
    }
    await this.ready();
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
      if (outcomes[index]!.runLeased) this.runsOnlyRuns.set(dispatch.run!.lease.runId, dispatch.id);
      else empty.push(dispatch.id);
    });
    if (empty.length > 0) await this.tasks().deleteMany({ _id: { $in: empty }, runsOnly: true, runs: { $exists: false } });
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
    const tasks = this.tasks();
    const rows = dispatches.map((dispatch) => releaseRow(dispatch, withRuns));
    const row = { $arrayElemAt: [literal(rows), { $indexOfArray: [literal(ids), '$_id'] }] };
    const { matchedCount } = await tasks.updateMany({ _id: { $in: ids }, $expr: { $let: { vars: { row }, in: RELEASE_APPLIES } } }, releasePipeline(row, token));
    if (matchedCount === dispatches.length) return dispatches.map(() => true);
    const marked = await tasks.find({ _id: { $in: ids }, releasedBy: token }, { projection: { _id: 1 } }).toArray();
    const applied = new Set(marked.map((found) => found._id));
    return dispatches.map((dispatch) => applied.has(dispatch.id));
  }

  /**
   * Counts and records in one atomic update of the task's document, on MongoDB's clock. For an
   * id without a document (no task, or a task that is gone) a runsOnly document is created.
   */
  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    checkDuration(duration);
    await this.ready();
    for (let attempt = 0; ; attempt++) {
      try {
        const after = await this.tasks().findOneAndUpdate({ _id: lease.taskId }, acquirePipeline(lease, maxInstances, duration), {
          upsert: true,
          returnDocument: 'after',
          projection: { 'runs.runId': 1, runsOnly: 1 },
        });
        const leased = (after?.runs ?? []).some((run) => run.runId === lease.runId);
        if (leased && after?.runsOnly === true) this.runsOnlyRuns.set(lease.runId, lease.taskId);
        return leased;
      } catch (error) {
        // Two first runs of an id at once: both upserts insert, one fails; the second try updates.
        if (!isDuplicateKey(error) || attempt > 0) throw error;
      }
    }
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    return this.track(this.renewRunLeasesNow(owner, runIds, duration));
  }

  private async renewRunLeasesNow(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    checkDuration(duration);
    if (runIds.length === 0) return;
    await this.ready();
    const ids = [...runIds];
    const renewed = { $mergeObjects: ['$$this', { expiresAt: { $add: [SERVER_NOW, duration] } }] };
    const mine = { $and: [{ $in: ['$$this.runId', literal(ids)] }, { $eq: ['$$this.owner', literal(owner)] }] };
    await this.tasks().updateMany({ 'runs.runId': { $in: ids } }, [{ $set: { runs: { $map: { input: '$runs', in: { $cond: [mine, renewed, '$$this'] } } } } }, ...SETTLE_RUNS]);
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    return this.releaseRunLeases([{ taskId, runId }]);
  }

  /**
   * Releases run leases in one round trip in the usual cases: one bulk write of at most two
   * commands, a `deleteMany` of the documents this process knows hold only these runs (a finished
   * task's last run: the document goes with it, as the task did), and an `updateMany` that
   * removes the others' runs. Should a delete not apply (the id got a task again, or another
   * run), the runs are removed by update instead. Run ids are unique, so one list of them serves
   * every document of a command.
   */
  async releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    return this.track(this.releaseRunLeasesNow(leases));
  }

  private async releaseRunLeasesNow(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.ready();
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
    const operations: AnyBulkWriteOperation<TaskDocument>[] = [];
    if (deletes.taskIds.length > 0) operations.push({ deleteMany: { filter: onlyRunsOf(deletes.taskIds, deletes.runIds) } });
    if (updates.taskIds.length > 0) operations.push({ updateMany: removeRuns(updates.taskIds, updates.runIds) });
    try {
      const { deletedCount } = await this.tasks().bulkWrite(operations, { ordered: false });
      if (deletedCount < deletes.taskIds.length) {
        const tasks = this.tasks();
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
   * The same sweep deletes runsOnly documents left empty (see {@link TaskDocument.runExpiry}).
   */
  async takeExpiredRunLeases(): Promise<RunLease[]> {
    await this.ready();
    const tasks = this.tasks();
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
        if (lease === undefined) this.logger.warn(`Store "${this.alias}": an expired run lease of task "${taskId}" cannot be read and was dropped: ${JSON.stringify(entry).slice(0, 200)}`);
        else leases.push(lease);
      }
      if (after.runsOnly === true && after.runs === undefined) await tasks.deleteOne({ _id: taskId, runsOnly: true, runs: { $exists: false } });
    }
    return leases;
  }

  async quarantineTask(id: string, reason: string): Promise<void> {
    await this.ready();
    for (let attempt = 0; attempt < QUARANTINE_ATTEMPTS; attempt++) {
      const found = await this.tasks().findOne({ _id: id, ...IS_TASK });
      if (found === null) throw storeErrors.taskNotFound(id, this.alias);
      if (await this.moveToQuarantine(found, reason, unchanged(found))) return;
    }
    throw new HoraeError(
      'STORE_UNAVAILABLE',
      `Task "${id}" changed ${QUARANTINE_ATTEMPTS} times while store "${this.alias}" was moving it to the quarantine; it is still scheduled. Try again.`,
      { taskId: id },
    );
  }

  async getQuarantinedTasks(): Promise<QuarantinedTask[]> {
    await this.ready();
    const held = await this.quarantine().find({}).toArray();
    return held.map(readQuarantined).sort((a, b) => a.quarantinedAt - b.quarantinedAt || compare(a.id, b.id));
  }

  async restoreQuarantinedTask(id: string): Promise<void> {
    await this.ready();
    const quarantine = this.quarantine();
    const entry = await quarantine.findOne({ _id: id });
    if (entry === null) throw storeErrors.taskNotFound(id, `${this.alias} (quarantine)`);
    const record: unknown = entry.record;
    const task = typeof record === 'object' && record !== null ? readTask(record) : 'its quarantine entry holds no document';
    if (typeof task === 'string') {
      // Still unreadable: it stays, with the news.
      const reason = `${cannotBeRead(task)} (tried again when restored)`;
      await quarantine.updateOne({ _id: id, moveToken: entry.moveToken }, [{ $set: { reason: literal(reason), quarantinedAt: SERVER_NOW } }]);
      return;
    }
    // Back at the end of its run time's queue, as a new task would be.
    const { nextRunTime, revision, payload, seal } = task;
    const document: TaskDocument = { _id: id, nextRunTime, dueAt: nextRunTime, revision, seq: new ObjectId(), payload, ...(seal === undefined ? {} : { seal }) };
    if (!(await this.insertTask(document))) throw storeErrors.conflictingId(id, this.alias);
    await quarantine.deleteOne({ _id: id, moveToken: entry.moveToken });
  }

  async purgeQuarantinedTask(id: string): Promise<void> {
    await this.ready();
    if ((await this.quarantine().deleteOne({ _id: id })).deletedCount !== 1) throw storeErrors.taskNotFound(id, `${this.alias} (quarantine)`);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Claims up to `wanted` due tasks under one token, usually in two round trips: the earliest due
   * documents from the due index, then one `updateMany` that claims those still due, free and
   * exactly as read (same id, revision and seq: a changed or re-added task is not claimed on an
   * old reading). When it claimed every one of them (its count says so), the documents read are
   * what was claimed; otherwise others took some, more candidates are looked for, and what this
   * call won is read back by its token.
   */
  private async claimBatch(wanted: number, owner: string, duration: number): Promise<{ readable: TaskRow[]; unreadable: number; exhausted: boolean }> {
    const token = randomUUID();
    const tasks = this.tasks();
    let claimed = 0;
    let exhausted = false;
    const tried: string[] = [];
    let wonAsRead: Document[] | undefined;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS && claimed < wanted; attempt++) {
      const asked = wanted - claimed;
      const candidates = await tasks.find(DUE_FILTER, { sort: { dueAt: 1, seq: 1, _id: 1 }, limit: asked }).toArray();
      exhausted = candidates.length < asked;
      if (candidates.length === 0) break;
      if (candidates.length === 1 && claimed === 0) {
        // One task due (the usual case between bursts): claimed and read in one round trip.
        const found = await tasks.findOneAndUpdate({ _id: candidates[0]!._id, ...DUE_FILTER }, [claimStage(owner, token, duration)], { returnDocument: 'after' });
        if (found === null) continue; // taken by another instance: look again
        return this.readClaimed([found], token, exhausted);
      }
      const versions: unknown[][] = candidates.map((candidate) => [candidate._id, candidate.revision as unknown, candidate.seq as unknown]);
      const { modifiedCount } = await tasks.updateMany(
        { _id: { $in: candidates.map((candidate) => candidate._id) }, ...DUE_FILTER, $expr: { $and: [DUE_FILTER.$expr as Document, { $in: [['$_id', '$revision', '$seq'], literal(versions)] }] } },
        [claimStage(owner, token, duration)],
      );
      wonAsRead = claimed === 0 && modifiedCount === candidates.length ? candidates : undefined;
      claimed += modifiedCount;
      tried.push(...candidates.map((candidate) => candidate._id));
      // Every candidate won, or there were no more: nothing to look for. Else others took some
      // of them, and later ones may still be free.
      if (modifiedCount === candidates.length || exhausted) break;
    }
    if (claimed === 0) return { readable: [], unreadable: 0, exhausted };
    if (wonAsRead !== undefined) return this.readClaimed(wonAsRead, token, exhausted);
    return this.readClaimed(await tasks.find({ _id: { $in: tried }, claimToken: token }).toArray(), token, exhausted);
  }

  /** Reads claimed documents; unreadable ones go to the quarantine (while still under `token`). */
  private async readClaimed(documents: Document[], token: string, exhausted: boolean): Promise<{ readable: TaskRow[]; unreadable: number; exhausted: boolean }> {
    const readable: TaskRow[] = [];
    let unreadable = 0;
    for (const found of documents) {
      const task = readTask(found);
      if (typeof task !== 'string') {
        readable.push(task);
        continue;
      }
      unreadable++;
      const reason = cannotBeRead(task);
      const id = String(found._id);
      if (await this.moveToQuarantine(found, reason, { _id: id, claimToken: token })) this.reportQuarantined(id, reason);
    }
    return { readable, unreadable, exhausted };
  }


  /** Counts a call as in flight until it settles. */
  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight.add(call);
    const done = (): void => void this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /** The client commands go to: the given one, or the store's own, opened on first use. */
  private client(): MongoClient {
    if (this.givenClient !== undefined) return this.givenClient;
    // Fail a call after 2 s without a server instead of the driver's 30 s: the scheduler logs the
    // outage once and retries every storeRetryInterval.
    this.ownClient ??= new MongoClient(this.url ?? 'mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 2_000, ...this.clientOptions });
    return this.ownClient;
  }

  private tasks(): Collection<TaskDocument> {
    return this.client().db(this.database).collection<TaskDocument>(this.collections.tasks);
  }

  private quarantine(): Collection<QuarantineDocument> {
    return this.client().db(this.database).collection<QuarantineDocument>(this.collections.quarantine);
  }

  /**
   * Inserts a task's document; an id held by a runsOnly document (runs of a task that is gone) is
   * taken over, the runs kept (they still count against maxInstances). Resolves to `false` when a
   * task of that id exists. One round trip: an upsert conditioned on runsOnly, which inserts when
   * the id is free and fails with a duplicate key when a task holds it.
   */
  private async insertTask(document: TaskDocument): Promise<boolean> {
    const { _id, ...fields } = document;
    try {
      await this.tasks().updateOne(
        { _id, runsOnly: true },
        // The seal goes too: a document taken over must not keep the seal of the task it held.
        [{ $unset: ['runsOnly', 'releasedBy', 'seal'] }, { $set: Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, literal(value)])) }, ...SETTLE_RUNS],
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /**
   * Connects and creates the indexes, once (createIndexes is a no-op for indexes that exist
   * alike). After a failure the next call tries again; a client of the store's own whose first
   * connection failed is thrown away, since the driver does not connect it again.
   */
  private ready(): Promise<void> {
    this.indexes ??= (async () => {
      const client = this.client();
      try {
        await client.connect();
      } catch (error) {
        this.indexes = undefined;
        if (client === this.ownClient) {
          this.ownClient = undefined;
          await client.close().catch(() => undefined);
        }
        throw error;
      }
      try {
        await this.tasks().createIndexes(TASK_INDEXES);
      } catch (error) {
        this.indexes = undefined;
        const code = (error as { codeName?: unknown }).codeName;
        if (code === 'IndexOptionsConflict' || code === 'IndexKeySpecsConflict') {
          throw new HoraeError(
            'STORE_UNAVAILABLE',
            `Store "${this.alias}" cannot create its indexes on ${this.database}.${this.collections.tasks} (${describe(error)}): an index of the same name exists with other options. Drop that index (the store recreates it) or use another collection.`,
            { cause: error },
          );
        }
        throw error;
      }
    })();
    return this.indexes;
  }

  /**
   * Opens the change stream where wanted and supported. It starts at the server's time of a
   * command sent first, so every change from that moment on is seen, and this need not wait for
   * the cursor (whose first read waits up to a second for news).
   */
  private async listen(generation: number): Promise<void> {
    if (!this.watchChanges || this.hasChangeStreams === false) return;
    const reply = await this.client().db('admin').command(this.hasChangeStreams === undefined ? { hello: 1 } : { ping: 1 });
    if (generation !== this.generation) return;
    if (this.hasChangeStreams === undefined) {
      this.hasChangeStreams = typeof reply.setName === 'string' || reply.msg === 'isdbgrid';
      if (!this.hasChangeStreams) {
        this.logger.info(`Store "${this.alias}": MongoDB is a standalone server, which has no change streams; the store polls every ${this.pollInterval} ms.`);
        return;
      }
    }
    const since = reply.operationTime as Timestamp | undefined;
    const stream = this.tasks().watch(CHANGES_THAT_WAKE, since === undefined ? {} : { startAtOperationTime: since });
    this.stream = stream;
    void this.follow(stream, generation);
  }

  /** Wakes the scheduler at every change. The driver resumes the stream across brief failures. */
  private async follow(stream: ChangeStream, generation: number): Promise<void> {
    try {
      for (;;) {
        await stream.next();
        // A read under way when the stream was closed (shutdown, or a drain) may still bring news.
        if (this.stream !== stream) return;
        this.wake();
      }
    } catch (error) {
      if (this.stream !== stream || generation !== this.generation) return; // closed by shutdown or a drain
      this.stream = undefined;
      void stream.close().catch(() => undefined);
      this.logger.debug(`Store "${this.alias}": the change stream failed (${describe(error)}); polling every ${this.pollInterval} ms until it opens again.`);
      // Changes may have been missed meanwhile.
      this.wake();
      this.listenLater(generation);
    }
  }

  /**
   * Tries to create the indexes and open the change stream again, every `pollInterval` (at most
   * every second), until it works.
   */
  private listenLater(generation: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.ready()
        .then(() => this.listen(generation))
        .then(
          () => {
            if (generation === this.generation) this.wake(); // whatever changed meanwhile
          },
          (error: unknown) => {
            if (generation !== this.generation) return;
            this.logger.debug(`Store "${this.alias}": MongoDB still cannot be reached (${describe(error)}).`);
            this.listenLater(generation);
          },
        );
    }, Math.min(this.pollInterval, RETRY_INTERVAL));
    this.retryTimer.unref();
  }

  /**
   * A claim that took a full batch, or that saw more due tasks than it won, is followed by another
   * at once (the scheduler claims again while it dispatches, or as soon as it finds due work left),
   * so an instance draining due tasks needs no news of changes. Each write costs every open change
   * stream work on the server (a wake-up and a look at the oplog; with three instances draining,
   * about a quarter of mongod's CPU), so the stream is closed for the drain, and opened again by
   * the first claim that finds no more due tasks, before that claim returns: the scheduler reads
   * when its next work is only after it, so nothing that changed meanwhile is missed.
   */
  private async drainingChanged(draining: boolean): Promise<void> {
    // The state changes at once, in call order; only the closing and opening wait their turn.
    if (draining) {
      const stream = this.stream;
      if (stream === undefined) return;
      this.stream = undefined; // so that follow() takes the close for ours
      this.streamSuspended = true;
      this.streamTransition = this.streamTransition.then(() => stream.close().catch(() => undefined));
      return;
    }
    if (this.streamSuspended) {
      this.streamSuspended = false;
      const generation = this.generation;
      this.streamTransition = this.streamTransition.then(async () => {
        if (generation !== this.generation) return;
        try {
          await this.listen(generation);
        } catch (error) {
          if (generation !== this.generation) return;
          this.logger.debug(`Store "${this.alias}": the change stream cannot be opened again (${describe(error)}); polling every ${this.pollInterval} ms until it opens.`);
          this.listenLater(generation);
        }
      });
    }
    // Opening must be done (this call's, or a concurrent claim's) before the scheduler reads its next work.
    await this.streamTransition;
  }

  private async stopListening(): Promise<void> {
    this.streamSuspended = false;
    this.hasChangeStreams = undefined;
    clearInterval(this.poller);
    clearTimeout(this.retryTimer);
    this.poller = undefined;
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined) await stream.close().catch(() => undefined);
  }

  /** A task's document as written by add and update, after checking what the scheduler gave. */
  private newDocument(task: StoredTask): TaskDocument {
    if (typeof task.payload !== 'string') {
      throw new HoraeError(
        'NOT_SERIALIZABLE',
        `Task "${task.id}": store "${this.alias}" is persistent and keeps payloads as strings (the scheduler's encoded record), but got ${typeof task.payload}.`,
        { taskId: task.id },
      );
    }
    if (typeof task.id !== 'string' || task.id === '') throw new HoraeError('INVALID_OPTION', `Invalid task id ${String(task.id)}: a non-empty string.`);
    if (!Number.isSafeInteger(task.revision)) {
      throw new HoraeError('INVALID_OPTION', `Task "${task.id}": invalid revision ${String(task.revision)}: an integer.`, { taskId: task.id });
    }
    checkTime(task.id, task.nextRunTime);
    if (!(task.seal === undefined || typeof task.seal === 'string')) {
      throw new HoraeError('INVALID_OPTION', `Task "${task.id}": invalid seal ${String(task.seal)}: a string.`, { taskId: task.id });
    }
    const { nextRunTime, revision, payload, seal } = task;
    return { _id: task.id, nextRunTime, dueAt: nextRunTime, revision, seq: new ObjectId(), payload, ...(seal === undefined ? {} : { seal }) };
  }

  /** Quarantines a document this store cannot read, unless it changed since it was read. */
  private async quarantineUnreadable(found: Document, why: string): Promise<void> {
    const reason = cannotBeRead(why);
    if (await this.moveToQuarantine(found, reason, unchanged(found))) this.reportQuarantined(String(found._id), reason);
  }

  /**
   * Moves a task document to the quarantine, exactly as found, if the task still matches
   * `stillAsFound`. Without transactions (standalone servers have none) in an order that loses
   * nothing: the quarantine entry is written first, then the task deleted; when the task changed
   * meanwhile, the entry is taken back. Resolves to whether the task was moved.
   */
  private async moveToQuarantine(found: Document, reason: string, stillAsFound: Document): Promise<boolean> {
    const id = found._id as string;
    const moveToken = randomUUID();
    await this.quarantine().updateOne(
      { _id: id },
      [{ $replaceWith: literal({ _id: id, reason, record: found, moveToken }) }, { $set: { quarantinedAt: SERVER_NOW } }],
      { upsert: true },
    );
    // The task goes; runs in progress stay behind in a runsOnly document, still counted and reported.
    if ((await this.tasks().deleteOne({ ...stillAsFound, runs: { $exists: false } })).deletedCount === 1) return true;
    if ((await this.tasks().updateOne({ ...stillAsFound, ...IS_TASK }, TO_RUNS_ONLY)).matchedCount === 1) return true;
    await this.quarantine().deleteOne({ _id: id, moveToken });
    return false;
  }
}

/**
 * The update that records a run lease if fewer than `maxInstances` of the task's runs hold live
 * leases (by MongoDB's clock), keeping expired ones for {@link MongoDBStore.takeExpiredRunLeases}.
 * A document it creates (upsert: the id had none) holds runs only.
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
 * The update of a release batch (see {@link MongoDBStore.dispatchTasks}), `row` finding each
 * document's {@link ReleaseRow}, marked with the batch's token: the new schedule, the revision
 * raised and the claim ended; or, for a finished task to remove, the task gone (runsOnly, as
 * `TO_RUNS_ONLY` does); with the run's lease added when given. The row is kept in a field
 * only while the update runs (MongoDB logs the difference between before and after).
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

/** The update that removes the given runs from the given tasks' documents. */
function removeRuns(taskIds: readonly string[], runIds: readonly string[]): { filter: Document; update: Document[] } {
  return {
    filter: { _id: { $in: taskIds }, 'runs.runId': { $in: runIds } },
    update: [{ $set: { runs: { $filter: { input: '$runs', cond: { $not: [{ $in: ['$$this.runId', literal(runIds)] }] } } } } }, ...SETTLE_RUNS],
  };
}

/** The per-document errors of a bulk write or an unordered insertMany, if that is what failed. */
function writeErrors(error: unknown): { index: number; code: unknown }[] | undefined {
  const entries = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (entries === undefined || entries === null) return undefined;
  const list = Array.isArray(entries) ? (entries as unknown[]) : [entries];
  return list.map((entry) => ({ index: Number((entry as { index?: unknown }).index), code: (entry as { code?: unknown }).code }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function stored({ id, nextRunTime, revision, payload, seal }: TaskRow): StoredTask {
  return seal === undefined ? { id, nextRunTime, revision, payload } : { id, nextRunTime, revision, payload, seal };
}

function cannotBeRead(why: string): string {
  return `its record in MongoDB cannot be read: ${why}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

function checkTime(id: string, time: number | null): void {
  if (time !== null && (typeof time !== 'number' || !Number.isFinite(time))) {
    throw storeErrors.invalidNextRunTime(id, time);
  }
}

function checkDuration(duration: number): void {
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
    throw storeErrors.invalidLeaseDuration(duration);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


/** Database names MongoDB refuses (on any platform), and collection names it refuses or reserves. */
const BAD_DATABASE = /[/\\. "$*<>:|?\0]/;
const BAD_COLLECTION = /[$\0]|^system\.|^\.|\.$/;

function checkOptions(options: MongoDBStoreOptions): { database: string; collection: string; pollInterval: number } {
  const invalid = (name: string, value: unknown, allowed: string) =>
    new HoraeError('INVALID_OPTION', `Invalid MongoDBStore option "${name}" ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${allowed}.`);
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'an object');
  // A misspelt option ignored changes behaviour (encryptionkey: secrets written in clear).
  checkKeys('the MongoDBStore options', options, ['client', 'url', 'clientOptions', 'database', 'collection', 'encryptionKey', 'changeStream', 'pollInterval']);
  const { client, url, clientOptions, database = 'horae', collection = 'tasks', pollInterval = 1000, changeStream } = options;
  if (client !== undefined && (url !== undefined || clientOptions !== undefined)) {
    throw invalid('client', 'with url or clientOptions', 'give either client (a MongoClient of your own) or url/clientOptions (a client the store opens), not both');
  }
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as { db?: unknown }).db !== 'function')) {
    throw invalid('client', typeof client, 'a MongoClient instance from the mongodb package');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(url))) throw invalid('url', url, 'a mongodb:// or mongodb+srv:// connection string');
  if (typeof database !== 'string' || database === '' || database.length > 63 || BAD_DATABASE.test(database)) {
    throw invalid('database', database, 'a MongoDB database name: 1 to 63 characters, none of /\\. "$*<>:|?');
  }
  if (typeof collection !== 'string' || collection === '' || collection.length > 200 || BAD_COLLECTION.test(collection)) {
    throw invalid('collection', collection, 'a MongoDB collection name of at most 200 characters, without "$", not starting with "system." and not starting or ending with "."');
  }
  if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < 1 || pollInterval > 2 ** 31 - 1) {
    throw invalid('pollInterval', pollInterval, 'a number of milliseconds, at least 1');
  }
  if (changeStream !== undefined && typeof changeStream !== 'boolean') throw invalid('changeStream', changeStream, 'true or false');
  return { database, collection, pollInterval };
}
