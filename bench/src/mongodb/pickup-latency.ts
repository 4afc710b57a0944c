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
import { fmt, printGoal, printTable, quantile } from '../lib/report.js';
import { epochNow, joinGroup, runGroup, sleep } from '../redis/lib.js';
import { BackgroundLog, HANDLER, adminClient, agendaInstance, databaseFor, dropDatabase, horaeScheduler, mongodbHeader, replicaSetUrl, standaloneUrl, type Payload } from './lib.js';

/** Tasks per round; the first {@link WARMUP} are left out of the statistics. */
const SAMPLES = 110;
const WARMUP = 10;
const EVERY_MS = 100;
const LEAD_MS = 1_000;
const ROUNDS = 2;

/** One side of a contender: set up (connected, idle), then go, then stop. */
interface Side {
  setup(): Promise<void>;
  go(): void;
  stop(): Promise<void>;
}

interface Contender {
  url: () => string;
  worker(database: string, onFire: (payload: Payload) => void): Side;
  adder(database: string): { setup(): Promise<void>; add(payload: Required<Payload>): Promise<void>; stop(): Promise<void> };
}

const horae = (url: () => string): Contender => ({
  url,
  worker: (database, onFire) => {
    const scheduler = horaeScheduler({ url: url(), database, instanceId: 'worker', onFire });
    return {
      setup: async () => {
        await scheduler.start({ paused: true });
        await scheduler.getTask('bench-connect');
      },
      go: () => scheduler.resume(),
      stop: () => scheduler.shutdown({ timeout: 5_000 }),
    };
  },
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

interface WorkerResult {
  /** Lateness per task index, ms (NaN: never ran). */
  lateness: number[];
  duplicates: number;
  early: number;
}

// ------------------------------------------------------------------ children

async function workerChild(name: string, database: string): Promise<void> {
  const lateness = new Array<number>(SAMPLES).fill(NaN);
  let fired = 0;
  let duplicates = 0;
  let early = 0;
  const side = contenders[name]!.worker(database, ({ i, at }) => {
    const now = epochNow();
    if (Date.now() < at!) early++;
    if (!Number.isNaN(lateness[i]!)) duplicates++;
    else {
      lateness[i] = now - at!;
      fired++;
    }
  });
  await joinGroup<WorkerResult>({ setup: () => side.setup(), go: () => side.go(), count: () => fired, finish: async () => (await side.stop(), { lateness, duplicates, early }) });
  process.exit(0);
}

async function adderChild(name: string, database: string): Promise<void> {
  const adder = contenders[name]!.adder(database);
  let stopped = false;
  let adding: Promise<void> = Promise.resolve();
  await joinGroup<number>({
    setup: () => adder.setup(),
    go: () => {
      adding = (async () => {
        const start = Date.now();
        for (let i = 0; i < SAMPLES && !stopped; i++) {
          await sleep(Math.max(0, start + i * EVERY_MS - Date.now()));
          await adder.add({ i, at: Date.now() + LEAD_MS });
        }
      })();
    },
    count: () => 0,
    finish: async () => {
      stopped = true;
      await adding;
      await adder.stop();
      return SAMPLES;
    },
  });
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function parent(): Promise<void> {
  await mongodbHeader('MongoDB benchmark 1: pickup latency of a task another instance added, due 1 s later');
  console.log(`An adder process adds a one-shot task due ${LEAD_MS} ms later every ${EVERY_MS} ms (${SAMPLES} tasks); a worker process runs them.`);
  console.log(`Lateness = handler time − due time (sub-ms epoch clock; one machine). The first ${WARMUP} tasks of each round are left out;`);
  console.log(`${ROUNDS} rounds per contender, interleaved, statistics over all ${(SAMPLES - WARMUP) * ROUNDS} tasks. Horae: misfireGraceTime null, so no task is dropped.\n`);

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as WorkerResult[]]));
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
        results.get(name)!.push(run.results[0] as WorkerResult);
      } finally {
        await dropDatabase(admin, database);
        await admin.close();
      }
    }
  }

  const pooled = (name: string): number[] =>
    results
      .get(name)!
      .flatMap((r) => r.lateness.slice(WARMUP))
      .filter((value) => !Number.isNaN(value))
      .sort((a, b) => a - b);
  const p99 = (name: string): number => quantile(pooled(name), 0.99);
  printTable(
    ['contender', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'min ms', 'early', 'missed', 'dup', 'p99 per round', 'p99 vs Agenda defaults'],
    names.map((name) => {
      const sorted = pooled(name);
      const rounds = results.get(name)!;
      return [
        name,
        fmt(quantile(sorted, 0.5)),
        fmt(quantile(sorted, 0.9)),
        fmt(quantile(sorted, 0.99)),
        fmt(sorted.at(-1)),
        fmt(sorted[0]),
        String(rounds.reduce((sum, r) => sum + r.early, 0)),
        String((SAMPLES - WARMUP) * rounds.length - sorted.length),
        String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
        rounds
          .map((r) =>
            fmt(
              quantile(
                r.lateness
                  .slice(WARMUP)
                  .filter((value) => !Number.isNaN(value))
                  .sort((a, b) => a - b),
                0.99,
              ),
            ),
          )
          .join(' / '),
        `${fmt(p99(name) / p99(AGENDA_ROW), 3)}x`,
      ];
    }),
  );
  console.log(`\n${background.summary()}`);
  const horaeMissed = (SAMPLES - WARMUP) * ROUNDS - pooled(HORAE_ROW).length;
  printGoal(
    "Horae p99 pickup latency at most 50 ms with change streams, against Agenda's default",
    p99(HORAE_ROW) <= 50 && horaeMissed === 0,
    `Horae (change stream) p99 ${fmt(p99(HORAE_ROW))} ms, missed ${horaeMissed}; Agenda defaults p99 ${fmt(p99(AGENDA_ROW))} ms = ${fmt(p99(AGENDA_ROW) / p99(HORAE_ROW), 1)}x Horae's`,
  );
}

const [name, role, database] = process.argv.slice(2);
if (name === undefined) await parent();
else if (role === 'worker') await workerChild(name, database!);
else await adderChild(name, database!);
