/**
 * Where a PostgresStore's rows are, and who it is in its scheduler: the pool (given, or opened
 * and owned), the tables' names, the migrations run once before the first query, the store's
 * alias and logger. Every room of the store works through one of these.
 */
import { createHash } from 'node:crypto';
import { defaultLogger, type Logger, type StoreContext } from '@horae/core/store';
import pg, { type Pool, type PoolConfig, type QueryResultRow } from 'pg';
import { logs } from './messages.js';
import { migrate } from './migrations.js';
import type { StoreNames } from './names.js';

/** How a {@link Connection} reaches PostgreSQL, from the store's checked options. */
export interface ConnectionSettings {
  readonly pool: Pool | undefined;
  readonly connectionString: string | undefined;
  readonly poolConfig: PoolConfig;
  readonly names: StoreNames;
}

/** PostgreSQL's unique violation. */
export const UNIQUE_VIOLATION = '23505';

/** Whether an error is PostgreSQL's unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/** The pool, the tables and their migrations of one store, and its alias and logger in its scheduler. */
export class Connection {
  /** The store's alias in its scheduler, for messages. */
  alias = 'default';
  logger: Logger = defaultLogger;
  /** The pool the store opened itself, created on first use and ended at shutdown. */
  private ownPool: Pool | undefined;
  /** Resolves once the tables are at this package's version; reset after a failure, so the next call tries again. */
  private migrated: Promise<void> | undefined;

  constructor(readonly settings: ConnectionSettings) {}

  get names(): StoreNames {
    return this.settings.names;
  }

  /** Takes the alias and logger of the scheduler that starts the store. */
  attach(context: StoreContext): void {
    this.alias = context.alias;
    this.logger = context.logger;
  }

  /** The pool queries go to: the given one, or the store's own, opened on first use. */
  pool(): Pool {
    if (this.settings.pool !== undefined) return this.settings.pool;
    // Fail a call after 2 s without a server instead of waiting for good: the scheduler logs the
    // outage once and retries every storeRetryInterval.
    this.ownPool ??= this.openPool();
    return this.ownPool;
  }

  /** The config a dedicated client (the LISTEN connection) of a store-owned pool uses. */
  clientConfig(): PoolConfig {
    return { connectionTimeoutMillis: 2_000, keepAlive: true, ...this.settings.poolConfig, ...(this.settings.connectionString === undefined ? {} : { connectionString: this.settings.connectionString }) };
  }

  /**
   * Migrates the tables, once per store (every replica checks, one applies: see `migrate`).
   * After a failure the next call tries again.
   */
  ready(): Promise<void> {
    this.migrated ??= (async () => {
      const client = await this.pool().connect();
      let failure: unknown;
      try {
        const applied = await migrate(client, this.names, this.alias);
        if (applied !== undefined) this.logger.info(logs.migrated(this.alias, this.names.display, applied.from, applied.to));
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        // A connection that failed mid-migration (an outage) is closed, not handed out again.
        client.release(failure === undefined ? undefined : failure instanceof Error ? failure : true);
      }
    })().catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  /**
   * Runs one statement once the tables are ready. Named, so that each connection parses and plans
   * it once: the name is the text's digest, so stores on other tables sharing a pool never
   * collide.
   */
  async query<R extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.ready();
    return this.pool().query<R>({ name: statementName(text), text, values: values as unknown[] });
  }

  /** Ends the pool the store opened (a given one stays open); the next call opens another. */
  async close(): Promise<void> {
    const own = this.ownPool;
    this.ownPool = undefined;
    this.migrated = undefined;
    if (own !== undefined) await own.end().catch(() => undefined);
  }

  private openPool(): Pool {
    const pool = new pg.Pool({ max: 10, ...this.clientConfig() });
    // An idle connection the server closed (a restart, an outage) is reported here; the pool
    // drops it and opens another on the next query. Without a listener it would crash the app.
    pool.on('error', (error) => this.logger.debug(`Store "${this.alias}": an idle PostgreSQL connection failed (${error.message}); the pool opens another.`));
    return pool;
  }
}

const names = new Map<string, string>();

/** A prepared statement's name for `text`: short, and the same for the same text in every store. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `horae_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`));
  return name;
}
