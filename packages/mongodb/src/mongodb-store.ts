/**
 * `MongoDBStore`: its options, start and shutdown, and the store contract's methods, each handed to
 * the room that does that job: `tasks.ts` (add, change, read, remove), `claims.ts`,
 * `releases.ts` (releases and batched dispatch), `run-leases.ts`, `quarantine.ts`, `history.ts`
 * (the run history), `cluster.ts` (the instances alive) and `wake-ups.ts` (change stream and poll). `connection.ts` is where they all find MongoDB,
 * `documents.ts` what they find there, `messages.ts` everything they say.
 */
import {
  type ClaimOptions,
  type DispatchOutcome,
  type HeldRunLease,
  type Lease,
  type QuarantinedTask,
  type RunLease,
  type RunRetention,
  type StoredInstance,
  type StoredRun,
  type StoreContext,
  type StoredTask,
  type TaskDispatch,
  type TaskStore,
} from '@horae/core/store';
import { Claims } from './claims.js';
import { Cluster } from './cluster.js';
import { Connection } from './connection.js';
import { checkOptions, type MongoDBStoreCollections, type MongoDBStoreOptions } from './options.js';
import { History } from './history.js';
import { Quarantine } from './quarantine.js';
import { Releases } from './releases.js';
import { RunLeases } from './run-leases.js';
import { Tasks } from './tasks.js';
import { WakeUps } from './wake-ups.js';

export type { MongoDBStoreCollections, MongoDBStoreOptions } from './options.js';

/** How long shutdown lets calls in flight finish before it closes its own client, ms. */
const SHUTDOWN_GRACE = 2_000;

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
 * import { Scheduler } from '@horae/core/store';
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
  /** The database's name. */
  readonly database: string;
  /** The collections this store uses. */
  readonly collections: MongoDBStoreCollections;
  private readonly connection: Connection;
  private readonly wakeUps: WakeUps;
  private readonly taskDocuments: Tasks;
  private readonly claims: Claims;
  private readonly runLeases: RunLeases;
  private readonly releases: Releases;
  private readonly quarantine: Quarantine;
  private readonly history: History;
  private readonly cluster: Cluster;
  /** Calls in flight, which shutdown lets finish (briefly) before it closes its own client. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: MongoDBStoreOptions = {}) {
    const checked = checkOptions(options);
    this.database = checked.database;
    this.collections = {
      tasks: checked.collection,
      quarantine: `${checked.collection}.quarantine`,
      runs: `${checked.collection}.runs`,
      instances: `${checked.collection}.instances`,
    };
    this.connection = new Connection({ client: options.client, url: options.url, clientOptions: options.clientOptions ?? {}, database: this.database, collections: this.collections });
    this.wakeUps = new WakeUps(this.connection, { watchChanges: options.changeStream ?? true, pollInterval: checked.pollInterval });
    this.quarantine = new Quarantine(this.connection);
    this.taskDocuments = new Tasks(this.connection, this.quarantine);
    this.claims = new Claims(this.connection, this.quarantine, this.wakeUps);
    this.runLeases = new RunLeases(this.connection);
    this.releases = new Releases(this.connection, this.runLeases);
    this.history = new History(this.connection);
    this.cluster = new Cluster(this.connection);
  }

  /**
   * Creates the indexes (idempotently) and opens the change stream. Does not fail when MongoDB
   * cannot be reached: it logs a warning and tries again in the background, polling meanwhile;
   * the scheduler starts and retries its store calls until MongoDB answers.
   */
  async start(context: StoreContext): Promise<void> {
    const generation = await this.wakeUps.newGeneration();
    this.connection.attach(context);
    await this.wakeUps.start(context, generation);
  }

  async shutdown(): Promise<void> {
    await this.wakeUps.stop();
    // Closing a client interrupts what it is doing: a release of run leases still under way when
    // the scheduler shuts its stores down is given a moment to land.
    if (this.inFlight.size > 0) await Promise.race([Promise.allSettled([...this.inFlight]), sleep(SHUTDOWN_GRACE)]);
    await this.connection.close();
  }

  async addTask(task: StoredTask): Promise<void> {
    return this.taskDocuments.add(task);
  }

  /**
   * Adds many tasks in one `insertMany` (unordered, so every free id is added); resolves to the
   * ids that existed already, whose tasks are left as they are.
   */
  async addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
    return this.taskDocuments.addMany(tasks);
  }

  async updateTask(task: StoredTask): Promise<void> {
    return this.taskDocuments.update(task);
  }

  async deleteTask(id: string): Promise<void> {
    return this.taskDocuments.delete(id);
  }

  async lookupTask(id: string): Promise<StoredTask | null> {
    return this.taskDocuments.lookup(id);
  }

  async getAllTasks(): Promise<StoredTask[]> {
    return this.taskDocuments.all();
  }

  async getNextRunTime(): Promise<number | null> {
    return this.taskDocuments.nextRunTime();
  }

  async removeAllTasks(): Promise<void> {
    return this.taskDocuments.removeAll();
  }

  /**
   * Claims by MongoDB's clock: `now` is ignored, so instances with skewed clocks agree. One round:
   * the earliest due candidates (an index range), one `updateMany` that claims those still due
   * and free at that moment (each document atomically, so of several instances exactly one wins
   * each task), and one read of the documents this call's token is on.
   */
  async claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    return this.claims.claimDue(options);
  }

  async claimTask(id: string, lease: Lease): Promise<StoredTask | null> {
    return this.claims.claimOne(id, lease);
  }

  /**
   * Hands back a claimed batch, in the usual case in one round trip whatever its size: one
   * `updateMany` whose update commits each task's release and records its run lease in the same
   * document at once, each conditioned on its claim and on `maxInstances`.
   */
  async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return this.track(this.releases.dispatch(dispatches));
  }

  /**
   * Counts and records in one atomic update of the task's document, on MongoDB's clock. For an
   * id without a document (no task, or a task that is gone) a runsOnly document is created.
   */
  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    return this.runLeases.acquire(lease, maxInstances, duration);
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    return this.track(this.runLeases.renew(owner, runIds, duration));
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    return this.releaseRunLeases([{ taskId, runId }]);
  }

  /** Releases run leases in one round trip in the usual cases: one bulk write of at most two commands. */
  async releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    return this.track(this.runLeases.release(leases));
  }

  /** Each task's expired leases are taken in one atomic update, so each goes to one caller only. */
  async takeExpiredRunLeases(): Promise<RunLease[]> {
    return this.runLeases.takeExpired();
  }

  async quarantineTask(id: string, reason: string): Promise<void> {
    return this.quarantine.take(id, reason);
  }

  async getQuarantinedTasks(): Promise<QuarantinedTask[]> {
    return this.quarantine.list();
  }

  async restoreQuarantinedTask(id: string): Promise<void> {
    return this.quarantine.restore(id);
  }

  async purgeQuarantinedTask(id: string): Promise<void> {
    return this.quarantine.purge(id);
  }

  async addRuns(runs: readonly StoredRun[], retention: RunRetention): Promise<void> {
    return this.track(this.history.add(runs, retention));
  }

  async getRuns(taskId: string, options: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]> {
    return this.history.list(taskId, options);
  }

  async beatInstance(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    return this.track(this.cluster.beat(instanceId, payload, ttl));
  }

  async getInstances(): Promise<StoredInstance[]> {
    return this.cluster.instances();
  }

  async removeInstance(instanceId: string): Promise<void> {
    return this.track(this.cluster.remove(instanceId));
  }

  async getRunLeases(): Promise<HeldRunLease[]> {
    return this.cluster.runLeases();
  }

  /** Counts a call as in flight until it settles. */
  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight.add(call);
    const done = (): void => void this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
