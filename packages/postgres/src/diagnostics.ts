/**
 * What a look at a PostgresStore's tables finds, read only, for diagnostics (`horae doctor`):
 * their schema version, and the indexes they lack.
 */
import type { ClientBase, Pool } from 'pg';
import { LATEST_VERSION } from './migrations.js';
import { INDEX_SUFFIXES, storeNames } from './names.js';

/** The state of a PostgresStore's tables. @public */
export interface TablesStatus {
  /** The schema version applied, or `undefined` when the tables do not exist (no store has started on them). */
  readonly version: number | undefined;
  /** The newest version this package knows: what a store brings the tables to at its start. */
  readonly latest: number;
  /** The store's indexes that are missing, by name; without them claims and sweeps scan the tables. */
  readonly missingIndexes: string[];
}

/**
 * Reads the schema version of a store's tables and which of its indexes are missing, changing
 * nothing (a store's start would create or migrate the tables; an index dropped by hand stays
 * dropped until it is created again).
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ connectionString, schema: 'billing' });
 * const { version, latest, missingIndexes } = await inspectTables(pool, store);
 * ```
 * @public
 */
export async function inspectTables(db: Pool | ClientBase, store: { readonly schema: string; readonly table: string }): Promise<TablesStatus> {
  const names = storeNames(store.schema, store.table);
  const { rows } = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [names.migrations]);
  if (rows[0]!.found === null) return { version: undefined, latest: LATEST_VERSION, missingIndexes: [] };
  const { rows: versions } = await db.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${names.migrations}`);
  const { rows: indexes } = await db.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [store.schema]);
  const present = new Set(indexes.map((index) => index.indexname));
  const missingIndexes = Object.values(INDEX_SUFFIXES)
    .map((suffix) => store.table + suffix)
    .filter((name) => !present.has(name));
  return { version: versions[0]!.version ?? 0, latest: LATEST_VERSION, missingIndexes };
}
