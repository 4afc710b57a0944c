import { randomUUID } from 'node:crypto';
import {
  checkStoreOptions,
  defaultLogger,
  isHoraeError,
  type ClaimOptions,
  type DispatchOutcome,
  type Lease,
  type Logger,
  type QuarantinedTask,
  type RunLease,
  type StoreContext,
  type StoredTask,
  type TaskDispatch,
  type TaskStore,
} from '@horae/core/store';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { checkDueIndex, guardedLogger } from './due-index.js';
import { isWrongType, scriptError, wrongTypeError, type KeyContext } from './key-types.js';
import { errors } from './messages.js';
import {
  ACQUIRE_RUN,
  ADD,
  ADD_MANY,
  CLAIM_DUE,
  CLAIM_ONE,
  DELETE,
  DISPATCH,
  QUARANTINE,
  RELEASE_RUNS,
  REMOVE_ALL,
  RENEW_RUNS,
  RESTORE,
  TAKE_EXPIRED_RUNS,
  UPDATE,
  type Script,
} from './scripts.js';

/**
 * Options of {@link RedisStore}. Give either `client` (a connection of your own, which the store
 * uses and never closes) or `url` and/or `redisOptions` (the store opens its own connection and
 * closes it at shutdown); with none of them, the store connects to `redis://127.0.0.1:6379`.
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: process.env.REDIS_URL, prefix: 'billing' });
 * ```
 * @public
 */
export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` instance to use. The store does not quit it. It should fail
   * commands rather than queue them for long during an outage (see the README): the scheduler
   * retries on its own.
   */
  readonly client?: Redis | Cluster;
  /** A `redis://` or `rediss://` URL for a connection the store opens and owns. */
  readonly url?: string;
  /**
   * ioredis options for the connection the store opens, over the store's defaults
   * (`maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`).
   */
  readonly redisOptions?: RedisOptions;
  /**
   * Starts every key (inside a `{...}` hash tag, so that on Redis Cluster all keys of one store
   * live on one node) and the change channel. Stores with different prefixes share nothing.
   * Default `'horae'`. Must not contain `{` or `}`.
   */
  readonly prefix?: string;
  /**
   * How often (ms) the store asks its scheduler to look for due work even without a change
   * message, so that a message missed during a reconnection delays nothing for long. Default `1000`.
   */
  readonly pollInterval?: number;
  /**
   * How often (ms) the store checks that its due index is whole, and repairs it if not (see the
   * README). A check is one script of three O(1) counts; only when they disagree are the rows read,
   * in steps. A task whose index entry was lost (a deleted or evicted key) runs again at most this
   * long later. Default `10000`.
   */
  readonly indexCheckInterval?: number;
}

/** The options {@link RedisStore} knows: any other key is refused, with the nearest of these. */
const OPTION_KEYS = ['client', 'url', 'redisOptions', 'prefix', 'pollInterval', 'indexCheckInterval'] as const;

/**
 * The keys of one store, for looking at them with `redis-cli`. Every key starts with the same
 * hash tag `{<prefix>}`, so Redis Cluster keeps them in one slot, where the scripts that touch
 * several at once can run.
 *
 * @example
 * ```ts
 * const { tasks, due } = new RedisStore({ prefix: 'billing' }).keys; // '{billing}:tasks', '{billing}:due'
 * ```
 * @public
 */
export interface RedisStoreKeys {
  /** Hash: task id -> row JSON `{"nextRunTime","revision","seq","payload"}`. */
  readonly tasks: string;
  /** Sorted set: task id scored by its next run time, or while claimed, the later of it and the claim's expiry. */
  readonly due: string;
  /** Set: the ids of paused tasks (no next run time), which have no place in `due`. */
  readonly paused: string;
  /** Hash: task id -> `<expiry ms>:<owner>` while claimed. */
  readonly claims: string;
  /** Counter giving each added task its place among equal run times. */
  readonly seq: string;
  /** Hash: run id -> run lease JSON `{"taskId","runId","owner","scheduledAt"}`. */
  readonly runs: string;
  /** Sorted set: run id scored by its lease's expiry. */
  readonly runExpiry: string;
  /** Sorted set, all scores 0: `<task id>\0<run id>`, to count a task's runs by range. */
  readonly taskRuns: string;
  /** Hash: task id -> `{"reason","quarantinedAt","row"}`, the row exactly as it was found. */
  readonly quarantine: string;
  /** String, while one replica repairs the due index: its token (a lock that expires by itself). */
  readonly indexRepair: string;
  /**
   * String per dispatch batch (releases of claimed tasks), for two minutes: its outcome, one digit
   * per task, so that the same batch sent twice (its reply lost with a connection) is answered
   * alike both times.
   */
  dispatched(batchId: string): string;
  /** The pub/sub channel of change messages (a channel, not a key). */
  readonly channel: string;
}

/**
 * How long a dispatch batch's outcome stays recognisable when sent again, ms: longer than a
 * client keeps a command across reconnection attempts (ioredis by default: 20 attempts, at most
 * 2 s apart).
 */
const OUTCOME_TTL = 120_000;
/** The most tasks one add script takes: each script stays short, so Redis serves others between. */
const ADD_BATCH = 1_000;
/**
 * The most tasks one claim script takes, whatever the limit asked: it keeps each script short, so
 * Redis serves other clients between batches. The scheduler asks again while batches come full.
 */
const CLAIM_BATCH = 1_000;
/** The most expired run leases one call hands out; the rest come with the next heartbeat. */
const EXPIRED_BATCH = 1_000;
/** How many hash entries one HSCAN step asks for: big hashes are read without blocking Redis. */
const SCAN_COUNT = 1_000;

/** A task row as stored. */
interface Row {
  readonly nextRunTime: number | null;
  readonly revision: number;
  readonly seq: number;
  readonly payload: string;
  readonly seal?: string;
}

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
 * import { Scheduler } from '@horae/core/store';
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
  private readonly givenClient: Redis | Cluster | undefined;
  private readonly url: string | undefined;
  private readonly redisOptions: RedisOptions;
  private readonly pollInterval: number;
  private readonly indexCheckInterval: number;
  /** The connection the store opened itself, created on first use and closed at shutdown. */
  private ownClient: Redis | undefined;
  private subscriber: Redis | Cluster | undefined;
  private poller: NodeJS.Timeout | undefined;
  private indexChecker: NodeJS.Timeout | undefined;
  /** The due-index check in progress: one at a time. */
  private indexCheck: Promise<void> | undefined;
  /** The last wrong-typed key reported by a check, so that it is logged once, not every period. */
  private lastIndexError: string | undefined;
  /** Counts starts and stops: a check begun under one start stops when it is over. */
  private generation = 0;
  /** Tells this store's own change messages from other stores': unique per store object. */
  private readonly token = randomUUID();
  private instanceId = 'unstarted';
  private alias = 'default';
  private logger: Logger = defaultLogger;
  /** Reports a record this store quarantined by itself; logs until the scheduler starts it. */
  private reportQuarantined = (id: string, reason: string): void => {
    this.logger.error(`Task "${id}" in store "${this.alias}" was moved to the quarantine: ${reason}.`);
  };

  constructor(options: RedisStoreOptions = {}) {
    const checked = checkOptions(options);
    this.givenClient = options.client;
    this.url = options.url;
    this.redisOptions = options.redisOptions ?? {};
    this.prefix = checked.prefix;
    this.pollInterval = checked.pollInterval;
    this.indexCheckInterval = checked.indexCheckInterval;
    this.keys = redisStoreKeys(this.prefix);
  }

  async start(context: StoreContext): Promise<void> {
    this.alias = context.alias;
    this.logger = context.logger;
    this.instanceId = context.instanceId;
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
    await this.stopListening();

    const subscriber = this.openSubscriber();
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.keys.channel && !this.isOwnMessage(message)) context.wake();
    });
    const subscribe = (): Promise<void> =>
      subscriber.subscribe(this.keys.channel).then(
        () => undefined,
        (error: unknown) => {
          // Rejected only when the connection was closed: by shutdown, or for good.
          if (this.subscriber === subscriber) this.logger.error(`Store "${this.alias}" could not subscribe to change messages; it polls every ${this.pollInterval} ms.`, error);
        },
      );
    let connectedBefore = false;
    let readyBefore = false;
    subscriber.on('ready', () => {
      // A reconnection: subscribe again (a Cluster's subscriber does so by itself), here rather
      // than by ioredis's autoResubscribe, whose SUBSCRIBE nobody awaits: cut short by shutdown,
      // it was an unhandled "Connection is closed." rejection.
      if (readyBefore && !isCluster(subscriber)) void subscribe();
      readyBefore = true;
      // After a reconnection changes may have been missed.
      if (connectedBefore) context.wake();
      connectedBefore = true;
    });
    const subscribed = subscribe();
    // Redis down at start: the scheduler starts anyway and retries its store calls; the
    // subscription is made as soon as Redis answers (the command waits in the offline queue).
    let onError: (error: unknown) => void = () => undefined;
    const failed = new Promise<unknown>((resolve) => {
      onError = resolve;
      subscriber.once('error', onError);
    });
    const outcome = await Promise.race([subscribed, failed]);
    subscriber.off('error', onError);
    if (outcome !== undefined) {
      // Whatever changed before Redis answers, the first connection should be news too.
      connectedBefore = true;
      this.logger.warn(
        `Store "${this.alias}" cannot reach Redis yet (${describe(outcome)}); it will subscribe to change messages once Redis answers, and polls every ${this.pollInterval} ms meanwhile.`,
      );
    }
    this.poller = setInterval(() => context.wake(), this.pollInterval);
    this.poller.unref();
    // At start, then every period: a lost index is found and repaired without anyone asking.
    const generation = this.generation;
    const checkIndex = (): void => {
      if (this.indexCheck !== undefined) return; // a long repair is not begun again meanwhile
      const check = this.checkIndex(generation, context).finally(() => {
        if (this.indexCheck === check) this.indexCheck = undefined;
      });
      this.indexCheck = check;
    };
    checkIndex();
    this.indexChecker = setInterval(checkIndex, this.indexCheckInterval);
    this.indexChecker.unref();
  }

  async shutdown(): Promise<void> {
    await this.stopListening();
    const own = this.ownClient;
    this.ownClient = undefined;
    if (own !== undefined) await closeConnection(own);
  }

  async addTask(task: StoredTask): Promise<void> {
    const added = await this.run(ADD, this.writeKeys(), [task.id, ...this.rowArguments(task), ...this.announcement()]);
    if (added !== 1) throw errors.conflictingId(task.id, this.alias);
  }

  /** Adds the tasks whose ids are free, one script per {@link ADD_BATCH} tasks; resolves to the ids that existed. */
  async addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
    const batches: Promise<unknown>[] = [];
    for (let start = 0; start < tasks.length; start += ADD_BATCH) {
      const args = tasks.slice(start, start + ADD_BATCH).flatMap((task) => [task.id, ...this.rowArguments(task)]);
      batches.push(this.run(ADD_MANY, this.writeKeys(), [...this.announcement(), ...args]));
    }
    return (await Promise.all(batches)).flat() as string[];
  }

  async updateTask(task: StoredTask): Promise<void> {
    const updated = await this.run(UPDATE, this.writeKeys(), [task.id, ...this.rowArguments(task), ...this.announcement()]);
    if (updated !== 1) throw errors.taskNotFound(task.id, this.alias);
  }

  async deleteTask(id: string): Promise<void> {
    const deleted = await this.run(DELETE, [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.paused], [id, ...this.announcement()]);
    if (deleted !== 1) throw errors.taskNotFound(id, this.alias);
  }

  async lookupTask(id: string): Promise<StoredTask | null> {
    const raw = await this.typed(this.keys.tasks, 'hash', (client) => client.hget(this.keys.tasks, id));
    return raw === null ? null : this.readRow(id, raw);
  }

  async getAllTasks(): Promise<StoredTask[]> {
    const rows = await this.scanHash(this.keys.tasks);
    const tasks: (StoredTask & { seq: number })[] = [];
    for (const [id, raw] of rows) {
      const row = parseRow(raw);
      if (typeof row === 'string') await this.quarantineUnreadable(id, raw, row);
      else tasks.push({ ...storedTask(id, row), seq: row.seq });
    }
    const order = (task: StoredTask): number => task.nextRunTime ?? Infinity;
    return tasks
      .sort((a, b) => order(a) - order(b) || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ seq: _seq, ...task }) => task);
  }

  async getNextRunTime(): Promise<number | null> {
    // The index already holds, for a claimed task, the later of its run time and the claim's expiry.
    const reply: unknown[] = await this.typed(this.keys.due, 'zset', (client) => client.zrange(this.keys.due, '0', '0', 'WITHSCORES'));
    const score = reply.flat()[1];
    return score === undefined ? null : Number(score);
  }

  async removeAllTasks(): Promise<void> {
    await this.run(REMOVE_ALL, [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.paused], this.announcement());
  }

  /** Claims by Redis's clock: `now` is ignored, so instances with skewed clocks agree. */
  async claimDueTasks({ limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    checkDuration(duration);
    if (!(limit >= 1)) return [];
    const batch = String(Math.min(Math.floor(limit), CLAIM_BATCH));
    const reply = await this.run(CLAIM_DUE, this.quarantineKeys(), [owner, String(duration), batch]);
    const [claimedPairs, quarantinedPairs] = reply as [string[], string[]];
    for (const [id, reason] of pairs(quarantinedPairs)) this.reportQuarantined(id, reason);
    const claimed: StoredTask[] = [];
    for (const [id, raw] of pairs(claimedPairs)) {
      const row = parseRow(raw);
      // The script read this row already; only a reader disagreeing with cjson gets here.
      if (typeof row === 'string') await this.quarantineUnreadable(id, raw, row);
      else claimed.push(storedTask(id, row));
    }
    return claimed;
  }

  async claimTask(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    checkDuration(duration);
    const [status, detail] = (await this.run(CLAIM_ONE, this.quarantineKeys(), [id, owner, String(duration)])) as [string, string?];
    if (status === 'quarantined') this.reportQuarantined(id, detail ?? 'its record in Redis cannot be read');
    if (status !== 'claimed' || detail === undefined) return null;
    return this.readRow(id, detail);
  }

  /** One script per batch: run leases, releases and the batch's outcome, kept for a resend. */
  async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
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
    const keys = [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.runs, this.keys.runExpiry, this.keys.taskRuns, this.keys.dispatched(randomUUID()), this.keys.paused];
    const answer = String(await this.run(DISPATCH, keys, args));
    return dispatches.map((_, index) => ({ released: answer[index] !== '0', runLeased: answer[index] === '2' }));
  }

  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    checkDuration(duration);
    const args = [lease.taskId, lease.runId, runLeaseJson(lease), String(instanceBound(maxInstances)), String(duration)];
    const acquired = await this.run(ACQUIRE_RUN, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], args);
    return acquired === 1;
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    checkDuration(duration);
    if (runIds.length === 0) return;
    await this.run(RENEW_RUNS, [this.keys.runs, this.keys.runExpiry], [owner, String(duration), ...runIds]);
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    await this.releaseRunLeases([{ taskId, runId }]);
  }

  async releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.run(RELEASE_RUNS, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], leases.flatMap(({ taskId, runId }) => [taskId, runId]));
  }

  async takeExpiredRunLeases(): Promise<RunLease[]> {
    const taken = (await this.run(TAKE_EXPIRED_RUNS, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], [String(EXPIRED_BATCH)])) as string[];
    const leases: RunLease[] = [];
    for (const raw of taken) {
      const lease = parseRunLease(raw);
      if (lease === undefined) this.logger.warn(`Store "${this.alias}": an expired run lease cannot be read and was dropped: ${raw.slice(0, 200)}`);
      else leases.push(lease);
    }
    return leases;
  }

  async quarantineTask(id: string, reason: string): Promise<void> {
    const moved = await this.run(QUARANTINE, this.quarantineKeys(), [id, reason]);
    if (moved !== 1) throw errors.taskNotFound(id, this.alias);
  }

  async getQuarantinedTasks(): Promise<QuarantinedTask[]> {
    const held = await this.scanHash(this.keys.quarantine);
    return [...held].map(([id, raw]) => quarantinedTask(id, raw)).sort((a, b) => a.quarantinedAt - b.quarantinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async restoreQuarantinedTask(id: string): Promise<void> {
    const [status] = (await this.run(RESTORE, [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.quarantine, this.keys.seq, this.keys.paused], [id, ...this.announcement()])) as [string, string?];
    if (status === 'missing') throw errors.notQuarantined(id, this.alias);
    if (status === 'conflict') throw errors.conflictingId(id, this.alias);
    // 'unreadable': still unreadable, so it stays in the quarantine with the new reason.
  }

  async purgeQuarantinedTask(id: string): Promise<void> {
    if ((await this.typed(this.keys.quarantine, 'hash', (client) => client.hdel(this.keys.quarantine, id))) !== 1) throw errors.notQuarantined(id, this.alias);
  }

  // ---------------------------------------------------------------- internals

  /** The connection commands go to: the given client, or the store's own, opened on first use. */
  private client(): Redis | Cluster {
    if (this.givenClient !== undefined) return this.givenClient;
    if (this.ownClient === undefined) {
      const client = this.openOwnConnection({});
      // ioredis reports every failed reconnection attempt; the scheduler already logs an outage
      // once and retries, so these are for debugging only.
      client.on('error', (error: unknown) => this.logger.debug(`Store "${this.alias}": Redis connection error: ${describe(error)}`));
      this.ownClient = client;
    }
    return this.ownClient;
  }

  private openOwnConnection(overrides: RedisOptions): Redis {
    const options: RedisOptions = {
      // Fail a command after one failed reconnection attempt instead of queueing it for the
      // whole outage: the scheduler logs the outage once and retries every storeRetryInterval.
      maxRetriesPerRequest: 0,
      // A script whose reply was lost with the connection may have run. Sent again, a claim
      // would find its tasks claimed already and return none (delaying them by a lease) and an
      // add would report a conflict; failing instead lets the scheduler retry with the truth.
      autoResendUnfulfilledCommands: false,
      ...this.redisOptions,
      ...overrides,
    };
    return this.url === undefined ? new Redis(options) : new Redis(this.url, options);
  }

  /**
   * A connection of its own for SUBSCRIBE (a subscribed connection can do nothing else). Its
   * SUBSCRIBE waits for Redis however long an outage lasts, and is made again on reconnection
   * (by start()'s 'ready' listener, not by ioredis: see there).
   */
  private openSubscriber(): Redis | Cluster {
    const patient = { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: false, lazyConnect: false } as const;
    let subscriber: Redis | Cluster;
    if (this.givenClient === undefined) subscriber = this.openOwnConnection(patient);
    else if (isCluster(this.givenClient)) {
      const { redisOptions } = this.givenClient.options;
      subscriber = this.givenClient.duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...redisOptions, maxRetriesPerRequest: null, autoResubscribe: true } });
    } else subscriber = this.givenClient.duplicate(patient);
    subscriber.on('error', (error: unknown) => this.logger.debug(`Store "${this.alias}": Redis subscriber connection error: ${describe(error)}`));
    return subscriber;
  }

  private async stopListening(): Promise<void> {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    if (this.indexChecker !== undefined) clearInterval(this.indexChecker);
    this.indexChecker = undefined;
    // A check in progress stops after its current step, and sends nothing more.
    this.generation++;
    this.indexCheck = undefined;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber !== undefined) {
      subscriber.removeAllListeners('message');
      subscriber.removeAllListeners('ready');
      // No QUIT: the subscription holds nothing to flush, and QUIT would wait for a reconnection.
      subscriber.disconnect();
      await Promise.resolve();
    }
  }

  /** The channel and message every write publishes: the writer's instance id and store token. */
  private announcement(): [string, string] {
    return [this.keys.channel, JSON.stringify({ instance: this.instanceId, store: this.token })];
  }

  private isOwnMessage(message: string): boolean {
    try {
      return (JSON.parse(message) as { store?: unknown }).store === this.token;
    } catch {
      return false; // not ours, whatever it is: waking up is harmless
    }
  }

  /** ARGV of a row for ADD and UPDATE: next run time, revision, payload and seal as JSON. */
  private rowArguments(task: StoredTask): [string, string, string, string] {
    if (typeof task.payload !== 'string') {
      throw errors.payloadNotString(task.id, this.alias, task.payload);
    }
    if (!Number.isSafeInteger(task.revision)) {
      throw errors.invalidRevision(task.id, task.revision);
    }
    return [timeText(task.id, task.nextRunTime), String(task.revision), JSON.stringify(task.payload), sealText(task.seal)];
  }

  /** KEYS of the scripts that write a row (add, add-many, update). */
  private writeKeys(): string[] {
    return [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.seq, this.keys.paused];
  }

  /** KEYS of the scripts that may move a row to the quarantine (claims, quarantine). */
  private quarantineKeys(): string[] {
    return [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.quarantine, this.keys.paused];
  }

  /** A row as read with a plain command; an unreadable one goes to the quarantine. */
  private async readRow(id: string, raw: string): Promise<StoredTask | null> {
    const row = parseRow(raw);
    if (typeof row !== 'string') return storedTask(id, row);
    await this.quarantineUnreadable(id, raw, row);
    return null;
  }

  /** Quarantines a row this store cannot read, unless it changed since it was read. */
  private async quarantineUnreadable(id: string, raw: string, why: string): Promise<void> {
    const reason = `its record in Redis cannot be read: ${why}`;
    if ((await this.run(QUARANTINE, this.quarantineKeys(), [id, reason, raw])) === 1) this.reportQuarantined(id, reason);
  }

  /** Every field of a hash, read in steps so that a big one does not block Redis. */
  private async scanHash(key: string): Promise<Map<string, string>> {
    const entries = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.typed(key, 'hash', (client) => client.hscan(key, cursor, 'COUNT', String(SCAN_COUNT)));
      // HSCAN may return a field twice; the map keeps one.
      for (const [field, value] of pairs(flat)) entries.set(field, value);
      cursor = next;
    } while (cursor !== '0');
    return entries;
  }

  /**
   * Runs a script by its SHA, sending its body only when the server lacks it (after a restart). A
   * script that found one of its keys of another type wrote nothing and fails with a typed error.
   */
  private async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const client = this.client();
    try {
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // NOSCRIPT means the script did not run: sending it in full cannot apply anything twice.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await client.eval(script.lua, keys.length, ...keys, ...args);
      }
    } catch (error) {
      throw scriptError(this.keyContext(), error, keys);
    }
  }

  /** A plain command on `key`, with Redis's WRONGTYPE turned into a typed error naming the key. */
  private async typed<TResult>(key: string, expected: string, command: (client: Redis | Cluster) => Promise<TResult>): Promise<TResult> {
    const client = this.client();
    try {
      return await command(client);
    } catch (error) {
      if (!isWrongType(error)) throw error;
      const found = await client.type(key).catch(() => 'unknown');
      throw wrongTypeError(this.keyContext(), key, expected, found);
    }
  }

  private keyContext(): KeyContext {
    return { alias: this.alias, rebuilt: [this.keys.due, this.keys.paused], indexCheckInterval: this.indexCheckInterval };
  }

  /**
   * One check of the due index (see due-index.ts): logs what it repaired, wakes the scheduler when
   * tasks went back into the index, and reports a key of the wrong type once.
   */
  private async checkIndex(generation: number, context: StoreContext): Promise<void> {
    const logger = guardedLogger(this.logger);
    try {
      const { changedIndex } = await checkDueIndex({
        alias: this.alias,
        logger,
        keys: this.keys,
        // Never after a stop: this.client() would open a connection that nobody closes.
        run: (script, keys, args) => (this.generation === generation ? this.run(script, keys, args) : Promise.reject(new Error('the store stopped'))),
        quarantined: (id, reason) => this.reportQuarantined(id, reason),
        active: () => this.generation === generation,
      });
      this.lastIndexError = undefined;
      if (changedIndex) context.wake();
    } catch (error) {
      if (this.generation !== generation) return; // stopped meanwhile: its connection was closed
      if (isHoraeError(error)) {
        if (error.message !== this.lastIndexError) logger.error(`@horae/redis: store "${this.alias}" cannot check its due index. ${error.message}`);
        this.lastIndexError = error.message;
      } else {
        // Redis unreachable: the scheduler reports the outage; the next period checks again.
        logger.debug(`@horae/redis: store "${this.alias}" could not check its due index: ${describe(error)}`);
      }
    }
  }
}

/** The keys of a store with `prefix`, all in the hash tag `{prefix}`. @internal */
export function redisStoreKeys(prefix: string): RedisStoreKeys {
  const tag = `{${prefix}}`;
  return {
    tasks: `${tag}:tasks`,
    due: `${tag}:due`,
    paused: `${tag}:paused`,
    claims: `${tag}:claims`,
    seq: `${tag}:seq`,
    runs: `${tag}:runs`,
    runExpiry: `${tag}:run-expiry`,
    taskRuns: `${tag}:task-runs`,
    quarantine: `${tag}:quarantine`,
    indexRepair: `${tag}:index-repair`,
    dispatched: (batchId) => `${tag}:dispatched:${batchId}`,
    channel: `${tag}:changes`,
  };
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** How long shutdown waits for Redis to answer QUIT before it just closes the socket, ms. */
const QUIT_TIMEOUT = 2_000;

/** Closes a connection politely (QUIT lets queued replies arrive) but never waits long for it. */
async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, QUIT_TIMEOUT);
      timer.unref();
    });
    await Promise.race([client.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
  // After QUIT a no-op; otherwise it stops reconnection attempts and fails what is queued.
  client.disconnect();
}

/** Consecutive pairs of a flat reply: [a, b, c, d] -> [a, b], [c, d]. */
function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let index = 0; index + 1 < flat.length; index += 2) yield [flat[index]!, flat[index + 1]!];
}

/** A row, or why it cannot be read (the same checks as the scripts' decode_row). */
function parseRow(raw: string): Row | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return `it is not JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const { nextRunTime = null, revision, seq, payload, seal } = value as Record<string, unknown>;
  if (nextRunTime !== null && typeof nextRunTime !== 'number') return 'its nextRunTime is neither a number nor null';
  if (typeof revision !== 'number') return 'its revision is not a number';
  if (typeof payload !== 'string') return 'its payload is not a string';
  if (seal !== undefined && typeof seal !== 'string') return 'its seal is not a string';
  return { nextRunTime, revision, seq: typeof seq === 'number' ? seq : 0, payload, ...(seal === undefined ? {} : { seal }) };
}

function storedTask(id: string, row: Row): StoredTask {
  const { nextRunTime, revision, payload, seal } = row;
  return seal === undefined ? { id, nextRunTime, revision, payload } : { id, nextRunTime, revision, payload, seal };
}

/** A seal as the scripts take it: JSON, or "" for none. */
function sealText(seal: string | undefined): string {
  return seal === undefined ? '' : JSON.stringify(seal);
}

function quarantinedTask(id: string, raw: string): QuarantinedTask {
  let entry: { reason?: unknown; quarantinedAt?: unknown; row?: unknown } = {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null) entry = value;
  } catch {
    // an entry edited by hand: shown as found
  }
  const found = typeof entry.row === 'string' ? entry.row : raw;
  const row = parseRow(found);
  const reason = typeof entry.reason === 'string' ? entry.reason : 'its quarantine entry cannot be read';
  const quarantinedAt = typeof entry.quarantinedAt === 'number' ? entry.quarantinedAt : 0;
  // A readable row gives back the task's fields; an unreadable one is shown exactly as found.
  if (typeof row === 'string') return { id, payload: found, nextRunTime: null, revision: 0, reason, quarantinedAt };
  return { ...storedTask(id, row), reason, quarantinedAt };
}

function runLeaseJson(lease: RunLease): string {
  return JSON.stringify({ taskId: lease.taskId, runId: lease.runId, owner: lease.owner, scheduledAt: lease.scheduledAt });
}

/** Lua reads no "Infinity": an unbounded maxInstances becomes a bound no count reaches. */
function instanceBound(maxInstances: number): number {
  return Number.isFinite(maxInstances) ? maxInstances : Number.MAX_SAFE_INTEGER;
}

function parseRunLease(raw: string): RunLease | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof RunLease, unknown>>;
    const { taskId, runId, owner, scheduledAt } = value;
    if (typeof taskId !== 'string' || typeof runId !== 'string' || typeof owner !== 'string' || typeof scheduledAt !== 'number') return undefined;
    return { taskId, runId, owner, scheduledAt };
  } catch {
    return undefined;
  }
}

/** A next run time as the scripts take it: "null", or a number Redis and JSON both read. */
function timeText(id: string, time: number | null): string {
  if (time === null) return 'null';
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw errors.invalidNextRunTime(id, time);
  }
  return String(time);
}

function checkDuration(duration: number): void {
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
    throw errors.invalidLeaseDuration(duration);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkOptions(options: RedisStoreOptions): { prefix: string; pollInterval: number; indexCheckInterval: number } {
  if (typeof options !== 'object' || options === null) throw errors.invalidOption('options', options, 'an object');
  checkStoreOptions('RedisStore', options, OPTION_KEYS);
  const { client, url, redisOptions, prefix = 'horae', pollInterval = 1000, indexCheckInterval = 10_000 } = options;
  if (client !== undefined && (url !== undefined || redisOptions !== undefined)) {
    throw errors.invalidOption('client', 'with url or redisOptions', 'give either client (a connection of your own) or url/redisOptions (a connection the store opens), not both');
  }
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as { evalsha?: unknown }).evalsha !== 'function')) {
    throw errors.invalidOption('client', typeof client, 'an ioredis Redis or Cluster instance');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) throw errors.invalidOption('url', url, 'a redis:// or rediss:// URL');
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix) || prefix.length > 200) {
    throw errors.invalidOption('prefix', prefix, 'a non-empty string of at most 200 characters without "{" or "}" (the store wraps it in a hash tag)');
  }
  if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < 1 || pollInterval > 2 ** 31 - 1) {
    throw errors.invalidOption('pollInterval', pollInterval, 'a number of milliseconds, at least 1');
  }
  if (typeof indexCheckInterval !== 'number' || !Number.isFinite(indexCheckInterval) || indexCheckInterval < 1 || indexCheckInterval > 2 ** 31 - 1) {
    throw errors.invalidOption('indexCheckInterval', indexCheckInterval, 'a number of milliseconds, at least 1');
  }
  return { prefix, pollInterval, indexCheckInterval };
}
