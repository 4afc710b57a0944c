/**
 * Where a RedisStore's keys are, and who it is in its scheduler: the client (given, or opened and
 * owned), the connection change messages come in on, the store's keys, its alias, logger and
 * instance id, and whom to tell of a task it quarantined. Every room of the store reaches Redis
 * through one of these: scripts by `run` (EVALSHA), plain commands by `typed`.
 */
import { defaultLogger, type Logger, type StoreContext } from '@horae/core/store';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { isWrongType, scriptError, wrongTypeError, type KeyContext } from './key-types.js';
import type { RedisStoreKeys } from './keys.js';
import type { Script } from './scripts/index.js';

/** How many hash entries one HSCAN step asks for: big hashes are read without blocking Redis. */
const SCAN_COUNT = 1_000;
/** How long shutdown waits for Redis to answer QUIT before it just closes the socket, ms. */
const QUIT_TIMEOUT = 2_000;

/** How a {@link Connection} reaches Redis, from the store's checked options. */
export interface ConnectionSettings {
  readonly client: Redis | Cluster | undefined;
  readonly url: string | undefined;
  readonly redisOptions: RedisOptions;
  readonly keys: RedisStoreKeys;
  /** How often the store checks its due index, ms: errors about its keys name it. */
  readonly indexCheckInterval: number;
}

/** The client and keys of one store, and its alias, logger and instance id in its scheduler. */
export class Connection {
  /** The keys and channel the store uses. */
  readonly keys: RedisStoreKeys;
  /** The store's alias in its scheduler, for messages. */
  alias = 'default';
  logger: Logger = defaultLogger;
  instanceId = 'unstarted';
  /** Reports a record this store quarantined by itself; logs until the scheduler starts it. */
  reportQuarantined = (id: string, reason: string): void => {
    this.logger.error(`Task "${id}" in store "${this.alias}" was moved to the quarantine: ${reason}.`);
  };
  /** The connection the store opened itself, created on first use and closed at shutdown. */
  private ownClient: Redis | undefined;

  constructor(private readonly settings: ConnectionSettings) {
    this.keys = settings.keys;
  }

  /** Takes the alias, logger, instance id and quarantine reports of the scheduler that starts the store. */
  attach(context: StoreContext): void {
    this.alias = context.alias;
    this.logger = context.logger;
    this.instanceId = context.instanceId;
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
  }

  /** The connection commands go to: the given client, or the store's own, opened on first use. */
  client(): Redis | Cluster {
    if (this.settings.client !== undefined) return this.settings.client;
    if (this.ownClient === undefined) {
      const client = this.openOwnConnection({});
      // ioredis reports every failed reconnection attempt; the scheduler already logs an outage
      // once and retries, so these are for debugging only.
      client.on('error', (error: unknown) => this.logger.debug(`Store "${this.alias}": Redis connection error: ${describe(error)}`));
      this.ownClient = client;
    }
    return this.ownClient;
  }

  /**
   * A connection of its own for SUBSCRIBE (a subscribed connection can do nothing else). Its
   * SUBSCRIBE waits for Redis however long an outage lasts, and is made again on reconnection
   * (by the wake-ups' 'ready' listener, not by ioredis: see there).
   */
  openSubscriber(): Redis | Cluster {
    const given = this.settings.client;
    const patient = { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: false, lazyConnect: false } as const;
    let subscriber: Redis | Cluster;
    if (given === undefined) subscriber = this.openOwnConnection(patient);
    else if (isCluster(given)) {
      const { redisOptions } = given.options;
      subscriber = given.duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...redisOptions, maxRetriesPerRequest: null, autoResubscribe: true } });
    } else subscriber = given.duplicate(patient);
    subscriber.on('error', (error: unknown) => this.logger.debug(`Store "${this.alias}": Redis subscriber connection error: ${describe(error)}`));
    return subscriber;
  }

  /**
   * Runs a script by its SHA, sending its body only when the server lacks it (after a restart). A
   * script that found one of its keys of another type wrote nothing and fails with a typed error.
   */
  async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
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
  async typed<TResult>(key: string, expected: string, command: (client: Redis | Cluster) => Promise<TResult>): Promise<TResult> {
    const client = this.client();
    try {
      return await command(client);
    } catch (error) {
      if (!isWrongType(error)) throw error;
      const found = await client.type(key).catch(() => 'unknown');
      throw wrongTypeError(this.keyContext(), key, expected, found);
    }
  }

  /** Every field of a hash, read in steps so that a big one does not block Redis. */
  async scanHash(key: string): Promise<Map<string, string>> {
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

  /** Closes the connection the store opened (a given one stays open); the next call opens another. */
  async close(): Promise<void> {
    const own = this.ownClient;
    this.ownClient = undefined;
    if (own !== undefined) await closeConnection(own);
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
      ...this.settings.redisOptions,
      ...overrides,
    };
    const { url } = this.settings;
    return url === undefined ? new Redis(options) : new Redis(url, options);
  }

  private keyContext(): KeyContext {
    return { alias: this.alias, rebuilt: [this.keys.due, this.keys.paused], indexCheckInterval: this.settings.indexCheckInterval };
  }
}

export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

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
export function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let index = 0; index + 1 < flat.length; index += 2) yield [flat[index]!, flat[index + 1]!];
}

/** An error's message, for a log line. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
