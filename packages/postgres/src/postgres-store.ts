/**
 * `PostgresStore`: its options, start and shutdown, and the store contract's methods, each handed
 * to the room that does that job: `tasks.ts` (add, change, read, remove), `claims.ts` (claims and
 * batched dispatch), `run-leases.ts`, `quarantine.ts`, `history.ts` (the run history),
 * `cluster.ts` (the instances alive) and `wake-ups.ts` (LISTEN/NOTIFY and poll).
 * `connection.ts` is where they all find PostgreSQL, `migrations.ts` the tables they find there,
 * `messages.ts` everything they say.
 */
import type {
  ClaimOptions,
  DispatchOutcome,
  HeldRunLease,
  Lease,
  QuarantinedTask,
  RunLease,
  RunRetention,
  StoredInstance,
  StoredRun,
  StoreContext,
  StoredTask,
  TaskDispatch,
  TaskStore,
} from '@horae/core/store';
import { Claims } from './claims.js';
import { Cluster } from './cluster.js';
import { Connection } from './connection.js';
import { History } from './history.js';
import { storeNames } from './names.js';
import { checkOptions, type PostgresStoreOptions } from './options.js';
import { Quarantine } from './quarantine.js';
import { RunLeases } from './run-leases.js';
import { Tasks } from './tasks.js';
import { WakeUps } from './wake-ups.js';

export type { PostgresStoreOptions } from './options.js';

/** The tables one store uses, schema-qualified, for looking at them with `psql`. @public */
export interface PostgresStoreTables {
  /** One row per task: its next run time, revision, payload and seal, and its claim. */
  readonly tasks: string;
  /** One row per run in progress anywhere, counted against its task's `maxInstances`. */
  readonly leases: string;
  /** One row per quarantined task: the reason and the task's fields exactly as found. */
  readonly quarantine: string;
  /** The run history: one row per finished run, the newest per task kept. */
  readonly runs: string;
  /** One row per scheduler instance that beats, so that every instance can list those alive. */
  readonly instances: string;
  /** The schema versions applied to these tables. */
  readonly migrations: string;
}

/**
 * Keeps tasks in PostgreSQL, shared by every scheduler instance that uses the same table: the
 * store for replicated applications whose database is PostgreSQL. Works with PostgreSQL 12 and
 * later.
 *
 * Each task is one row; a partial index on its due time serves what is due and when the next
 * work is. A claim is one statement (`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`)
 * whose lease is measured on the database's clock, so instances whose clocks disagree never run
 * a fire twice and never wait for each other. Releases apply only while the claim is the
 * caller's and the revision the claimed one; a batch's releases and run leases are one call of a
 * function the store's migrations create. Writes that make work due earlier `NOTIFY` the other
 * instances, which `LISTEN`; a poll backs that up. The tables are created and migrated at start,
 * once across replicas starting together (an advisory lock). A task is moved to
 * `<table>_quarantine` when the scheduler cannot read it, never deleted or run.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { PostgresStore } from '@horae/postgres';
 *
 * const scheduler = new Scheduler({
 *   stores: { default: new PostgresStore({ connectionString: process.env.DATABASE_URL }) },
 * });
 * ```
 * @public
 */
export class PostgresStore implements TaskStore {
  readonly persistent: boolean = true;
  /** The schema of the store's tables, as given (unquoted). */
  readonly schema: string;
  /** The tasks table's name, as given (unquoted); the other tables are named after it. */
  readonly table: string;
  /** The tables this store uses, schema-qualified and quoted as SQL needs them. */
  readonly tables: PostgresStoreTables;
  private readonly connection: Connection;
  private readonly wakeUps: WakeUps;
  private readonly taskRows: Tasks;
  private readonly claims: Claims;
  private readonly runLeases: RunLeases;
  private readonly quarantine: Quarantine;
  private readonly history: History;
  private readonly cluster: Cluster;

  constructor(options: PostgresStoreOptions = {}) {
    const checked = checkOptions(options);
    this.schema = checked.schema;
    this.table = checked.table;
    const names = storeNames(checked.schema, checked.table);
    this.tables = { tasks: names.tasks, leases: names.leases, quarantine: names.quarantine, runs: names.runs, instances: names.instances, migrations: names.migrations };
    this.connection = new Connection({ pool: options.pool, connectionString: options.connectionString, poolConfig: options.poolConfig ?? {}, names });
    this.wakeUps = new WakeUps(this.connection, { notify: checked.notify, pollInterval: checked.pollInterval });
    this.taskRows = new Tasks(this.connection, this.wakeUps);
    this.claims = new Claims(this.connection);
    this.runLeases = new RunLeases(this.connection);
    this.quarantine = new Quarantine(this.connection, this.wakeUps);
    this.history = new History(this.connection);
    this.cluster = new Cluster(this.connection);
  }

  /**
   * Creates or migrates the tables (idempotently, once across replicas) and listens for changes.
   * Does not fail when PostgreSQL cannot be reached: it logs a warning and tries again in the
   * background, polling meanwhile; the scheduler starts and retries its store calls until
   * PostgreSQL answers.
   */
  async start(context: StoreContext): Promise<void> {
    this.connection.attach(context);
    await this.wakeUps.start(context);
  }

  /** Stops listening and ends the pool the store opened (once its calls in flight are done); a given pool stays open. */
  async shutdown(): Promise<void> {
    await this.wakeUps.stop();
    await this.connection.close();
  }

  async addTask(task: StoredTask): Promise<void> {
    return this.taskRows.add(task);
  }

  /** Adds many tasks in one statement; resolves to the ids that existed already, whose tasks are left as they are. */
  async addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
    return this.taskRows.addMany(tasks);
  }

  async updateTask(task: StoredTask): Promise<void> {
    return this.taskRows.update(task);
  }

  async deleteTask(id: string): Promise<void> {
    return this.taskRows.delete(id);
  }

  async lookupTask(id: string): Promise<StoredTask | null> {
    return this.taskRows.lookup(id);
  }

  async getAllTasks(): Promise<StoredTask[]> {
    return this.taskRows.all();
  }

  async getNextRunTime(): Promise<number | null> {
    return this.taskRows.nextRunTime();
  }

  async removeAllTasks(): Promise<void> {
    return this.taskRows.removeAll();
  }

  /** Claims by the database's clock (`now` is ignored) in one statement, with `FOR UPDATE SKIP LOCKED`. */
  async claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    return this.claims.claimDue(options);
  }

  async claimTask(id: string, lease: Lease): Promise<StoredTask | null> {
    return this.claims.claimOne(id, lease);
  }

  /** Hands back a claimed batch in one round trip: releases and run leases, each conditioned on its claim and on `maxInstances`. */
  async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return this.claims.dispatch(dispatches);
  }

  /** Counts and records under the task's advisory lock, on the database's clock. */
  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    return this.runLeases.acquire(lease, maxInstances, duration);
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    return this.runLeases.renew(owner, runIds, duration);
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    return this.runLeases.release([{ taskId, runId }]);
  }

  /** Releases run leases in one statement. */
  async releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    return this.runLeases.release(leases);
  }

  /** One `DELETE … RETURNING`, so each expired lease goes to one caller only. */
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
    return this.history.add(runs, retention);
  }

  async getRuns(taskId: string, options: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]> {
    return this.history.list(taskId, options);
  }

  async beatInstance(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    return this.cluster.beat(instanceId, payload, ttl);
  }

  async getInstances(): Promise<StoredInstance[]> {
    return this.cluster.instances();
  }

  async removeInstance(instanceId: string): Promise<void> {
    return this.cluster.remove(instanceId);
  }

  async getRunLeases(): Promise<HeldRunLease[]> {
    return this.runLeases.alive();
  }
}
