/**
 * Redis benchmark 3: dispatch throughput. 10,000 tasks already due, drained by 3 scheduler
 * instances, each in its own process (Horae), vs 10,000 waiting jobs drained by 3 BullMQ Workers,
 * each in its own process, with a no-op processor. Both on the same Redis.
 *
 * Per round: a loader child puts the tasks in (untimed), then three drainer children connect and
 * wait, paused; the parent tells all three to go at once and counts their fires; the time is from
 * "go" to the last fire in any of them. Every fire's task index is sent back, to check that each
 * task ran exactly once.
 */
import { fmt, median, printGoal, printTable, ratio, runChild, sendToParent } from '../lib/report.js';
import { BackgroundLog, adminClient, commandCalls, deleteTagKeys, epochNow, horaePrefix, joinGroup, redisHeader, runGroup, serverCpuSeconds } from './lib.js';
import { bullmqDrainer, horaeDrainer, loadDueBullmq, loadDueHorae, type Drainer, type Payload } from './workload.js';

const TASKS = 10_000;
const INSTANCES = 3;
const ROUNDS = 3;
/** The concurrency of the BullMQ reference row (its default is 1). */
const BULLMQ_CONCURRENCY = 100;

interface Contender {
  load(tag: string): Promise<number>;
  drainer(tag: string, instance: number, onFire: (payload: Payload) => void): Drainer;
}

const horae: Contender = {
  load: (tag) => loadDueHorae(horaePrefix(tag), TASKS),
  drainer: (tag, instance, onFire) => horaeDrainer(horaePrefix(tag), `drain-${instance}`, onFire),
};
const bullmq = (concurrency?: number): Contender => ({
  load: (tag) => loadDueBullmq(tag, TASKS),
  drainer: (tag, _instance, onFire) => bullmqDrainer(tag, onFire, concurrency),
});

const contenders: Record<string, Contender> = {
  [`Horae, ${INSTANCES} schedulers (batchSize 100)`]: horae,
  [`BullMQ, ${INSTANCES} Workers (default concurrency 1)`]: bullmq(),
  [`BullMQ, ${INSTANCES} Workers (concurrency ${BULLMQ_CONCURRENCY}), reference`]: bullmq(BULLMQ_CONCURRENCY),
};
const [HORAE_ROW, BULLMQ_ROW, BULLMQ_REFERENCE_ROW] = Object.keys(contenders) as [string, string, string];

/** What one drainer process reports. */
interface DrainResult {
  fired: number[];
  first: number;
  last: number;
}

interface RoundResult {
  loadMs: number;
  /** From "go" to the last fire anywhere, ms. */
  ms: number;
  /** CPU time the Redis server used from "go" until the parent saw every task run, ms. */
  redisCpuMs: number;
  /** Script calls (EVALSHA, INFO commandstats) in that time, per task: both run every step as a Lua script. */
  evalshaPerTask: number;
  perInstance: number[];
  fired: number;
  duplicates: number;
  missing: number;
}

// ------------------------------------------------------------------ children

async function loadChild(name: string, tag: string): Promise<void> {
  const loadMs = await contenders[name]!.load(tag);
  await sendToParent(loadMs);
  process.exit(0);
}

async function drainChild(name: string, tag: string, instance: number): Promise<void> {
  const fired: number[] = [];
  let first = NaN;
  let last = NaN;
  const drainer = contenders[name]!.drainer(tag, instance, ({ i }) => {
    last = epochNow();
    if (fired.length === 0) first = last;
    fired.push(i);
  });
  await joinGroup<DrainResult>({
    setup: () => drainer.setup(),
    go: () => drainer.go(),
    count: () => fired.length,
    finish: async () => {
      await drainer.stop();
      return { fired, first, last };
    },
  });
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function runRound(name: string, round: number, background: BackgroundLog): Promise<RoundResult> {
  const tag = `dispatch-${round}-${process.pid}`;
  const admin = adminClient();
  try {
    const loadMs = await runChild<number>(process.argv[1]!, [name, 'load', tag], 120_000);
    await background.quiet(admin);
    const args = Array.from({ length: INSTANCES }, (_, k) => [name, 'drain', tag, String(k)]);
    let cpuBefore = NaN;
    let cpuAfter = NaN;
    let callsBefore = new Map<string, number>();
    let callsAfter = new Map<string, number>();
    const { goAt, results } = await runGroup<DrainResult>(
      process.argv[1]!,
      args,
      TASKS,
      { readyMs: 30_000, runMs: 120_000, stopMs: 30_000 },
      {
        beforeGo: async () => {
          callsBefore = await commandCalls(admin);
          cpuBefore = await serverCpuSeconds(admin);
        },
        beforeStop: async () => {
          cpuAfter = await serverCpuSeconds(admin);
          callsAfter = await commandCalls(admin);
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
    const fired = results.reduce((sum, r) => sum + r.fired.length, 0);
    const last = Math.max(...results.filter((r) => r.fired.length > 0).map((r) => r.last));
    return {
      loadMs,
      ms: last - goAt,
      redisCpuMs: (cpuAfter - cpuBefore) * 1000,
      evalshaPerTask: ((callsAfter.get('evalsha') ?? 0) - (callsBefore.get('evalsha') ?? 0)) / TASKS,
      perInstance: results.map((r) => r.fired.length),
      fired,
      duplicates,
      missing: seen.reduce((sum, hit) => sum + (hit === 0 ? 1 : 0), 0),
    };
  } finally {
    await deleteTagKeys(admin, tag);
    admin.disconnect();
  }
}

async function parent(): Promise<void> {
  await redisHeader(`Redis benchmark 3: dispatch throughput, ${INSTANCES} Horae schedulers vs ${INSTANCES} BullMQ Workers`);
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due (Horae: date triggers at load time, misfireGraceTime null; BullMQ: waiting jobs),`);
  console.log(`drained by ${INSTANCES} instances, each its own process, told to go at the same moment. Time = go → last fire in any process.`);
  console.log(`Handlers / processors do nothing but record the task index. ${ROUNDS} rounds per row, interleaved; median shown.`);
  console.log('Redis CPU ms = CPU time of the Redis server (INFO cpu) from go until the parent saw every task run; EVALSHA/task =');
  console.log('script calls in that time (INFO commandstats) per task: both contenders do each step as one Lua script.\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  for (let r = 0; r < ROUNDS; r++) for (const name of names) results.get(name)!.push(await runRound(name, r, background));

  const rate = (name: string): number => TASKS / (median(results.get(name)!.map((r) => r.ms)) / 1000);
  printTable(
    ['contender', 'median ms', 'ms per round', 'tasks/s', 'vs BullMQ default', 'Redis CPU ms', 'EVALSHA/task', 'per instance (last round)', 'ran', 'dup', 'missing', 'load ms'],
    names.map((name) => {
      const rounds = results.get(name)!;
      return [
        name,
        fmt(median(rounds.map((r) => r.ms)), 0),
        rounds.map((r) => fmt(r.ms, 0)).join(' / '),
        fmt(rate(name), 0),
        ratio(rate(name), rate(BULLMQ_ROW)),
        fmt(median(rounds.map((r) => r.redisCpuMs)), 0),
        fmt(median(rounds.map((r) => r.evalshaPerTask)), 2),
        rounds.at(-1)!.perInstance.map((n) => n.toLocaleString('en-US')).join(' / '),
        rounds.map((r) => r.fired.toLocaleString('en-US')).join(' / '),
        String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
        String(rounds.reduce((sum, r) => sum + r.missing, 0)),
        fmt(median(rounds.map((r) => r.loadMs)), 0),
      ];
    }),
  );

  console.log(`\n${background.summary()}`);

  const horaeRate = rate(HORAE_ROW);
  const bullRate = rate(BULLMQ_ROW);
  const exact = results.get(HORAE_ROW)!.every((r) => r.duplicates === 0 && r.missing === 0);
  printGoal(
    `Horae (${INSTANCES} processes) at least 2x the tasks/s of BullMQ (${INSTANCES} Worker processes, default concurrency)`,
    horaeRate >= 2 * bullRate && exact,
    `Horae ${fmt(horaeRate, 0)} tasks/s vs BullMQ ${fmt(bullRate, 0)} tasks/s = ${ratio(horaeRate, bullRate)}; vs BullMQ at concurrency ${BULLMQ_CONCURRENCY}: ${ratio(horaeRate, rate(BULLMQ_REFERENCE_ROW))}; Horae ran every task exactly once: ${exact ? 'yes' : 'NO'}`,
  );
}

const [name, step, tag, instance] = process.argv.slice(2);
if (name === undefined) await parent();
else if (step === 'load') await loadChild(name, tag!);
else await drainChild(name, tag!, Number(instance));
