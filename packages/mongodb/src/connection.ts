/**
 * Where a MongoDBStore's documents are, and who it is in its scheduler: the client (given, or
 * opened and owned), the collections and their indexes, the store's alias and logger, and
 * whom to tell of a task it quarantined. Every room of the store works through one of these.
 */
import { defaultLogger, type Logger, type StoreContext } from '@horae/core/store';
import { MongoClient, type Collection, type IndexDescription, type MongoClientOptions } from 'mongodb';
import type { InstanceDocument, QuarantineDocument, RunsDocument, StoredTaskDocument } from './documents.js';
import { errors, logs } from './messages.js';
import type { MongoDBStoreCollections } from './options.js';

export const TASK_INDEXES: IndexDescription[] = [
  // What is due, earliest first, and when the next work is: one range of this index each. With
  // _id in it, the query for claim candidates reads the index only, no document.
  { key: { dueAt: 1, seq: 1, _id: 1 }, name: 'horae_due' },
  // Run leases by run id (renewals) and by expiry (the heartbeat's sweep). Sparse: only
  // documents with runs in progress are in them.
  { key: { 'runs.runId': 1 }, name: 'horae_run_ids', sparse: true },
  { key: { runExpiry: 1 }, name: 'horae_run_expiry', sparse: true },
];

// The history of a task that records nothing more goes by itself, checked about once a minute.
export const RUN_INDEXES: IndexDescription[] = [{ key: { expireAt: 1 }, name: 'horae_runs_expiry', expireAfterSeconds: 0 }];

// An instance that stopped beating goes some time after it stopped counting as alive.
export const INSTANCE_INDEXES: IndexDescription[] = [{ key: { expiresAt: 1 }, name: 'horae_instances_expiry', expireAfterSeconds: 0 }];

/** MongoDB's duplicate key error. */
export const DUPLICATE_KEY = 11_000;

/** Whether a driver error is MongoDB's duplicate key error. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** The per-document errors of a bulk write or an unordered insertMany, if that is what failed. */
export function writeErrors(error: unknown): { index: number; code: unknown }[] | undefined {
  const entries = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (entries === undefined || entries === null) return undefined;
  const list = Array.isArray(entries) ? (entries as unknown[]) : [entries];
  return list.map((entry) => ({ index: Number((entry as { index?: unknown }).index), code: (entry as { code?: unknown }).code }));
}

/** How a {@link Connection} reaches MongoDB, from the store's checked options. */
export interface ConnectionSettings {
  readonly client: MongoClient | undefined;
  readonly url: string | undefined;
  readonly clientOptions: MongoClientOptions;
  readonly database: string;
  readonly collections: MongoDBStoreCollections;
}

/** The client, collections and indexes of one store, and its alias and logger in its scheduler. */
export class Connection {
  /** The store's alias in its scheduler, for messages. */
  alias = 'default';
  logger: Logger = defaultLogger;
  /** Reports a record this store quarantined by itself; logs until the scheduler starts the store. */
  reportQuarantined = (id: string, reason: string): void => {
    this.logger.error(logs.quarantined(id, this.alias, reason));
  };
  /** The client the store opened itself, created on first use and closed at shutdown. */
  private ownClient: MongoClient | undefined;
  /** Resolves once the indexes exist; reset after a failure, so the next call tries again. */
  private indexes: Promise<void> | undefined;

  constructor(readonly settings: ConnectionSettings) {}

  /** Takes the alias, logger and quarantine reports of the scheduler that starts the store. */
  attach(context: StoreContext): void {
    this.alias = context.alias;
    this.logger = context.logger;
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
  }

  /** The client commands go to: the given one, or the store's own, opened on first use. */
  client(): MongoClient {
    const { client, url, clientOptions } = this.settings;
    if (client !== undefined) return client;
    // Fail a call after 2 s without a server instead of the driver's 30 s: the scheduler logs the
    // outage once and retries every storeRetryInterval.
    this.ownClient ??= new MongoClient(url ?? 'mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 2_000, ...clientOptions });
    return this.ownClient;
  }

  tasks(): Collection<StoredTaskDocument> {
    return this.client().db(this.settings.database).collection<StoredTaskDocument>(this.settings.collections.tasks);
  }

  quarantine(): Collection<QuarantineDocument> {
    return this.client().db(this.settings.database).collection<QuarantineDocument>(this.settings.collections.quarantine);
  }

  runs(): Collection<RunsDocument> {
    return this.client().db(this.settings.database).collection<RunsDocument>(this.settings.collections.runs);
  }

  instances(): Collection<InstanceDocument> {
    return this.client().db(this.settings.database).collection<InstanceDocument>(this.settings.collections.instances);
  }

  /**
   * Connects and creates the indexes, once (createIndexes is a no-op for indexes that exist
   * alike). After a failure the next call tries again; a client of the store's own whose first
   * connection failed is thrown away, since the driver does not connect it again.
   */
  ready(): Promise<void> {
    this.indexes ??= (async () => {
      const client = this.client();
      try {
        await client.connect();
      } catch (error) {
        this.indexes = undefined;
        if (client === this.ownClient) {
          this.ownClient = undefined;
          await client.close().catch(() => undefined);
        }
        throw error;
      }
      try {
        await this.tasks().createIndexes(TASK_INDEXES);
        await this.runs().createIndexes(RUN_INDEXES);
        await this.instances().createIndexes(INSTANCE_INDEXES);
      } catch (error) {
        this.indexes = undefined;
        const code = (error as { codeName?: unknown }).codeName;
        if (code === 'IndexOptionsConflict' || code === 'IndexKeySpecsConflict') {
          throw errors.indexConflict(this.alias, `${this.settings.database}.${this.settings.collections.tasks} or its .runs or .instances`, error);
        }
        throw error;
      }
    })();
    return this.indexes;
  }

  /** Closes the client the store opened (a given one stays open); the next call opens another. */
  async close(): Promise<void> {
    const own = this.ownClient;
    this.ownClient = undefined;
    this.indexes = undefined;
    if (own !== undefined) await own.close().catch(() => undefined);
  }
}
