/**
 * The names of one store's tables, indexes and functions, quoted for SQL, and the expression of
 * the database's clock that every lease and due time is measured on.
 */
import pg from 'pg';
import { createHash } from 'node:crypto';

/**
 * The database's clock, epoch ms, whole milliseconds. `clock_timestamp()` rather than `now()`:
 * a lease measured inside a function must not start at the beginning of a transaction that
 * waited for a lock.
 */
export const NOW_MS = "floor(extract(epoch from clock_timestamp()) * 1000)::float8";

/** One store's objects in PostgreSQL: every name SQL text uses, already quoted. */
export interface StoreNames {
  /** `schema.table`, unquoted, for messages. */
  readonly display: string;
  readonly schema: string;
  readonly tasks: string;
  readonly leases: string;
  readonly quarantine: string;
  readonly runs: string;
  readonly instances: string;
  readonly migrations: string;
  /** The index names, quoted, without the schema (CREATE INDEX names none: an index lives in its table's schema). */
  readonly indexes: Record<keyof typeof INDEX_SUFFIXES, string>;
  readonly functions: {
    readonly dispatch: string;
    readonly acquireRunLease: string;
    readonly addRuns: string;
  };
  /** The `LISTEN`/`NOTIFY` channel: short and fixed per store, whatever the table's name. */
  readonly channel: string;
  /** The first key of this store's advisory locks (the second is the task's or the migration's). */
  readonly lockSpace: string;
}

/** The store's indexes, by the suffix their names add to the tasks table's name. */
export const INDEX_SUFFIXES = {
  due: '_due',
  leasesExpiry: '_leases_expiry',
  leasesRun: '_leases_run',
  runsTask: '_runs_task',
  runsEnded: '_runs_ended',
  instancesExpiry: '_inst_expiry',
} as const;

/** The names of the store on `table` in `schema`. */
export function storeNames(schema: string, table: string): StoreNames {
  const id = (name: string): string => pg.escapeIdentifier(name);
  const qualified = (name: string): string => `${id(schema)}.${id(name)}`;
  const display = `${schema}.${table}`;
  const digest = createHash('sha256').update(display).digest('hex').slice(0, 24);
  return {
    display,
    schema: id(schema),
    tasks: qualified(table),
    leases: qualified(`${table}_leases`),
    quarantine: qualified(`${table}_quarantine`),
    runs: qualified(`${table}_runs`),
    instances: qualified(`${table}_instances`),
    migrations: qualified(`${table}_migrations`),
    indexes: Object.fromEntries(Object.entries(INDEX_SUFFIXES).map(([key, suffix]) => [key, id(table + suffix)])) as StoreNames['indexes'],
    functions: {
      dispatch: qualified(`${table}_dispatch`),
      acquireRunLease: qualified(`${table}_acquire`),
      addRuns: qualified(`${table}_add_runs`),
    },
    channel: `horae_${digest}`,
    lockSpace: pg.escapeLiteral(`horae:${display}`),
  };
}
