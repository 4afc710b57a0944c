/**
 * MongoDB benchmark 1: pickup latency. One process adds a task due 1 s later, every 100 ms; another
 * process (the only one that runs tasks) runs it. Lateness = handler time − due time, so it shows
 * how soon the running instance learns of a task another instance added, plus its dispatch cost.
 *
 * Contenders, each on the same mongod: Horae on the replica set (change stream), Horae on the
 * standalone server (its 1 s poll), Agenda with its defaults (a 5 s poll), and, for reference,
 * Agenda with its MongoDB change-stream notification channel.
 */
import { MongoChangeStreamNotificationChannel, MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, type Job } from 'agenda';
import { MongoClient } from 'mongodb';
import { schedulerDrainer, type Drainer } from '../lib/drain.js';
import { adderChild, mergeWorkers, missedOf, pooledLateness, printPickupTable, workerChild, type Adder, type PickupRound, type WorkerResult } from '../lib/pickup.js';
import { fmt, printGoal, quantile } from '../lib/report.js';
import { runGroup } from '../redis/lib.js';
import { BackgroundLog, HANDLER, adminClient, agendaInstance, databaseFor, dropDatabase, horaeScheduler, mongodbHeader, replicaSetUrl, standaloneUrl, type Payload } from './lib.js';

/** Tasks per round; the first {@link WARMUP} are left out of the statistics. */
const SAMPLES = 110;
const WARMUP = 10;
const EVERY_MS = 100;
const LEAD_MS = 1_000;
const ROUNDS = 2;

interface Contender {
  url: () => string;
  worker(database: string, onFire: (payload: Payload) => void): Drainer;
  adder(database: string): Adder;
}

const horae = (url: () => string): Contender => ({
  url,
  worker: (database, onFire) => schedulerDrainer(horaeScheduler({ url: url(), database, instanceId: 'worker', onFire })),
  adder: (database) => {
    // Another instance: started paused, so that it adds but never runs anything.
    const scheduler = horaeScheduler({ url: url(), database, instanceId: 'adder' });
    return {
      setup: () => scheduler.start({ paused: true }),
      add: async ({ i, at }) => {
        await scheduler.addTask({ handler: HANDLER, args: { i, at }, trigger: { type: 'date', runAt: at }, misfireGraceTime: null });
      },
      stop: () => scheduler.shutdown(),
    };
  },
});

const agenda = (changeStream: boolean): Contender => ({
  url: replicaSetUrl,
  worker: (database, onFire) => {
    let instance: Agenda;
    let client: MongoClient | undefined;
    if (changeStream) {
      client = new MongoClient(replicaSetUrl());
      const db = client.db(database);
      instance = new Agenda({ backend: new MongoBackend({ mongo: db }), notificationChannel: new MongoChangeStreamNotificationChannel({ db }) });
      instance.define(HANDLER, (job: Job<Payload>) => Promise.resolve(onFire(job.attrs.data)));
    } else {
      instance = agendaInstance({ url: replicaSetUrl(), database, onFire }).agenda;
    }
    return {
      setup: async () => {
        await client?.connect();
        await instance.ready;
      },
      go: () => void instance.start().catch((error: unknown) => console.error('Agenda failed to start:', error)),
      stop: async () => {
        await instance.stop();
        await client?.close();
      },
    };
  },
  adder: (database) => {
    // Another Agenda that only schedules: never started, so it processes nothing.
    const { agenda: instance, backend } = agendaInstance({ url: replicaSetUrl(), database });
    return {
      setup: async () => {
        await instance.ready;
      },
      add: async ({ i, at }) => {
        await instance.schedule(new Date(at), HANDLER, { i, at });
      },
      stop: () => backend.disconnect(),
    };
  },
});

const contenders: Record<string, Contender> = {
  'Horae, replica set (change stream)': horae(replicaSetUrl),
  'Horae, standalone (1 s poll)': horae(standaloneUrl),
  'Agenda, defaults (5 s poll)': agenda(false),
  'Agenda + MongoChangeStreamNotificationChannel, reference': agenda(true),
};
const [HORAE_ROW, , AGENDA_ROW] = Object.keys(contenders) as [string, string, string, string];

// ------------------------------------------------------------------ children

async function workerProcess(name: string, database: string): Promise<void> {
  await workerChild(SAMPLES, (onFire) => contenders[name]!.worker(database, onFire));
  process.exit(0);
}

async function adderProcess(name: string, database: string): Promise<void> {
  await adderChild(contenders[name]!.adder(database), { samples: SAMPLES, everyMs: EVERY_MS, leadMs: LEAD_MS });
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function parent(): Promise<void> {
  await mongodbHeader('MongoDB benchmark 1: pickup latency of a task another instance added, due 1 s later');
  console.log(`An adder process adds a one-shot task due ${LEAD_MS} ms later every ${EVERY_MS} ms (${SAMPLES} tasks); a worker process runs them.`);
  console.log(`Lateness = handler time − due time (sub-ms epoch clock; one machine). The first ${WARMUP} tasks of each round are left out;`);
  console.log(`${ROUNDS} rounds per contender, interleaved, statistics over all ${(SAMPLES - WARMUP) * ROUNDS} tasks. Horae: misfireGraceTime null, so no task is dropped.\n`);

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as PickupRound[]]));
  const background = new BackgroundLog();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const url = contenders[name]!.url();
      const database = databaseFor(`pickup-${round}-${names.indexOf(name)}-${process.pid}`);
      const admin = adminClient(url);
      try {
        await background.quiet(admin);
        const run = await runGroup<WorkerResult | number>(
          process.argv[1]!,
          [
            [name, 'worker', database],
            [name, 'adder', database],
          ],
          SAMPLES,
          { readyMs: 30_000, runMs: SAMPLES * EVERY_MS + LEAD_MS + 15_000, stopMs: 30_000 },
        );
        results.get(name)!.push(mergeWorkers([run.results[0] as WorkerResult], WARMUP));
      } finally {
        await dropDatabase(admin, database);
        await admin.close();
      }
    }
  }

  const p99 = (name: string): number => quantile(pooledLateness(results.get(name)!), 0.99);
  printPickupTable(results, { header: 'p99 vs Agenda defaults', cell: (value) => `${fmt(value / p99(AGENDA_ROW), 3)}x` });
  console.log(`\n${background.summary()}`);
  const horaeMissed = missedOf(results.get(HORAE_ROW)!);
  printGoal(
    "Horae p99 pickup latency at most 50 ms with change streams, against Agenda's default",
    p99(HORAE_ROW) <= 50 && horaeMissed === 0,
    `Horae (change stream) p99 ${fmt(p99(HORAE_ROW))} ms, missed ${horaeMissed}; Agenda defaults p99 ${fmt(p99(AGENDA_ROW))} ms = ${fmt(p99(AGENDA_ROW) / p99(HORAE_ROW), 1)}x Horae's`,
  );
}

const [name, role, database] = process.argv.slice(2);
if (name === undefined) await parent();
else if (role === 'worker') await workerProcess(name, database!);
else await adderProcess(name, database!);
