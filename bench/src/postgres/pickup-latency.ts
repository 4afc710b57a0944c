/**
 * PostgreSQL benchmark 1: pickup latency. An adder process adds a one-shot task due 1 s later,
 * every 100 ms; 3 worker processes (the only ones that run tasks) race for it. Lateness = handler
 * time − due time: how soon a running instance learns of a task another instance added and starts
 * it once due.
 *
 * Contenders, each on the same PostgreSQL server, in a fresh database per run: Horae on a
 * `PostgresStore` (LISTEN/NOTIFY, its default; and, for reference, polling only), pg-boss delayed
 * jobs (`sendAfter`, a `startAfter` date) and graphile-worker jobs with a `runAt`, each peer at its
 * defaults and, for reference, polling faster.
 */
import { makeWorkerUtils } from 'graphile-worker';
import type { Drainer } from '../lib/drain.js';
import { adderChild, mergeWorkers, missedOf, pooledLateness, printPickupTable, workerChild, type Adder, type PickupRound, type WorkerResult } from '../lib/pickup.js';
import { fmt, printGoal, quantile } from '../lib/report.js';
import { runGroup } from '../redis/lib.js';
import {
  BackgroundLog,
  HANDLER,
  adminClient,
  createDatabase,
  databaseFor,
  dropDatabase,
  graphileDrainer,
  graphileOptions,
  horaeDrainer,
  horaeScheduler,
  pgBoss,
  pgBossDrainer,
  postgresHeader,
  type GraphileTuning,
  type Payload,
  type PgBossWork,
} from './lib.js';

/** Tasks per round; the first {@link WARMUP} are left out of the statistics. */
const SAMPLES = 110;
const WARMUP = 10;
const EVERY_MS = 100;
const LEAD_MS = 1_000;
const ROUNDS = 2;
const WORKERS = 3;
/** How long after the last task is due a round waits for tasks still to run; those that have not run by then count as missed. */
const GRACE_MS = 5_000;

interface Contender {
  worker(database: string, instance: number, onFire: (payload: Payload) => void): Drainer;
  adder(database: string): Adder;
}

const horae = (notify?: false): Contender => ({
  worker: (database, instance, onFire) => horaeDrainer({ database, instanceId: `worker-${instance}`, onFire, ...(notify === undefined ? {} : { notify }) }),
  adder: (database) => {
    // Started paused, so that it adds but never runs anything.
    const scheduler = horaeScheduler({ database, instanceId: 'adder', ...(notify === undefined ? {} : { notify }) });
    return {
      setup: () => scheduler.start({ paused: true }),
      add: async ({ i, at }) => {
        await scheduler.addTask({ handler: HANDLER, args: { i, at }, trigger: { type: 'date', runAt: at }, misfireGraceTime: null });
      },
      stop: () => scheduler.shutdown(),
    };
  },
});

const pgBossRow = (work?: PgBossWork): Contender => ({
  worker: (database, _instance, onFire) => pgBossDrainer(database, work, onFire),
  adder: (database) => {
    // Started (pg-boss sends through a started instance) but never given a worker.
    const boss = pgBoss(database);
    return {
      setup: async () => {
        await boss.start();
        await boss.createQueue(HANDLER);
      },
      add: async ({ i, at }) => {
        await boss.sendAfter(HANDLER, { i, at }, {}, new Date(at));
      },
      stop: () => boss.stop({ graceful: false }),
    };
  },
});

const graphileRow = (tuning: GraphileTuning = {}): Contender => ({
  worker: (database, _instance, onFire) => graphileDrainer(database, tuning, onFire),
  adder: (database) => {
    // WorkerUtils add jobs and run none.
    const utils = makeWorkerUtils(graphileOptions(database));
    return {
      setup: async () => {
        await (await utils).migrate();
      },
      add: async ({ i, at }) => {
        await (await utils).addJob(HANDLER, { i, at }, { runAt: new Date(at) });
      },
      stop: async () => {
        await (await utils).release();
      },
    };
  },
});

const contenders: Record<string, Contender> = {
  'Horae, LISTEN/NOTIFY (default)': horae(),
  'Horae, polling only (notify: false, 1 s poll), reference': horae(false),
  'pg-boss, sendAfter, work() defaults (batchSize 1, poll 2 s)': pgBossRow(),
  'pg-boss, sendAfter, work() batchSize 10, poll 0.5 s, reference': pgBossRow({ batchSize: 10, pollingIntervalSeconds: 0.5 }),
  'graphile-worker, addJob runAt, run() defaults (poll 2 s)': graphileRow(),
  'graphile-worker, addJob runAt, pollInterval 500 ms, reference': graphileRow({ pollInterval: 500 }),
};
const [HORAE_ROW] = Object.keys(contenders) as [string];

// ------------------------------------------------------------------ children

async function workerProcess(name: string, database: string, instance: number): Promise<void> {
  await workerChild(SAMPLES, (onFire) => contenders[name]!.worker(database, instance, onFire));
  process.exit(0);
}

async function adderProcess(name: string, database: string): Promise<void> {
  await adderChild(contenders[name]!.adder(database), { samples: SAMPLES, everyMs: EVERY_MS, leadMs: LEAD_MS });
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function parent(): Promise<void> {
  await postgresHeader(`PostgreSQL benchmark 1: pickup latency of a task another instance added, due 1 s later, ${WORKERS} worker processes`);
  console.log(`An adder process adds a one-shot task due ${LEAD_MS} ms later every ${EVERY_MS} ms (${SAMPLES} tasks); ${WORKERS} worker processes run them.`);
  console.log(`Lateness = handler time − due time (sub-ms epoch clock; one machine). The first ${WARMUP} tasks of each round are left out; ${ROUNDS} rounds`);
  console.log(`per contender, interleaved, statistics over all ${(SAMPLES - WARMUP) * ROUNDS} tasks. Missed = not run ${GRACE_MS / 1000} s after the last task was due. Horae:`);
  console.log('misfireGraceTime null, so no task is dropped. A fresh database per run, on the same server for every contender.\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as PickupRound[]]));
  const background = new BackgroundLog();
  const admin = await adminClient();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const database = databaseFor(`pickup_${round}_${names.indexOf(name)}_${process.pid}`);
        try {
          await createDatabase(admin, database);
          await background.quiet(admin);
          const run = await runGroup<WorkerResult | number>(
            process.argv[1]!,
            [...Array.from({ length: WORKERS }, (_, k) => [name, 'worker', database, String(k)]), [name, 'adder', database]],
            SAMPLES,
            { readyMs: 60_000, runMs: SAMPLES * EVERY_MS + LEAD_MS + GRACE_MS, stopMs: 60_000 },
          );
          results.get(name)!.push(mergeWorkers(run.results.slice(0, WORKERS) as WorkerResult[], WARMUP));
        } finally {
          await dropDatabase(admin, database);
        }
      }
    }
  } finally {
    await admin.end();
  }

  const p99 = (name: string): number => quantile(pooledLateness(results.get(name)!), 0.99);
  const missed = (name: string): number => missedOf(results.get(name)!);
  printPickupTable(results, { header: 'p99 ÷ Horae p99', cell: (value) => `${fmt(value / p99(HORAE_ROW), 1)}x` });
  console.log(`\n${background.summary()}`);
  const peers = names.filter((name) => !name.startsWith('Horae')).map((name) => `${name}: p99 ${fmt(p99(name))} ms (${fmt(p99(name) / p99(HORAE_ROW), 1)}x)`);
  printGoal(
    `Horae p99 pickup latency at most 50 ms (${WORKERS} processes, PostgresStore with LISTEN/NOTIFY, its default), against pg-boss and graphile-worker on the same server`,
    p99(HORAE_ROW) <= 50 && missed(HORAE_ROW) === 0,
    `Horae p99 ${fmt(p99(HORAE_ROW))} ms, missed ${missed(HORAE_ROW)}; ${peers.join('; ')}`,
  );
}

const [name, role, database, instance] = process.argv.slice(2);
if (name === undefined) await parent();
else if (role === 'worker') await workerProcess(name, database!, Number(instance));
else await adderProcess(name, database!);
