/**
 * Helpers shared by the PostgreSQL benchmarks (Horae on `@horae/postgres` vs pg-boss and
 * graphile-worker): the local PostgreSQL they run against, a database of their own per run
 * (created fresh, dropped afterwards; nothing else on the server is touched), `pg_stat_database`
 * readings, waiting for a quiet machine, and the three contenders set up as their docs show.
 * Child-process plumbing comes from the Redis benchmarks' lib (`runGroup`, `joinGroup`), as in
 * the MongoDB benchmarks.
 */
import { Scheduler, type TaskHandler } from '@horae/core';
import { PostgresStore } from '@horae/postgres';
import { Logger, run, runMigrations, type Runner, type RunnerOptions } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { localServerUrl, packageVersion, parentPid, processTreeCpuMs } from '../lib/machine.js';
import { QuietLog, type ServerActivity } from '../lib/quiet.js';
import { header } from '../lib/report.js';
import { chunks, sleep } from '../redis/lib.js';
import { schedulerDrainer, type Drainer } from '../lib/drain.js';

/** What every benchmark task carries: its index, and for pickup latency the epoch ms it is due at. */
export interface Payload {
  i: number;
  at?: number;
}

/** The handler name (Horae), queue name (pg-boss) and task identifier (graphile-worker) of the benchmark tasks. */
export const HANDLER = 'bench';
/** Every database a benchmark creates starts with this; cleanup drops exactly those. */
export const DATABASE_PREFIX = 'horae_bench_';

/**
 * `DATABASE_URL`, which must point at this machine: the benchmarks create and drop databases and
 * flood the server; they never touch a remote one.
 */
export const postgresUrl = (): string => localServerUrl('DATABASE_URL', ['postgres:', 'postgresql:']);

/** The connection string of `database` on the same server, as the same user. */
export function databaseUrl(database: string): string {
  const url = new URL(postgresUrl());
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** A database name for one run of one contender (PostgreSQL keeps 63 bytes of a name). */
export const databaseFor = (tag: string): string => `${DATABASE_PREFIX}${tag}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);

/** A connected client on `DATABASE_URL`'s database, for the benchmark's own bookkeeping. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5_000, application_name: 'bench-admin' });
  await client.connect();
  return client;
}

function checkedName(name: string): string {
  if (!name.startsWith(DATABASE_PREFIX)) throw new Error(`refusing to touch the database ${JSON.stringify(name)}`);
  return pg.escapeIdentifier(name);
}

/** Creates a benchmark database, empty (one left by an interrupted run under the same name is dropped first). */
export async function createDatabase(admin: pg.Client, name: string): Promise<void> {
  await dropDatabase(admin, name);
  await admin.query(`CREATE DATABASE ${checkedName(name)}`);
}

/** Drops a benchmark database (only those whose name starts with {@link DATABASE_PREFIX}), closing what is still connected. */
export async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${checkedName(name)} WITH (FORCE)`);
}

/**
 * Transactions PostgreSQL counted in `database` so far (`pg_stat_database`: commits and
 * rollbacks). A statement outside a transaction block is one, so this counts the statements the
 * contenders sent, near enough. A backend reports its counts at most once a second while busy, and
 * when it exits: read with `settled` once the contender's processes have ended, which waits (up to
 * 5 s) until no connection to the database is left and two readings 100 ms apart agree.
 */
export async function transactions(admin: pg.Client, database: string, settled = false): Promise<number> {
  const read = async (): Promise<number> => {
    const { rows } = await admin.query<{ count: string | null }>('SELECT xact_commit + xact_rollback AS count FROM pg_stat_database WHERE datname = $1', [database]);
    return Number(rows[0]?.count ?? 0);
  };
  if (!settled) return read();
  const deadline = Date.now() + 5_000;
  let last = NaN;
  for (;;) {
    const { rows } = await admin.query<{ connected: number }>('SELECT count(*)::int AS connected FROM pg_stat_activity WHERE datname = $1', [database]);
    const count = await read();
    if ((rows[0]!.connected === 0 && count === last) || Date.now() > deadline) return count;
    last = rows[0]!.connected === 0 ? count : NaN;
    await sleep(100);
  }
}

/**
 * CPU time the PostgreSQL server has used so far, ms (see `processTreeCpuMs`): the postmaster is
 * the parent of the admin connection's backend. NaN when the server's processes are not visible
 * (another machine or container).
 */
export async function serverCpuMs(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = parentPid(rows[0]!.pid);
  return postmaster === undefined ? NaN : processTreeCpuMs(postmaster);
}

/** The report header: machine, builds under test, peer versions, the server. */
export async function postgresHeader(title: string): Promise<void> {
  header(title);
  const store = import.meta.resolve('@horae/postgres');
  console.log(`@horae/postgres under test: ${store.replace(/^file:\/\/.*?\/(packages\/)/, '$1')}`);
  if (!store.includes('/dist/')) console.log('WARNING: @horae/postgres resolves to its sources, not its build; run through register.mjs (see README).');
  console.log(`Peers: pg-boss ${packageVersion('pg-boss')}, graphile-worker ${packageVersion('graphile-worker')}, pg (driver) ${packageVersion('pg')}`);
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<{ version: string; fsync: string; synchronous_commit: string }>(
      "SELECT version(), current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit",
    );
    const { version, fsync, synchronous_commit } = rows[0]!;
    console.log(`${version.split(' on ')[0]!} at ${postgresUrl()} (fsync ${fsync}, synchronous_commit ${synchronous_commit})\n`);
  } finally {
    await admin.end();
  }
}

// ------------------------------------------------------------------ a quiet machine

/** PostgreSQL's activity: transactions in every database (the reading's own is one). */
const POSTGRES_ACTIVITY: ServerActivity<pg.Client> = {
  unit: 'PostgreSQL transactions/s',
  quietPerS: 30,
  total: async (client) => {
    const { rows } = await client.query<{ count: string }>('SELECT sum(xact_commit + xact_rollback) AS count FROM pg_stat_database');
    return Number(rows[0]!.count);
  },
};

/** Waits for a quiet machine and PostgreSQL before each run, and sums up what it saw (see QuietLog). */
export class BackgroundLog extends QuietLog<pg.Client> {
  constructor() {
    super(POSTGRES_ACTIVITY);
  }
}

// ------------------------------------------------------------------ Horae

export interface HoraeOptions {
  database: string;
  instanceId: string;
  /** `false`: the store polls only (`notify: false`); left out, its default, LISTEN/NOTIFY with a 1 s poll beside it. */
  notify?: false;
  /**
   * `false` turns the run history off (`runHistory: false`); left out, the scheduler's default:
   * every run recorded in the store (`<table>_runs`), in batches every 200 ms.
   */
  runHistory?: false;
  onFire?: (payload: Payload) => void;
  /** What the scheduler is given instead of the store itself (drain-profile.ts times the store's calls). */
  wrapStore?: (store: PostgresStore) => PostgresStore;
}

/**
 * A scheduler as the `@horae/postgres` README sets one up: a `PostgresStore` on a connection string
 * as the default store (its defaults: table `public.horae_tasks`, LISTEN/NOTIFY, a 1 s poll, a pool
 * of 10), the default `AsyncExecutor` and `batchSize` 100, a handler defined by name. No
 * encryption key (the peers do not encrypt either).
 */
export function horaeScheduler(options: HoraeOptions): Scheduler {
  const store = new PostgresStore({ connectionString: databaseUrl(options.database), ...(options.notify === undefined ? {} : { notify: options.notify }) });
  const scheduler = new Scheduler({
    stores: { default: options.wrapStore === undefined ? store : options.wrapStore(store) },
    encryptionKey: null,
    instanceId: options.instanceId,
    ...(options.runHistory === undefined ? {} : { runHistory: options.runHistory }),
  });
  const onFire = options.onFire ?? (() => undefined);
  const handler: TaskHandler<Payload> = (payload) => onFire(payload);
  scheduler.define(HANDLER, handler);
  return scheduler;
}

/** Runs `add` over the indices 0 … count − 1 in chunks of 1,000 (one bulk call each); resolves to the time it took, ms. */
export async function timedChunks(count: number, add: (indices: number[]) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (const chunk of chunks(
    Array.from({ length: count }, (_, i) => i),
    1_000,
  )) {
    await add(chunk);
  }
  return performance.now() - started;
}

/**
 * Puts `count` tasks that are already due into a fresh Horae store and stops: date triggers at the
 * load time, `misfireGraceTime: null` so that they run however long the drain takes (as a waiting
 * job does), added with `addTasks` 1,000 at a time by a scheduler started paused. Resolves to the
 * time it took, ms.
 */
export async function loadDueHorae(database: string, count: number): Promise<number> {
  const scheduler = horaeScheduler({ database, instanceId: 'bench-loader' });
  await scheduler.start({ paused: true });
  const runAt = Date.now();
  const took = await timedChunks(count, (chunk) => scheduler.addTasks(chunk.map((i) => ({ handler: HANDLER, args: { i }, trigger: { type: 'date', runAt }, misfireGraceTime: null }))));
  await scheduler.shutdown();
  return took;
}

/** A Horae drainer or worker (see `schedulerDrainer`). */
export function horaeDrainer(options: HoraeOptions): Drainer {
  return schedulerDrainer(horaeScheduler(options));
}

// ------------------------------------------------------------------ pg-boss

/**
 * pg-boss as its docs set it up: `new PgBoss({ connectionString })`, an `error` listener, and
 * nothing else, so its defaults (maintenance and the cron timekeeper on in every instance).
 * Not started.
 */
export function pgBoss(database: string): PgBoss {
  const boss = new PgBoss({ connectionString: databaseUrl(database), application_name: 'pg-boss-bench' });
  boss.on('error', (error) => console.error('pg-boss:', error));
  return boss;
}

/** `work()` options of a pg-boss row: left out, its defaults (batchSize 1, a poll every 2 s). */
export type PgBossWork = Pick<PgBoss.WorkOptions, 'batchSize' | 'pollingIntervalSeconds'>;

/**
 * A pg-boss drainer or worker: started (schema installed, the queue created) in setup; on "go",
 * one `work()` whose handler records every job of the batch it is given.
 */
export function pgBossDrainer(database: string, work: PgBossWork | undefined, onFire: (payload: Payload) => void): Drainer {
  const boss = pgBoss(database);
  return {
    setup: async () => {
      await boss.start();
      await boss.createQueue(HANDLER);
    },
    go: () =>
      void boss
        .work<Payload>(HANDLER, work ?? {}, (jobs) => {
          for (const job of jobs) onFire(job.data);
          return Promise.resolve();
        })
        .catch((error: unknown) => console.error('pg-boss work() failed:', error)),
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 5_000 }),
  };
}

// ------------------------------------------------------------------ graphile-worker

/** graphile-worker's messages below warnings are dropped (it logs every start and stop at info). */
const quietLogger = new Logger(() => (level, message) => {
  // LogLevel is an ambient const enum, which isolated modules cannot name: compared by its value.
  const name = String(level);
  if (name === 'error' || name === 'warning') console.error(`graphile-worker ${name}: ${message}`);
});

/**
 * `run()` options of a graphile-worker row over its defaults (concurrency 1, poll every 2 s, no
 * local queue, no batched completion): the documented `concurrency` and `pollInterval`, and the
 * batching options of its performance docs under `preset.worker`.
 */
export interface GraphileTuning {
  concurrency?: number;
  pollInterval?: number;
  maxPoolSize?: number;
  localQueueSize?: number;
  completeJobBatchDelay?: number;
}

/** Options common to every graphile-worker call of a run: its database, no signal handlers (the parent stops it), the quiet logger. */
export function graphileOptions(database: string): Pick<RunnerOptions, 'connectionString' | 'noHandleSignals' | 'logger'> {
  return { connectionString: databaseUrl(database), noHandleSignals: true, logger: quietLogger };
}

/**
 * A graphile-worker drainer or worker: its schema migrated in setup; on "go", `run()` with a task
 * list of one task that records its payload. `run()` starts its pool at once, so it waits for "go".
 */
export function graphileDrainer(database: string, tuning: GraphileTuning, onFire: (payload: Payload) => void): Drainer {
  let runner: Promise<Runner> | undefined;
  const { concurrency, pollInterval, maxPoolSize, localQueueSize, completeJobBatchDelay } = tuning;
  const worker = {
    ...(localQueueSize === undefined ? {} : { localQueue: { size: localQueueSize } }),
    ...(completeJobBatchDelay === undefined ? {} : { completeJobBatchDelay, failJobBatchDelay: completeJobBatchDelay }),
  };
  return {
    setup: () => runMigrations(graphileOptions(database)),
    go: () => {
      runner = run({
        ...graphileOptions(database),
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(pollInterval === undefined ? {} : { pollInterval }),
        ...(maxPoolSize === undefined ? {} : { maxPoolSize }),
        ...(Object.keys(worker).length === 0 ? {} : { preset: { worker } }),
        taskList: {
          [HANDLER]: (payload) => {
            onFire(payload as Payload);
          },
        },
      });
      runner.catch((error: unknown) => console.error('graphile-worker run() failed:', error));
    },
    stop: async () => {
      if (runner !== undefined) await (await runner).stop();
    },
  };
}
