/**
 * What a RedisStore is given at construction, and the checks that refuse what it cannot use
 * before it touches Redis.
 */
import { checkStoreOptions } from '@horae/core/store';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { errors } from './messages.js';

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

/** Refuses options the store cannot use; returns the prefix and intervals, defaults filled in. */
export function checkOptions(options: RedisStoreOptions): { prefix: string; pollInterval: number; indexCheckInterval: number } {
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
