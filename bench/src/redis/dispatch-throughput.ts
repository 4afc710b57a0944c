/**
 * Redis benchmark 3: dispatch throughput. 10,000 tasks already due (or `BENCH_DISPATCH_TASKS`),
 * drained by 3 scheduler instances, each in its own process (Horae), vs as many waiting jobs drained
 * by 3 BullMQ Workers, each in its own process, with a no-op processor. Both on the same Redis.
 *
 * Per round: a loader child puts the tasks in (untimed), then three drainer children connect and
 * wait, paused; the parent tells all three to go at once and counts their fires; the time is from
 * "go" to the last fire in any of them. Every fire's task index is sent back, to check that each
 * task ran exactly once.
 *
 * BullMQ runs at its default concurrency (1) and at 10, 50, 100 and 250, so that Horae is also
 * measured against BullMQ at the concurrency that is best for it on this machine.
 *
 * Horae runs twice: with its run history on (the default: every run recorded in its task's store,
 * in batches every 200 ms) and off (`runHistory: false`). After each Horae round the parent counts
 * the history the round left in Redis and reads one task's runs back through a scheduler.
 */
import { DRAIN_HEAD_HEADERS, drainHeadCells, drainTailCells, drainTailHeaders, readBack, runDispatchProgram, tally, type DrainResult, type DrainRound, type Drainer, type HistoryFound as RunsFound } from '../lib/drain.js';
import { fmt, median, printGoal, printTable, ratio, runChild } from '../lib/report.js';
import type { Redis } from 'ioredis';
import { BackgroundLog, adminClient, commandCalls, deleteTagKeys, horaeKeys, horaePrefix, redisHeader, runGroup, serverCpuSeconds } from './lib.js';
import { bullmqDrainer, horaeDrainer, horaeScheduler, loadDueBullmq, loadDueHorae, type Payload } from './workload.js';

/** Tasks per round: 10,000, or `BENCH_DISPATCH_TASKS` (a longer drain weighs start-up less). */
const TASKS = Number(process.env.BENCH_DISPATCH_TASKS ?? 10_000);
const INSTANCES = 3;
const ROUNDS = 3;
/** The concurrencies of the BullMQ rows beside its default (1): the goal is against the best of them all. */
const BULLMQ_CONCURRENCIES = [10, 50, 100, 250] as const;
/** The most dispatch throughput the run history may cost: history on ÷ off at least 1 − this. */
const HISTORY_MAX_COST = 0.15;

interface Contender {
  load(tag: string): Promise<number>;
  drainer(tag: string, instance: number, onFire: (payload: Payload) => void): Drainer;
  /** Horae only: whether its schedulers keep the run history. */
  history?: boolean;
}

const horae = (runHistory?: false): Contender => ({
  load: (tag) => loadDueHorae(horaePrefix(tag), TASKS),
  drainer: (tag, instance, onFire) => horaeDrainer(horaePrefix(tag), `drain-${instance}`, onFire, undefined, runHistory),
  history: runHistory !== false,
});
const bullmq = (concurrency?: number): Contender => ({
  load: (tag) => loadDueBullmq(tag, TASKS),
  drainer: (tag, _instance, onFire) => bullmqDrainer(tag, onFire, concurrency),
});

const contenders: Record<string, Contender> = {
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history on`]: horae(),
  [`Horae, ${INSTANCES} schedulers (batchSize 100), run history off`]: horae(false),
  [`BullMQ, ${INSTANCES} Workers (default concurrency 1)`]: bullmq(),
  ...Object.fromEntries(BULLMQ_CONCURRENCIES.map((concurrency) => [`BullMQ, ${INSTANCES} Workers (concurrency ${concurrency})`, bullmq(concurrency)])),
};
/** HORAE_ROW (history on, the default) is the one the goals against BullMQ use. */
const [HORAE_ROW, HORAE_NO_HISTORY_ROW, BULLMQ_ROW] = Object.keys(contenders) as [string, string, string];
const BULLMQ_ROWS = Object.keys(contenders).filter((name) => name.startsWith('BullMQ'));

/** The order of the rows in round `round`: the two Horae rows swap places every other round. */
function roundOrder(round: number): string[] {
  const names = Object.keys(contenders);
  return round % 2 === 0 ? names : [HORAE_NO_HISTORY_ROW, HORAE_ROW, ...names.slice(2)];
}

interface RoundResult extends DrainRound {
  /** From "go" to the last fire anywhere, ms. */
  ms: number;
  /** CPU time the Redis server used from "go" until the parent saw every task run, ms. */
  redisCpuMs: number;
  /** The same from "go" until every drainer shut down (flushing the run history it still held), ms. */
  redisCpuToExitMs: number;
  /** Script calls (EVALSHA, INFO commandstats) in that time, per task: both run every step as a Lua script. */
  evalshaPerTask: number;
  /** Horae only: the run history the round left in Redis. */
  history?: HistoryFound;
}

/**
 * The run history found in Redis after a Horae round: tasks with recorded runs (those with a set
 * `{<prefix>}:history:<task id>` and those with a lone run); runs (ZCARD of the sets summed, plus
 * the lone runs: fields of `{<prefix>}:lone-runs:0` and `:1` other than markers).
 */
interface HistoryFound extends RunsFound {
  /** Of the tasks, those with a set (more than one run). */
  sets: number;
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
    // runGroup resolves when every drainer has stopped (a scheduler's shutdown writes the runs it still holds).
    const cpuAtExit = await serverCpuSeconds(admin);
    const last = Math.max(...results.filter((r) => r.fired.length > 0).map((r) => r.last));
    const history = contenders[name]!.history === undefined ? undefined : await historyFound(admin, tag);
    return {
      loadMs,
      ms: last - goAt,
      redisCpuMs: (cpuAfter - cpuBefore) * 1000,
      redisCpuToExitMs: (cpuAtExit - cpuBefore) * 1000,
      evalshaPerTask: ((callsAfter.get('evalsha') ?? 0) - (callsBefore.get('evalsha') ?? 0)) / TASKS,
      perInstance: results.map((r) => r.fired.length),
      ...tally(results, TASKS),
      ...(history === undefined ? {} : { history }),
    };
  } finally {
    // Every key of the store, its history keys included, starts with horaeKeys(tag).
    await deleteTagKeys(admin, tag);
    admin.disconnect();
  }
}

/**
 * The run history a Horae round left: the sets `{<prefix>}:history:*` (SCAN, bounded) and the runs
 * in them, the lone runs in `{<prefix>}:lone-runs:0` and `:1` (a task's run while it is its only
 * one), and one task's runs read back through a scheduler on the same store (started paused).
 */
async function historyFound(admin: Redis, tag: string): Promise<HistoryFound> {
  const keyPrefix = `${horaeKeys(tag)}history:`;
  const keys: string[] = [];
  let cursor = '0';
  for (let calls = 0; calls < 10_000; calls++) {
    const [next, found] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1_000);
    keys.push(...found);
    cursor = next;
    if (cursor === '0') break;
  }
  let runs = 0;
  const pipeline = admin.pipeline();
  for (const key of keys) pipeline.zcard(key);
  for (const [error, count] of (await pipeline.exec()) ?? []) if (error === null) runs += Number(count);
  const tasks = new Set(keys.map((key) => key.slice(keyPrefix.length)));
  for (const hash of [`${horaeKeys(tag)}lone-runs:0`, `${horaeKeys(tag)}lone-runs:1`]) {
    const fields = await admin.hgetall(hash);
    for (const [taskId, value] of Object.entries(fields)) {
      // '' marks a task whose runs are in its set
      if (value === '') continue;
      runs += 1;
      tasks.add(taskId);
    }
  }
  const [someTask] = tasks;
  return { tasks: tasks.size, sets: keys.length, runs, readBack: await readBack(() => horaeScheduler({ prefix: horaePrefix(tag), instanceId: 'bench-history-check' }), someTask) };
}

async function parent(): Promise<void> {
  await redisHeader(`Redis benchmark 3: dispatch throughput, ${INSTANCES} Horae schedulers vs ${INSTANCES} BullMQ Workers`);
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due (Horae: date triggers at load time, misfireGraceTime null; BullMQ: waiting jobs),`);
  console.log(`drained by ${INSTANCES} instances, each its own process, told to go at the same moment. Time = go → last fire in any process.`);
  console.log(`Handlers / processors do nothing but record the task index. ${ROUNDS} rounds per row, interleaved; median shown.`);
  console.log('Redis CPU ms = CPU time of the Redis server (INFO cpu) from go until the parent saw every task run; EVALSHA/task =');
  console.log('script calls in that time (INFO commandstats) per task: both contenders do each step as one Lua script. "to exit" = Redis CPU');
  console.log('from go until every drainer shut down (a Horae scheduler writes the runs it still holds when it shuts down).');
  console.log('Horae runs with its run history on (the default: each run recorded in the store, in batches every 200 ms, off the dispatch');
  console.log('path) and off (runHistory: false); the two rows swap places every other round. History runs = runs found in Redis after');
  console.log('each round (ZCARD of the sets {<prefix>}:history:*, plus the lone runs in {<prefix>}:lone-runs:0 and :1).\n');

  const names = Object.keys(contenders);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  for (let r = 0; r < ROUNDS; r++) for (const name of roundOrder(r)) results.get(name)!.push(await runRound(name, r, background));

  const rate = (name: string): number => TASKS / (median(results.get(name)!.map((r) => r.ms)) / 1000);
  printTable(
    ['contender', ...DRAIN_HEAD_HEADERS, 'vs BullMQ default', 'Redis CPU ms', 'to exit', 'EVALSHA/task', ...drainTailHeaders()],
    names.map((name) => {
      const rounds = results.get(name)!;
      return [
        name,
        ...drainHeadCells(rounds, rate(name)),
        ratio(rate(name), rate(BULLMQ_ROW)),
        fmt(median(rounds.map((r) => r.redisCpuMs)), 0),
        fmt(median(rounds.map((r) => r.redisCpuToExitMs)), 0),
        fmt(median(rounds.map((r) => r.evalshaPerTask)), 2),
        ...drainTailCells(rounds),
      ];
    }),
  );

  console.log(`\n${background.summary()}`);
  console.log('\nRun history found in Redis after each round (tasks with runs, of them with a set, runs; one task read back with scheduler.getRuns):');
  for (const name of [HORAE_ROW, HORAE_NO_HISTORY_ROW]) {
    const found = results.get(name)!.map((r) => r.history!);
    const text = (h: HistoryFound) => `${h.tasks.toLocaleString('en-US')} tasks (${h.sets.toLocaleString('en-US')} with a set), ${h.runs.toLocaleString('en-US')} runs, read back ${h.readBack}`;
    console.log(`- ${name}: ${found.map(text).join('; ')}`);
  }

  const horaeRate = rate(HORAE_ROW);
  const bullRate = rate(BULLMQ_ROW);
  const exact = results.get(HORAE_ROW)!.every((r) => r.duplicates === 0 && r.missing === 0);
  printGoal(
    `Horae (${INSTANCES} processes) at least 2x the tasks/s of BullMQ (${INSTANCES} Worker processes, default concurrency)`,
    horaeRate >= 2 * bullRate && exact,
    `Horae (run history on) ${fmt(horaeRate, 0)} tasks/s vs BullMQ ${fmt(bullRate, 0)} tasks/s = ${ratio(horaeRate, bullRate)}; Horae ran every task exactly once: ${exact ? 'yes' : 'NO'}`,
  );
  const best = BULLMQ_ROWS.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  printGoal(
    `Horae (${INSTANCES} processes) at least 2x the tasks/s of BullMQ at the concurrency best for it (of 1, ${BULLMQ_CONCURRENCIES.join(', ')})`,
    horaeRate >= 2 * rate(best) && exact,
    `Horae (run history on) ${fmt(horaeRate, 0)} tasks/s vs ${best} ${fmt(rate(best), 0)} tasks/s = ${ratio(horaeRate, rate(best))}; history off: ${ratio(rate(HORAE_NO_HISTORY_ROW), rate(best))}`,
  );

  const offRate = rate(HORAE_NO_HISTORY_ROW);
  const recorded = results.get(HORAE_ROW)!.every((r) => r.history!.runs === TASKS && r.history!.tasks === TASKS) && results.get(HORAE_NO_HISTORY_ROW)!.every((r) => r.history!.runs === 0);
  printGoal(
    `run history costs at most ${HISTORY_MAX_COST * 100}% of dispatch throughput (Horae, ${INSTANCES} processes, history on ÷ history off tasks/s at least ${1 - HISTORY_MAX_COST})`,
    horaeRate >= (1 - HISTORY_MAX_COST) * offRate && recorded,
    `history on ${fmt(horaeRate, 0)} tasks/s vs off ${fmt(offRate, 0)} tasks/s = ${ratio(horaeRate, offRate)}; one run recorded per task in every history-on round and none with it off: ${recorded ? 'yes' : 'NO'}`,
  );
}

await runDispatchProgram({ parent, load: (name, tag) => contenders[name]!.load(tag), drainer: (name, tag, instance, onFire) => contenders[name]!.drainer(tag, instance, onFire) });
