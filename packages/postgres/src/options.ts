/**
 * What a PostgresStore is given at construction, and the checks that refuse what it cannot use
 * before it touches PostgreSQL.
 */
import { checkStoreOptions } from '@horae/core/store';
import type { Pool, PoolConfig } from 'pg';
import { errors } from './messages.js';

/**
 * Options of {@link PostgresStore}. Give either `pool` (a `pg` `Pool` of your own, which the store
 * uses and never ends) or `connectionString` and/or `poolConfig` (the store opens a pool of its
 * own and ends it at shutdown); with none of them, `pg` reads the usual `PG*` environment
 * variables.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ connectionString: process.env.DATABASE_URL, schema: 'billing', table: 'scheduled_tasks' });
 * ```
 * @public
 */
export interface PostgresStoreOptions {
  /**
   * A `pg` `Pool` to use. The store does not end it. Besides its queries, the store holds one of
   * its connections for `LISTEN` while it runs (unless `notify` is `false`), so size it one
   * larger. Give it a `connectionTimeoutMillis` of a few seconds: during an outage the scheduler
   * retries on its own, and a call that waits for a connection holds up its dispatching.
   */
  readonly pool?: Pool;
  /** A `postgres://` or `postgresql://` connection string for a pool the store opens and owns. */
  readonly connectionString?: string;
  /**
   * `pg` pool options for the pool the store opens, over the store's defaults
   * (`connectionTimeoutMillis: 2000`, `max: 10`).
   */
  readonly poolConfig?: PoolConfig;
  /** The schema of the store's tables; created if missing. Default `'public'`. */
  readonly schema?: string;
  /**
   * The tasks table's name. The store's other tables and functions are named after it
   * (`<table>_leases`, `<table>_quarantine`, `<table>_runs`, `<table>_instances`,
   * `<table>_migrations`). Stores on different tables share nothing. At most 48 characters.
   * Default `'horae_tasks'`.
   */
  readonly table?: string;
  /**
   * Whether to `LISTEN` for other instances' changes, so that a task added or moved earlier by
   * one instance wakes the others at once. Default `true`. With `false`, the store polls only.
   */
  readonly notify?: boolean;
  /**
   * How often (ms) the store asks its scheduler to look for due work without being told of a
   * change: a safety net beside `LISTEN` (which misses notifications while it reconnects), and
   * the only notification with `notify: false`. Default `1000`.
   */
  readonly pollInterval?: number;
}

/** The options every store has a value for, once checked. */
export interface CheckedOptions {
  readonly schema: string;
  readonly table: string;
  readonly notify: boolean;
  readonly pollInterval: number;
}

/**
 * The longest table name: PostgreSQL cuts identifiers at 63 bytes, and the longest name derived
 * from it (`<table>_leases_expiry`) adds 14.
 */
export const MAX_TABLE_BYTES = 48;

const OPTION_KEYS = ['pool', 'connectionString', 'poolConfig', 'schema', 'table', 'notify', 'pollInterval'];

/** Refuses options the store cannot use, naming the option, the value and what is allowed; fills in the defaults. */
export function checkOptions(options: PostgresStoreOptions): CheckedOptions {
  const invalid = errors.invalidOption;
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'an object');
  checkStoreOptions('PostgresStore', options, OPTION_KEYS);
  const { pool, connectionString, poolConfig, schema = 'public', table = 'horae_tasks', notify = true, pollInterval = 1000 } = options;
  if (pool !== undefined && (connectionString !== undefined || poolConfig !== undefined)) {
    throw invalid('pool', 'with connectionString or poolConfig', 'give either pool (a pg Pool of your own) or connectionString/poolConfig (a pool the store opens), not both');
  }
  if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof (pool as { query?: unknown }).query !== 'function' || typeof (pool as { connect?: unknown }).connect !== 'function')) {
    throw invalid('pool', typeof pool, 'a Pool from the pg package');
  }
  if (connectionString !== undefined && (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString))) {
    throw invalid('connectionString', connectionString, 'a postgres:// or postgresql:// connection string');
  }
  if (poolConfig !== undefined && (typeof poolConfig !== 'object' || poolConfig === null)) throw invalid('poolConfig', poolConfig, 'an object of pg Pool options');
  checkName('schema', schema, 63);
  checkName('table', table, MAX_TABLE_BYTES);
  if (typeof notify !== 'boolean') throw invalid('notify', notify, 'true or false');
  if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < 1 || pollInterval > 2 ** 31 - 1) {
    throw invalid('pollInterval', pollInterval, 'a number of milliseconds, at least 1');
  }
  return { schema, table, notify, pollInterval };
}

/** Refuses a name PostgreSQL would cut short or cannot hold (names are quoted, so any other character is fine). */
function checkName(option: 'schema' | 'table', name: unknown, maxBytes: number): void {
  if (typeof name !== 'string' || name === '' || name.includes('\0') || Buffer.byteLength(name) > maxBytes) {
    throw errors.invalidOption(option, name, `a name of 1 to ${maxBytes} bytes without NUL characters`);
  }
}
