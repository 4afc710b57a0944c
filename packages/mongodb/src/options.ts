/**
 * What a MongoDBStore is given at construction, and the checks that refuse what it cannot use
 * before it touches MongoDB.
 */
import { checkStoreOptions } from '@horae/core/store';
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { errors } from './messages.js';

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
  /** One document per task holding its run history, removed by a TTL index when the task records nothing more. */
  readonly runs: string;
  /** One document per scheduler instance that beats, so that every instance can list those alive. */
  readonly instances: string;
}

/** The options every store has a value for, once checked. */
export interface CheckedOptions {
  readonly database: string;
  readonly collection: string;
  readonly pollInterval: number;
}

/** Database names MongoDB refuses (on any platform), and collection names it refuses or reserves. */
const BAD_DATABASE = /[/\\. "$*<>:|?\0]/;
const BAD_COLLECTION = /[$\0]|^system\.|^\.|\.$/;

const OPTION_KEYS = ['client', 'url', 'clientOptions', 'database', 'collection', 'changeStream', 'pollInterval'];

/** Refuses options the store cannot use, naming the option, the value and what is allowed; fills in the defaults. */
export function checkOptions(options: MongoDBStoreOptions): CheckedOptions {
  const invalid = errors.invalidOption;
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'an object');
  checkStoreOptions('MongoDBStore', options, OPTION_KEYS);
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
