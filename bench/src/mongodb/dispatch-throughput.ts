/**
 * MongoDB benchmark 2: dispatch throughput. 10,000 tasks already due, drained by 3 scheduler
 * instances, each in its own process (Horae), vs 10,000 due jobs drained by 3 Agenda instances,
 * each in its own process, with a no-op handler. Both on the same mongod (the replica set).
 *
 * Per round: a loader child puts the tasks in (untimed), then three drainer children connect and
 * wait; the parent tells all three to go at once and counts their fires; the time is from "go" to
 * the last fire in any of them. Every fire's task index is sent back, to check that each task ran
 * exactly once. Also: the operations mongod counted (serverStatus opcounters) per task.
 */
import { fmt, median, printGoal, printTable, ratio, runChild, sendToParent } from '../lib/report.js';
import { chunks, epochNow, joinGroup, runGroup } from '../redis/lib.js';
import { BackgroundLog, HANDLER, adminClient, agendaInstance, databaseFor, dropDatabase, horaeScheduler, mongodbHeader, opDelta, opcounters, replicaSetUrl, type Payload } from './lib.js';

const TASKS = 10_000;
const INSTANCES = 3;
const ROUNDS = 3;
const CHUNK = 1_000;

interface Drainer {
  setup(): Promise<void>;
  go(): void;
  stop(): Promise<void>;
}

interface Contender {
  load(database: string): Promise<number>;
  drainer(database: string, instance: number, onFire: (payload: Payload) => void): Drainer;
}

const horae: Contender = {
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
  drainer: (database, instance, onFire) => {
    const scheduler = horaeScheduler({ url: replicaSetUrl(), database, instanceId: `drain-${instance}`, onFire });
    return {
      setup: async () => {
        await scheduler.start({ paused: true });
        await scheduler.getTask('bench-connect');
      },
      go: () => scheduler.resume(),
      stop: () => scheduler.shutdown({ timeout: 5_000 }),
    };
  },
};

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
  [`Horae, ${INSTANCES} schedulers (batchSize 100)`]: horae,
  [`Agenda, ${INSTANCES} instances (defaults)`]: agenda,
};
const [HORAE_ROW, AGENDA_ROW] = Object.keys(contenders) as [string, string];

interface DrainResult {
  fired: number[];
}

interface RoundResult {
  loadMs: number;
  ms: number;
  opsPerTask: Record<string, number>;
  perInstance: number[];
  fired: number;
  duplicates: number;
  missing: number;
}

async function loadChild(name: string, database: string): Promise<void> {
  await sendToParent(await contenders[name]!.load(database));
  process.exit(0);
}

async function drainChild(name: string, database: string, instance: number): Promise<void> {
  const fired: number[] = [];
  const drainer = contenders[name]!.drainer(database, instance, ({ i }) => void fired.push(i));
  await joinGroup<DrainResult & { last: number }>({
    setup: () => drainer.setup(),
    go: () => drainer.go(),
    count: () => fired.length,
    finish: async () => {
      await drainer.stop();
      return { fired, last: epochNow() };
    },
  });
  process.exit(0);
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
    const seen = new Uint8Array(TASKS);
    let duplicates = 0;
    for (const { fired } of results) {
      for (const i of fired) {
        if (seen[i] !== 0) duplicates++;
        seen[i] = 1;
      }
    }
    const delta = opDelta(before, after);
    const fired = results.reduce((sum, r) => sum + r.fired.length, 0);
    return {
      loadMs,
      ms: doneAt - goAt,
      opsPerTask: Object.fromEntries(Object.entries(delta).map(([kind, count]) => [kind, count / TASKS])),
      perInstance: results.map((r) => r.fired.length),
      fired,
      duplicates,
      missing: seen.reduce((sum, hit) => sum + (hit === 0 ? 1 : 0), 0),
    };
  } finally {
    await dropDatabase(admin, database);
    await admin.close();
  }
}

async function parent(): Promise<void> {
  await mongodbHeader(`MongoDB benchmark 2: dispatch throughput, ${INSTANCES} Horae schedulers vs ${INSTANCES} Agenda instances`);
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due (Horae: date triggers at load time, misfireGraceTime null; Agenda: agenda.now() jobs),`);
  console.log(`drained by ${INSTANCES} instances, each its own process, told to go at the same moment (Horae: resume() of a scheduler started paused;`);
  console.log('Agenda: start()). Time = go → the parent seeing the last fire (children report counts every 50 ms). Handlers only record the');
  console.log(`task index. ${ROUNDS} rounds per row, interleaved; median. Ops/task = mongod opcounters (query, update, insert, delete, getmore,`);
  console.log('command: anyone\'s, the parent\'s two readings left out) from go to the last fire, per task.\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  for (let round = 0; round < ROUNDS; round++) for (const name of names) results.get(name)!.push(await runRound(name, round, background));

  const rate = (name: string): number => TASKS / (median(results.get(name)!.map((r) => r.ms)) / 1000);
  const ops = (name: string, kind: string): string => fmt(median(results.get(name)!.map((r) => r.opsPerTask[kind] ?? 0)), 2);
  printTable(
    ['contender', 'median ms', 'ms per round', 'tasks/s', 'vs Agenda', 'query', 'update', 'delete', 'insert', 'getmore', 'command', 'per instance (last round)', 'ran', 'dup', 'missing', 'load ms'],
    names.map((name) => {
      const rounds = results.get(name)!;
      return [
        name,
        fmt(median(rounds.map((r) => r.ms)), 0),
        rounds.map((r) => fmt(r.ms, 0)).join(' / '),
        fmt(rate(name), 0),
        ratio(rate(name), rate(AGENDA_ROW)),
        ops(name, 'query'),
        ops(name, 'update'),
        ops(name, 'delete'),
        ops(name, 'insert'),
        ops(name, 'getmore'),
        ops(name, 'command'),
        rounds.at(-1)!.perInstance.map((n) => n.toLocaleString('en-US')).join(' / '),
        rounds.map((r) => r.fired.toLocaleString('en-US')).join(' / '),
        String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
        String(rounds.reduce((sum, r) => sum + r.missing, 0)),
        fmt(median(rounds.map((r) => r.loadMs)), 0),
      ];
    }),
  );
  console.log(`\n${background.summary()}`);
  const exact = results.get(HORAE_ROW)!.every((r) => r.duplicates === 0 && r.missing === 0);
  printGoal(
    `Horae (${INSTANCES} processes) at least 10x the tasks/s of Agenda (${INSTANCES} processes, defaults) on the same mongod`,
    rate(HORAE_ROW) >= 10 * rate(AGENDA_ROW) && exact,
    `Horae ${fmt(rate(HORAE_ROW), 0)} tasks/s vs Agenda ${fmt(rate(AGENDA_ROW), 0)} tasks/s = ${ratio(rate(HORAE_ROW), rate(AGENDA_ROW))}; Horae ran every task exactly once: ${exact ? 'yes' : 'NO'}`,
  );
}

const [name, step, database, instance] = process.argv.slice(2);
if (name === undefined) await parent();
else if (step === 'load') await loadChild(name, database!);
else await drainChild(name, database!, Number(instance));
