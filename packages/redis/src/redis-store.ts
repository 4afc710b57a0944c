/**
 * `RedisStore`: its options, start and shutdown, and the store contract's methods, each handed to
 * the room that does that job: `tasks.ts` (add, change, read, remove), `claims.ts`,
 * `releases.ts` (batched dispatch), `run-leases.ts`, `quarantine.ts`, `history.ts` (the run
 * history), `cluster.ts` (the instances alive), `wake-ups.ts` (change messages and poll) and `due-index.ts` (its checks and repairs). `connection.ts` is where they
 * all find Redis, `keys.ts` which keys they use there, `scripts/` the Lua they run there, `rows.ts`
 * what they find, `options.ts` what the store is given, `messages.ts` and `key-types.ts` what they
 * say when something is wrong.
 */
import {
  type ClaimOptions,
  type DispatchOutcome,
  type HeldRunLease,
  type Lease,
  type QuarantinedTask,
  type RunLease,
  type RunRetention,
  type StoreContext,
  type StoredInstance,
  type StoredRun,
  type StoredTask,
  type TaskDispatch,
  type TaskStore,
} from '@horae/core/store';
import { Claims } from './claims.js';
import { Cluster } from './cluster.js';
import { Connection } from './connection.js';
import { DueIndexChecks } from './due-index.js';
import { History } from './history.js';
import { redisStoreKeys, type RedisStoreKeys } from './keys.js';
import { checkOptions, type RedisStoreOptions } from './options.js';
import { Quarantine } from './quarantine.js';
import { Releases } from './releases.js';
import { RunLeases } from './run-leases.js';
import { Tasks } from './tasks.js';
import { WakeUps } from './wake-ups.js';

export type { RedisStoreKeys } from './keys.js';
export type { RedisStoreOptions } from './options.js';

/**
 * Keeps tasks in Redis, shared by every scheduler instance that uses the same server and prefix:
 * the store for replicated applications that already run Redis. Works with Redis 5.0 and later,
 * standalone, with Sentinel (through ioredis's options) or on Redis Cluster.
 *
 * Each task is a JSON row in one hash, indexed by next run time in a sorted set. Claims, releases
 * and run leases are Lua scripts: atomic, one round trip each, with lease times from Redis's own
 * clock, so instances whose clocks disagree never run a fire twice. A write publishes a change
 * message that wakes the other instances; a poll every `pollInterval` covers messages lost while
 * reconnecting. A row that cannot be read is moved to a quarantine hash, never deleted or run.
 * At start and every `indexCheckInterval` the store checks its index by counting (O(1)), and
 * repairs it in steps when an entry was lost (a deleted or evicted key), with a warning.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { RedisStore } from '@horae/redis';
 *
 * const scheduler = new Scheduler({
 *   stores: { default: new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'my-app' }) },
 * });
 * ```
 * @public
 */
export class RedisStore implements TaskStore {
  readonly persistent: boolean = true;
  /** The prefix inside the hash tag of every key. */
  readonly prefix: string;
  /** The keys and channel this store uses. */
  readonly keys: RedisStoreKeys;
  private readonly connection: Connection;
  private readonly wakeUps: WakeUps;
  private readonly indexChecks: DueIndexChecks;
  private readonly taskRows: Tasks;
  private readonly claims: Claims;
  private readonly releases: Releases;
  private readonly runLeases: RunLeases;
  private readonly quarantine: Quarantine;
  private readonly history: History;
  private readonly cluster: Cluster;

  constructor(options: RedisStoreOptions = {}) {
    const checked = checkOptions(options);
    this.prefix = checked.prefix;
    this.keys = redisStoreKeys(this.prefix);
    this.connection = new Connection({ client: options.client, url: options.url, redisOptions: options.redisOptions ?? {}, keys: this.keys, indexCheckInterval: checked.indexCheckInterval });
    this.wakeUps = new WakeUps(this.connection, checked.pollInterval);
    this.indexChecks = new DueIndexChecks(this.connection, checked.indexCheckInterval);
    this.quarantine = new Quarantine(this.connection, this.wakeUps);
    this.taskRows = new Tasks(this.connection, this.quarantine, this.wakeUps);
    this.claims = new Claims(this.connection, this.quarantine);
    this.releases = new Releases(this.connection);
    this.runLeases = new RunLeases(this.connection);
    this.history = new History(this.connection);
    this.cluster = new Cluster(this.connection);
  }

  async start(context: StoreContext): Promise<void> {
    this.connection.attach(context);
    await this.stopListening();
    await this.wakeUps.start(context);
    this.indexChecks.start(context);
  }

  async shutdown(): Promise<void> {
    await this.stopListening();
    await this.connection.close();
  }

  async addTask(task: StoredTask): Promise<void> {
    return this.taskRows.add(task);
  }

  /** Adds the tasks whose ids are free, a thousand at most per script; resolves to the ids that existed. */
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

  /** Claims by Redis's clock: `now` is ignored, so instances with skewed clocks agree. */
  async claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    return this.claims.claimDue(options);
  }

  async claimTask(id: string, lease: Lease): Promise<StoredTask | null> {
    return this.claims.claimOne(id, lease);
  }

  /** One script per batch: run leases, releases and the batch's outcome, kept for a resend. */
  async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return this.releases.dispatch(dispatches);
  }

  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    return this.runLeases.acquire(lease, maxInstances, duration);
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    return this.runLeases.renew(owner, runIds, duration);
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    await this.releaseRunLeases([{ taskId, runId }]);
  }

  async releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    return this.runLeases.release(leases);
  }

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
    return this.cluster.runLeases();
  }

  /** Stops the background work of the last start: the wake-ups and the due-index checks. */
  private async stopListening(): Promise<void> {
    this.indexChecks.stop();
    await this.wakeUps.stop();
  }
}
