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
  /** The index names, unquoted within the schema (CREATE INDEX names no schema), quoted. */
  readonly indexes: {
    readonly due: string;
    readonly leasesExpiry: string;
    readonly leasesRun: string;
    readonly runsTask: string;
    readonly runsEnded: string;
    readonly instancesExpiry: string;
  };
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
    indexes: {
      due: id(`${table}_due`),
      leasesExpiry: id(`${table}_leases_expiry`),
      leasesRun: id(`${table}_leases_run`),
      runsTask: id(`${table}_runs_task`),
      runsEnded: id(`${table}_runs_ended`),
      instancesExpiry: id(`${table}_inst_expiry`),
    },
    functions: {
      dispatch: qualified(`${table}_dispatch`),
      acquireRunLease: qualified(`${table}_acquire`),
      addRuns: qualified(`${table}_add_runs`),
    },
    channel: `horae_${digest}`,
    lockSpace: pg.escapeLiteral(`horae:${display}`),
  };
}
