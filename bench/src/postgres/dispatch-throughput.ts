/**
 * PostgreSQL benchmark 2: dispatch throughput. 10,000 tasks already due, drained by 3 processes of
 * each contender on the same PostgreSQL server, with a no-op handler: Horae schedulers on a
 * `PostgresStore` (run history on, the default, and off), pg-boss `work()` and graphile-worker
 * `run()`, each peer at its defaults and at settings its docs give for throughput.
 *
 * Per round: a loader child puts the tasks into a fresh database (untimed), then three drainer
 * children connect and wait; the parent tells all three to go at once; the time is from "go" to
 * the last handler call in any of them. Every fire's task index is sent back, to check that each
 * task ran exactly once. A round ends after {@link RUN_CAP_MS} whatever ran by then: a row too slow
 * to drain the tasks in that time is measured on what it ran. Also: the transactions PostgreSQL
 * counted in the round's database (`pg_stat_database`) per task.
 */
import { makeWorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { PostgresStore } from '@horae/postgres';
import { fmt, median, printGoal, printTable, ratio, runChild } from '../lib/report.js';
import { runGroup } from '../redis/lib.js';
import { DRAIN_HEAD_HEADERS, drainHeadCells, drainTailCells, drainTailHeaders, readBack, runDispatchProgram, tally, type DrainResult, type DrainRound, type Drainer, type HistoryFound } from '../lib/drain.js';
import {
  BackgroundLog,
  HANDLER,
  adminClient,
  createDatabase,
  databaseFor,
  databaseUrl,
  dropDatabase,
  graphileDrainer,
  graphileOptions,
  horaeDrainer,
  horaeScheduler,
  loadDueHorae,
  pgBoss,
  pgBossDrainer,
  postgresHeader,
  serverCpuMs,
  timedChunks,
  transactions,
  type GraphileTuning,
  type Payload,
  type PgBossWork,
} from './lib.js';

/** Tasks per round: 10,000, or `BENCH_DISPATCH_TASKS`. */
const TASKS = Number(process.env.BENCH_DISPATCH_TASKS ?? 10_000);
const INSTANCES = 3;
const ROUNDS = 3;
/** A round stops after this long from "go"; a row that has not drained every task by then is measured on what ran. */
const RUN_CAP_MS = 10_000;

interface Contender {
  /** Which library: the goal is against the best row of each peer. */
  library: 'Horae' | 'pg-boss' | 'graphile-worker';
  load(database: string): Promise<number>;
  drainer(database: string, instance: number, onFire: (payload: Payload) => void): Drainer;
  /** Horae only: whether its schedulers keep the run history. */
  history?: boolean;
}

const horae = (runHistory?: false): Contender => ({
  library: 'Horae',
  history: runHistory !== false,
  load: (database) => loadDueHorae(database, TASKS),
  drainer: (database, instance, onFire) => horaeDrainer({ database, instanceId: `drain-${instance}`, onFire, ...(runHistory === undefined ? {} : { runHistory }) }),
});

const pgBossRow = (work?: PgBossWork): Contender => ({
  library: 'pg-boss',
  load: async (database) => {
    const boss = pgBoss(database);
    await boss.start();
    await boss.createQueue(HANDLER);
    const took = await timedChunks(TASKS, (chunk) => boss.insert(chunk.map((i) => ({ name: HANDLER, data: { i } }))));
    await boss.stop({ graceful: false });
    return took;
  },
  drainer: (database, _instance, onFire) => pgBossDrainer(database, work, onFire),
});

const graphileRow = (tuning: GraphileTuning = {}): Contender => ({
  library: 'graphile-worker',
  load: async (database) => {
    const utils = await makeWorkerUtils(graphileOptions(database));
    await utils.migrate();
    const took = await timedChunks(TASKS, (chunk) => utils.addJobs(chunk.map((i) => ({ identifier: HANDLER, payload: { i } }))));
    await utils.release();
    return took;
  },
  drainer: (database, _instance, onFire) => graphileDrainer(database, tuning, onFire),
});

const contenders: Record<string, Contender> = {
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history on`]: horae(),
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history off`]: horae(false),
  [`pg-boss, ${INSTANCES} processes, work() defaults (batchSize 1, poll 2 s)`]: pgBossRow(),
  [`pg-boss, ${INSTANCES} processes, work() batchSize 100, poll 0.5 s`]: pgBossRow({ batchSize: 100, pollingIntervalSeconds: 0.5 }),
  [`pg-boss, ${INSTANCES} processes, work() batchSize 1000, poll 0.5 s`]: pgBossRow({ batchSize: 1_000, pollingIntervalSeconds: 0.5 }),
  [`graphile-worker, ${INSTANCES} processes, run() defaults (concurrency 1)`]: graphileRow(),
  [`graphile-worker, ${INSTANCES} processes, concurrency 10, localQueue 11, batch delay 25 ms`]: graphileRow({ concurrency: 10, localQueueSize: 11, completeJobBatchDelay: 25 }),
  [`graphile-worker, ${INSTANCES} processes, concurrency 24, pool 25, localQueue 500, batch delay 0`]: graphileRow({ concurrency: 24, maxPoolSize: 25, localQueueSize: 500, completeJobBatchDelay: 0 }),
};
/** HORAE_ROW (history on, the default) is the one the goal uses. */
const [HORAE_ROW, HORAE_NO_HISTORY_ROW] = Object.keys(contenders) as [string, string];
const rowsOf = (library: Contender['library']): string[] => Object.keys(contenders).filter((name) => contenders[name]!.library === library);

/** The order of the rows in round `round`: the two Horae rows swap places every other round. */
function roundOrder(round: number): string[] {
  const names = Object.keys(contenders);
  return round % 2 === 0 ? names : [HORAE_NO_HISTORY_ROW, HORAE_ROW, ...names.slice(2)];
}

interface RoundResult extends DrainRound {
  /** Tasks run (counting each once) per second of `ms`. */
  rate: number;
  /** Transactions in the round's database from "go" until every drainer had exited, per task run. */
  xactPerTask: number;
  /** CPU time of the PostgreSQL server from "go" until every drainer had exited, per task run, µs. */
  serverCpuPerTask: number;
  /** CPU time of the three drainers from "go" until told to stop, per task run, µs. */
  drainerCpuPerTask: number;
  /** Horae only: the run history the round left in the database. */
  history?: HistoryFound;
}

// ------------------------------------------------------------------ parent

async function runRound(name: string, round: number, background: BackgroundLog, admin: pg.Client): Promise<RoundResult> {
  const database = databaseFor(`dispatch_${round}_${Object.keys(contenders).indexOf(name)}_${process.pid}`);
  try {
    await createDatabase(admin, database);
    const loadMs = await runChild<number>(process.argv[1]!, [name, 'load', database], 120_000);
    await background.quiet(admin);
    let xactBefore = NaN;
    let cpuBefore = NaN;
    const { goAt, results } = await runGroup<DrainResult>(
      process.argv[1]!,
      Array.from({ length: INSTANCES }, (_, k) => [name, 'drain', database, String(k)]),
      TASKS,
      { readyMs: 60_000, runMs: RUN_CAP_MS, stopMs: 60_000 },
      {
        beforeGo: async () => {
          xactBefore = await transactions(admin, database);
          cpuBefore = await serverCpuMs(admin);
        },
      },
    );
    // runGroup resolves when every drainer has exited, so their backends have reported their counts.
    const xactAfter = await transactions(admin, database, true);
    const cpuAfter = await serverCpuMs(admin);
    const counts = tally(results, TASKS);
    const ran = Math.max(1, counts.ran);
    const ms = Math.max(...results.filter((r) => r.fired.length > 0).map((r) => r.last)) - goAt;
    const history = contenders[name]!.history === undefined ? undefined : await historyFound(database);
    return {
      loadMs,
      ms,
      rate: counts.ran / (ms / 1000),
      xactPerTask: (xactAfter - xactBefore) / ran,
      serverCpuPerTask: ((cpuAfter - cpuBefore) * 1000) / ran,
      drainerCpuPerTask: (results.reduce((sum, r) => sum + r.cpuMs, 0) * 1000) / ran,
      perInstance: results.map((r) => r.fired.length),
      ...counts,
      ...(history === undefined ? {} : { history }),
    };
  } finally {
    // The whole database goes, the run history with it.
    await dropDatabase(admin, database);
  }
}

/** The run history a Horae round left: `<table>_runs` counted, and one task's runs read back through a scheduler (started paused). */
async function historyFound(database: string): Promise<HistoryFound> {
  const client = new pg.Client({ connectionString: databaseUrl(database), application_name: 'bench-admin' });
  await client.connect();
  let counted: { runs: string; tasks: string; some: string | null };
  try {
    const { rows } = await client.query<typeof counted>(`SELECT count(*) AS runs, count(DISTINCT task_id) AS tasks, min(task_id) AS some FROM ${new PostgresStore().tables.runs}`);
    counted = rows[0]!;
  } finally {
    await client.end();
  }
  return { runs: Number(counted.runs), tasks: Number(counted.tasks), readBack: await readBack(() => horaeScheduler({ database, instanceId: 'bench-history-check' }), counted.some ?? undefined) };
}

async function parent(): Promise<void> {
  await postgresHeader(`PostgreSQL benchmark 2: dispatch throughput, ${INSTANCES} processes each: Horae vs pg-boss vs graphile-worker`);
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due, loaded in bulk into a fresh database per round (Horae: addTasks, date triggers at load time,`);
  console.log('misfireGraceTime null; pg-boss: insert() of jobs due now; graphile-worker: addJobs() of jobs due now), drained by');
  console.log(`${INSTANCES} processes told to go at the same moment (Horae: resume() of schedulers started paused; pg-boss: work() on started instances;`);
  console.log('graphile-worker: run() once its schema is migrated). Time = go → the last handler call in any process. Handlers only record the');
  console.log(`task index (pg-boss: every job of the batch it gets). A round stops ${RUN_CAP_MS / 1000} s after go; a row that has not run every task by then`);
  console.log(`is measured on what it ran (tasks/s = tasks run ÷ time to its last handler call). ${ROUNDS} rounds per row, interleaved; median of`);
  console.log("the rounds' tasks/s. xact/task = transactions in the round's database (pg_stat_database xact_commit + xact_rollback) from go");
  console.log('until every drainer had exited, per task run: about one per statement sent, as neither Horae nor the peers wrap statements in');
  console.log('transactions on this path. PG CPU = CPU time of the PostgreSQL server (postmaster and backends, from /proc) over the same span;');
  console.log("drainers CPU = the three processes' own (process.cpuUsage) from go until told to stop; both per task run, µs. Horae runs with");
  console.log('its run history on (the default: each run recorded in <table>_runs, in batches every 200 ms) and off (runHistory: false); the');
  console.log('two rows swap places every other round. History runs = rows of <table>_runs after each round (the drainers shut down first,');
  console.log('writing what they still held).\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  const admin = await adminClient();
  try {
    for (let round = 0; round < ROUNDS; round++) for (const name of roundOrder(round)) results.get(name)!.push(await runRound(name, round, background, admin));
  } finally {
    await admin.end();
  }

  const rate = (name: string): number => median(results.get(name)!.map((r) => r.rate));
  const best = (library: Contender['library']): string => rowsOf(library).reduce((a, b) => (rate(b) > rate(a) ? b : a));
  const bestPeer = [best('pg-boss'), best('graphile-worker')].reduce((a, b) => (rate(b) > rate(a) ? b : a));
  printTable(
    ['contender', ...DRAIN_HEAD_HEADERS, 'Horae ÷ this', 'xact/task', 'PG CPU µs/task', 'drainers CPU µs/task', ...drainTailHeaders('not run')],
    names.map((name) => {
      const rounds = results.get(name)!;
      return [
        name,
        ...drainHeadCells(rounds, rate(name)),
        ratio(rate(HORAE_ROW), rate(name)),
        fmt(median(rounds.map((r) => r.xactPerTask)), 2),
        fmt(median(rounds.map((r) => r.serverCpuPerTask)), 0),
        fmt(median(rounds.map((r) => r.drainerCpuPerTask)), 0),
        ...drainTailCells(rounds),
      ];
    }),
  );
  console.log(`\n${background.summary()}`);
  console.log(`\nRun history found after each round (rows of <table>_runs, distinct tasks; one task read back with scheduler.getRuns):`);
  for (const name of [HORAE_ROW, HORAE_NO_HISTORY_ROW]) {
    const found = results.get(name)!.map((r) => r.history!);
    console.log(`- ${name}: ${found.map((h) => `${h.runs.toLocaleString('en-US')} runs of ${h.tasks.toLocaleString('en-US')} tasks, read back ${h.readBack}`).join('; ')}`);
  }
  const onRate = rate(HORAE_ROW);
  const offRate = rate(HORAE_NO_HISTORY_ROW);
  console.log(`\nRun history on ÷ off: ${ratio(onRate, offRate)} (${fmt(onRate, 0)} vs ${fmt(offRate, 0)} tasks/s). Best rows: pg-boss "${best('pg-boss')}" ${fmt(rate(best('pg-boss')), 0)} tasks/s;`);
  console.log(`graphile-worker "${best('graphile-worker')}" ${fmt(rate(best('graphile-worker')), 0)} tasks/s.`);

  const exact = results.get(HORAE_ROW)!.every((r) => r.duplicates === 0 && r.missing === 0);
  printGoal(
    `Horae (${INSTANCES} processes, run history on) at least 3x the tasks/s of the better of pg-boss and graphile-worker (${INSTANCES} processes each) at their best settings`,
    onRate >= 3 * rate(bestPeer) && exact,
    `Horae ${fmt(onRate, 0)} tasks/s vs ${bestPeer} ${fmt(rate(bestPeer), 0)} tasks/s = ${ratio(onRate, rate(bestPeer))}; history off ${ratio(offRate, rate(bestPeer))}; Horae ran every task exactly once: ${exact ? 'yes' : 'NO'}`,
  );
}

await runDispatchProgram({ parent, load: (name, database) => contenders[name]!.load(database), drainer: (name, database, instance, onFire) => contenders[name]!.drainer(database, instance, onFire) });
