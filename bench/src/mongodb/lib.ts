/**
 * Helpers shared by the MongoDB benchmarks (Horae on `@horae/mongodb` vs Agenda on
 * `@agendajs/mongo-backend`): the local mongod servers they run against, a database of their own
 * per run (dropped afterwards, nothing else is touched), `serverStatus` readings, waiting for a
 * quiet machine, and the contenders set up as their READMEs show. Child-process plumbing comes
 * from the Redis benchmarks' lib (`runGroup`, `joinGroup`), which it shares.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Scheduler, type TaskHandler } from '@horae/core';
import { MongoDBStore } from '@horae/mongodb';
import { Agenda, type Job } from 'agenda';
import { MongoClient } from 'mongodb';
import { packageVersion } from '../lib/machine.js';
import { QuietLog, type ServerActivity } from '../lib/quiet.js';
import { header } from '../lib/report.js';

/** What every benchmark task carries: its index, and for lateness its intended time. */
export interface Payload {
  i: number;
  /** Epoch ms the task is due at. */
  at?: number;
}

/** The handler / job name the benchmark tasks refer to. */
export const HANDLER = 'bench';
/** Every database a benchmark creates starts with this; cleanup drops exactly those. */
export const DATABASE_PREFIX = 'horae-bench-';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * A connection string from the environment, which must point at this machine (the benchmarks
 * create and drop databases and flood the server; they never touch a remote one).
 */
function localUrl(variable: 'MONGODB_URL' | 'MONGODB_STANDALONE_URL'): string {
  const url = process.env[variable];
  if (url === undefined || url === '') {
    throw new Error(`${variable} is not set: run \`bash scripts/services.sh up && source .services/env\` from the repository root first.`);
  }
  const hosts = /^mongodb:\/\/([^/?]+)/.exec(url)?.[1]?.split(',') ?? [];
  if (hosts.length === 0 || !hosts.every((host) => LOCAL_HOSTS.has(host.replace(/:\d+$/, '')))) {
    throw new Error(`${variable} must be a mongodb:// URL on this machine (127.0.0.1 or localhost), not ${url}.`);
  }
  return url;
}

/** The one-node replica set (change streams). */
export const replicaSetUrl = (): string => localUrl('MONGODB_URL');
/** The standalone server (no change streams: Horae polls). */
export const standaloneUrl = (): string => localUrl('MONGODB_STANDALONE_URL');

/** A database name for one run of one contender. */
export const databaseFor = (tag: string): string => `${DATABASE_PREFIX}${tag}`.slice(0, 63);

/** A client for the benchmark's own bookkeeping, failing fast. */
export function adminClient(url = replicaSetUrl()): MongoClient {
  return new MongoClient(url, { serverSelectionTimeoutMS: 5_000, appName: 'bench-admin' });
}

/** Drops a benchmark database (only those whose name starts with {@link DATABASE_PREFIX}). */
export async function dropDatabase(client: MongoClient, name: string): Promise<void> {
  if (!name.startsWith(DATABASE_PREFIX)) throw new Error(`refusing to drop the database ${JSON.stringify(name)}`);
  await client.db(name).dropDatabase();
}

/** Operations the server counted so far (`serverStatus.opcounters`), by kind. */
export async function opcounters(client: MongoClient): Promise<Record<string, number>> {
  const status = await client.db('admin').command({ serverStatus: 1, repl: 0, metrics: 0, locks: 0, wiredTiger: 0 });
  const counters = status.opcounters as Record<string, unknown>;
  return Object.fromEntries(Object.entries(counters).map(([kind, count]) => [kind, Number(count)]));
}

/** The operations between two {@link opcounters} readings, without the second reading's own command. */
export function opDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [kind, count] of Object.entries(after)) delta[kind] = count - (before[kind] ?? 0) - (kind === 'command' ? 1 : 0);
  return delta;
}

/** The report header: machine, builds under test, peer versions, the servers. */
export async function mongodbHeader(title: string): Promise<void> {
  header(title);
  const store = import.meta.resolve('@horae/mongodb');
  console.log(`@horae/mongodb under test: ${store.replace(/^file:\/\/.*?\/(packages\/)/, '$1')}`);
  if (!store.includes('/dist/')) console.log('WARNING: @horae/mongodb resolves to its sources, not its build; run through register.mjs (see README).');
  console.log(`Peers: agenda ${packageVersion('agenda')}, @agendajs/mongo-backend ${packageVersion('@agendajs/mongo-backend')}, mongodb (driver) ${packageVersion('mongodb')}`);
  for (const [label, url] of [
    ['replica set', replicaSetUrl()],
    ['standalone', standaloneUrl()],
  ] as const) {
    const client = adminClient(url);
    try {
      const info = await client.db('admin').command({ buildInfo: 1 });
      console.log(`MongoDB ${String(info.version)} (${label}) at ${url}`);
    } finally {
      await client.close();
    }
  }
  console.log('');
}

// ------------------------------------------------------------------ a quiet machine

/** mongod's activity: operations counted (`opcounters`). A one-node replica set does a few a second of its own. */
const MONGOD_ACTIVITY: ServerActivity<MongoClient> = {
  unit: 'mongod operations/s',
  quietPerS: 30,
  total: async (client) => Object.values(await opcounters(client)).reduce((a, b) => a + b, 0),
};

/** Waits for a quiet machine and mongod before each run, and sums up what it saw (see QuietLog). */
export class BackgroundLog extends QuietLog<MongoClient> {
  constructor() {
    super(MONGOD_ACTIVITY);
  }
}

// ------------------------------------------------------------------ the contenders

export interface HoraeOptions {
  url: string;
  database: string;
  instanceId: string;
  /** The scheduler's `batchSize`; default 100. */
  batchSize?: number;
  /**
   * `false` turns the run history off (`runHistory: false`); left out, the scheduler's default:
   * every run recorded in the store (`<collection>.runs`), in batches every 200 ms.
   */
  runHistory?: false;
  onFire?: (payload: Payload) => void;
}

/**
 * A scheduler as the `@horae/mongodb` README sets one up: a `MongoDBStore` as the default store
 * (default options: change streams where the server has them, a 1 s poll), the default
 * `AsyncExecutor`, a handler defined by name. No encryption key (Agenda does not encrypt either).
 */
export function horaeScheduler(options: HoraeOptions): Scheduler {
  const scheduler = new Scheduler({
    stores: { default: new MongoDBStore({ url: options.url, database: options.database, clientOptions: { appName: 'horae-bench' } }) },
    encryptionKey: null,
    instanceId: options.instanceId,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.runHistory === undefined ? {} : { runHistory: options.runHistory }),
  });
  const onFire = options.onFire ?? (() => undefined);
  const handler: TaskHandler<Payload> = (payload) => onFire(payload);
  scheduler.define(HANDLER, handler);
  return scheduler;
}

export interface AgendaOptions {
  url: string;
  database: string;
  onFire?: (payload: Payload) => void;
  /** Agenda's own options over its defaults (processEvery 5 s, defaultConcurrency 5, maxConcurrency 20). */
  agendaOptions?: Record<string, unknown>;
}

/**
 * Agenda as its README sets it up: `new Agenda({ backend: new MongoBackend({ address }) })`,
 * Agenda's defaults for everything else, one job definition whose processor only calls `onFire`.
 * Not processing until `start()`. The backend is returned too: `stop()` closes its connection only
 * for an Agenda that was started.
 */
export function agendaInstance(options: AgendaOptions): { agenda: Agenda; backend: MongoBackend } {
  const backend = new MongoBackend({ address: withDatabase(options.url, options.database) });
  const agenda = new Agenda({ backend, ...(options.agendaOptions ?? {}) });
  const onFire = options.onFire ?? (() => undefined);
  agenda.define(HANDLER, (job: Job<Payload>) => {
    onFire(job.attrs.data);
    return Promise.resolve();
  });
  return { agenda, backend };
}

/** A connection string with the database in its path (Agenda's `address` names the database so). */
export function withDatabase(url: string, database: string): string {
  const parsed = /^(mongodb:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(url);
  if (parsed === null) throw new Error(`cannot put a database into ${url}`);
  return `${parsed[1]}/${database}${parsed[3] ?? ''}`;
}
