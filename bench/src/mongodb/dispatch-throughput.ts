/**
 * MongoDB benchmark 2: dispatch throughput. 10,000 tasks already due, drained by 3 scheduler
 * instances, each in its own process (Horae), vs 10,000 due jobs drained by 3 Agenda instances,
 * each in its own process, with a no-op handler. Both on the same mongod (the replica set).
 *
 * Per round: a loader child puts the tasks in (untimed), then three drainer children connect and
 * wait; the parent tells all three to go at once and counts their fires; the time is from "go" to
 * the last fire in any of them. Every fire's task index is sent back, to check that each task ran
 * exactly once. Also: the operations mongod counted (serverStatus opcounters) per task.
 *
 * Horae runs twice: with its run history on (the default: every run recorded in its task's store,
 * in batches every 200 ms) and off (`runHistory: false`). After each Horae round the parent counts
 * the runs in `<collection>.runs` (one document per task) and reads one task's runs back through a scheduler.
 */
import { DRAIN_HEAD_HEADERS, drainHeadCells, drainTailCells, drainTailHeaders, readBack, runDispatchProgram, schedulerDrainer, tally, type DrainResult, type DrainRound, type Drainer, type HistoryFound } from '../lib/drain.js';
import { fmt, median, printGoal, printTable, ratio, runChild } from '../lib/report.js';
import { chunks, epochNow, runGroup } from '../redis/lib.js';
import type { MongoClient } from 'mongodb';
import { BackgroundLog, HANDLER, adminClient, agendaInstance, databaseFor, dropDatabase, horaeScheduler, mongodbHeader, opDelta, opcounters, replicaSetUrl, type Payload } from './lib.js';

const TASKS = 10_000;
const INSTANCES = 3;
const ROUNDS = 3;
const CHUNK = 1_000;
/** The most dispatch throughput the run history may cost: history on ÷ off at least 1 − this. */
const HISTORY_MAX_COST = 0.15;
/** The MongoDBStore's default collection of tasks; its run history is `<this>.runs`. */
const RUNS_COLLECTION = 'tasks.runs';

interface Contender {
  load(database: string): Promise<number>;
  drainer(database: string, instance: number, onFire: (payload: Payload) => void): Drainer;
  /** Horae only: whether its schedulers keep the run history. */
  history?: boolean;
}

const horae = (runHistory?: false): Contender => ({
  history: runHistory !== false,
  load: async (database) => {
    const scheduler = horaeScheduler({ url: replicaSetUrl(), database, instanceId: 'bench-loader' });
    await scheduler.start({ paused: true });
    const started = performance.now();
    const runAt = Date.now();
    for (const chunk of chunks(
      Array.from({ length: TASKS }, (_, i) => i),
      CHUNK,
    )) {
      await Promise.all(chunk.map((i) => scheduler.addTask({ handler: HANDLER, args: { i }, trigger: { type: 'date', runAt }, misfireGraceTime: null })));
    }
    const took = performance.now() - started;
    await scheduler.shutdown();
    return took;
  },
  drainer: (database, instance, onFire) => schedulerDrainer(horaeScheduler({ url: replicaSetUrl(), database, instanceId: `drain-${instance}`, onFire, ...(runHistory === undefined ? {} : { runHistory }) })),
});

const agenda: Contender = {
  load: async (database) => {
    const { agenda: instance, backend } = agendaInstance({ url: replicaSetUrl(), database });
    await instance.ready;
    const started = performance.now();
    for (const chunk of chunks(
      Array.from({ length: TASKS }, (_, i) => i),
      CHUNK,
    )) {
      await Promise.all(chunk.map((i) => instance.now(HANDLER, { i })));
    }
    const took = performance.now() - started;
    await backend.disconnect();
    return took;
  },
  drainer: (database, _instance, onFire) => {
    const { agenda: instance } = agendaInstance({ url: replicaSetUrl(), database, onFire });
    return {
      setup: async () => {
        await instance.ready;
      },
      go: () => void instance.start().catch((error: unknown) => console.error('Agenda failed to start:', error)),
      stop: () => instance.stop(),
    };
  },
};

const contenders: Record<string, Contender> = {
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history on`]: horae(),
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history off`]: horae(false),
  [`Agenda, ${INSTANCES} instances (defaults)`]: agenda,
};
/** HORAE_ROW (history on, the default) is the one the goal against Agenda uses. */
const [HORAE_ROW, HORAE_NO_HISTORY_ROW, AGENDA_ROW] = Object.keys(contenders) as [string, string, string];

/** The order of the rows in round `round`: the two Horae rows swap places every other round. */
function roundOrder(round: number): string[] {
  const names = Object.keys(contenders);
  return round % 2 === 0 ? names : [HORAE_NO_HISTORY_ROW, HORAE_ROW, ...names.slice(2)];
}

interface RoundResult extends DrainRound {
  opsPerTask: Record<string, number>;
  /** Horae only: the run history the round left in the database. */
  history?: HistoryFound;
}

async function runRound(name: string, round: number, background: BackgroundLog): Promise<RoundResult> {
  const database = databaseFor(`dispatch-${round}-${Object.keys(contenders).indexOf(name)}-${process.pid}`);
  const admin = adminClient();
  try {
    const loadMs = await runChild<number>(process.argv[1]!, [name, 'load', database], 300_000);
    await background.quiet(admin);
    let before: Record<string, number> = {};
    let after: Record<string, number> = {};
    let doneAt = NaN;
    const { goAt, results } = await runGroup<DrainResult>(
      process.argv[1]!,
      Array.from({ length: INSTANCES }, (_, k) => [name, 'drain', database, String(k)]),
      TASKS,
      { readyMs: 30_000, runMs: 300_000, stopMs: 60_000 },
      {
        beforeGo: async () => {
          before = await opcounters(admin);
        },
        beforeStop: async () => {
          // The parent sees the last count within 50 ms of the last fire (children report every 50 ms).
          doneAt = epochNow();
          after = await opcounters(admin);
        },
      },
    );
    const delta = opDelta(before, after);
    // runGroup resolves when every drainer has stopped (a scheduler's shutdown writes the runs it still holds).
    const history = contenders[name]!.history === undefined ? undefined : await historyFound(admin, database);
    return {
      loadMs,
      ms: doneAt - goAt,
      opsPerTask: Object.fromEntries(Object.entries(delta).map(([kind, count]) => [kind, count / TASKS])),
      perInstance: results.map((r) => r.fired.length),
      ...tally(results, TASKS),
      ...(history === undefined ? {} : { history }),
    };
  } finally {
    // The whole database goes, the run history's collection with it.
    await dropDatabase(admin, database);
    await admin.close();
  }
}

/** The run history a Horae round left: `<collection>.runs` counted, and one task's runs read back through a scheduler (started paused). */
async function historyFound(admin: MongoClient, database: string): Promise<HistoryFound> {
  // One document per task, its runs in an array (see packages/mongodb/src/history.ts).
  const runs = admin.db(database).collection<{ _id: string; runs: unknown[] }>(RUNS_COLLECTION);
  const [counted] = await runs.aggregate<{ tasks: number; runs: number }>([{ $group: { _id: null, tasks: { $sum: 1 }, runs: { $sum: { $size: '$runs' } } } }]).toArray();
  const count = counted?.runs ?? 0;
  const grouped = counted === undefined ? undefined : { tasks: counted.tasks };
  const one = await runs.findOne({});
  return { runs: count, tasks: grouped?.tasks ?? 0, readBack: await readBack(() => horaeScheduler({ url: replicaSetUrl(), database, instanceId: 'bench-history-check' }), one?._id) };
}

async function parent(): Promise<void> {
  await mongodbHeader(`MongoDB benchmark 2: dispatch throughput, ${INSTANCES} Horae schedulers vs ${INSTANCES} Agenda instances`);
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due (Horae: date triggers at load time, misfireGraceTime null; Agenda: agenda.now() jobs),`);
  console.log(`drained by ${INSTANCES} instances, each its own process, told to go at the same moment (Horae: resume() of a scheduler started paused;`);
  console.log('Agenda: start()). Time = go → the parent seeing the last fire (children report counts every 50 ms). Handlers only record the');
  console.log(`task index. ${ROUNDS} rounds per row, interleaved; median. Ops/task = mongod opcounters (query, update, insert, delete, getmore,`);
  console.log('command: anyone\'s, the parent\'s two readings left out) from go to the last fire, per task.');
  console.log('Horae runs with its run history on (the default: each run recorded in the store, in batches every 200 ms, off the dispatch');
  console.log(`path) and off (runHistory: false); the two rows swap places every other round. History runs = runs in ${RUNS_COLLECTION}`);
  console.log('after each round (the drainers shut down first, writing what they still held).\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  for (let round = 0; round < ROUNDS; round++) for (const name of roundOrder(round)) results.get(name)!.push(await runRound(name, round, background));

  const rate = (name: string): number => TASKS / (median(results.get(name)!.map((r) => r.ms)) / 1000);
  const ops = (name: string, kind: string): string => fmt(median(results.get(name)!.map((r) => r.opsPerTask[kind] ?? 0)), 2);
  printTable(
    ['contender', ...DRAIN_HEAD_HEADERS, 'vs Agenda', 'query', 'update', 'delete', 'insert', 'getmore', 'command', ...drainTailHeaders()],
    names.map((name) => {
      const rounds = results.get(name)!;
      return [
        name,
        ...drainHeadCells(rounds, rate(name)),
        ratio(rate(name), rate(AGENDA_ROW)),
        ops(name, 'query'),
        ops(name, 'update'),
        ops(name, 'delete'),
        ops(name, 'insert'),
        ops(name, 'getmore'),
        ops(name, 'command'),
        ...drainTailCells(rounds),
      ];
    }),
  );
  console.log(`\n${background.summary()}`);
  console.log(`\nRun history found after each round (documents in ${RUNS_COLLECTION}, distinct tasks; one task read back with scheduler.getRuns):`);
  for (const name of [HORAE_ROW, HORAE_NO_HISTORY_ROW]) {
    const found = results.get(name)!.map((r) => r.history!);
    console.log(`- ${name}: ${found.map((h) => `${h.runs.toLocaleString('en-US')} runs of ${h.tasks.toLocaleString('en-US')} tasks, read back ${h.readBack}`).join('; ')}`);
  }
  const exact = results.get(HORAE_ROW)!.every((r) => r.duplicates === 0 && r.missing === 0);
  printGoal(
    `Horae (${INSTANCES} processes) at least 10x the tasks/s of Agenda (${INSTANCES} processes, defaults) on the same mongod`,
    rate(HORAE_ROW) >= 10 * rate(AGENDA_ROW) && exact,
    `Horae (run history on) ${fmt(rate(HORAE_ROW), 0)} tasks/s vs Agenda ${fmt(rate(AGENDA_ROW), 0)} tasks/s = ${ratio(rate(HORAE_ROW), rate(AGENDA_ROW))}; Horae ran every task exactly once: ${exact ? 'yes' : 'NO'}`,
  );

  const onRate = rate(HORAE_ROW);
  const offRate = rate(HORAE_NO_HISTORY_ROW);
  const recorded = results.get(HORAE_ROW)!.every((r) => r.history!.runs === TASKS && r.history!.tasks === TASKS) && results.get(HORAE_NO_HISTORY_ROW)!.every((r) => r.history!.runs === 0);
  printGoal(
    `run history costs at most ${HISTORY_MAX_COST * 100}% of dispatch throughput (Horae, ${INSTANCES} processes, history on ÷ history off tasks/s at least ${1 - HISTORY_MAX_COST})`,
    onRate >= (1 - HISTORY_MAX_COST) * offRate && recorded,
    `history on ${fmt(onRate, 0)} tasks/s vs off ${fmt(offRate, 0)} tasks/s = ${ratio(onRate, offRate)}; one run recorded per task in every history-on round and none with it off: ${recorded ? 'yes' : 'NO'}`,
  );
}

await runDispatchProgram({ parent, load: (name, database) => contenders[name]!.load(database), drainer: (name, database, instance, onFire) => contenders[name]!.drainer(database, instance, onFire) });
