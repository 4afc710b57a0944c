/**
 * Redis benchmark 1: fire lateness. 1,000 one-shot tasks, each due at a random time within 10 s;
 * for every fire we record (handler time − intended time). Contenders: Horae (a started
 * `Scheduler`, one `RedisStore`, one `date` trigger per task) and BullMQ (a `Queue` and a `Worker`
 * with default settings, one delayed job per task), on the same Redis; a bare guarded setTimeout
 * (no Redis) as the floor for reference.
 *
 * Each contender runs alone in its own child process (this file, re-run with arguments), one
 * after another, rounds interleaved, after a discarded warm-up round in the same child.
 *
 * Why delayed jobs for BullMQ: a delayed job is BullMQ's documented way to run something once at
 * a given time (`delay` = target − now). Job schedulers (`upsertJobScheduler`) are its repeating
 * form; a one-off would need `limit: 1` on an `every`/`pattern` schedule, whose first run time
 * BullMQ aligns to the repeat rule rather than to an arbitrary millisecond.
 */
import type { Queue, Worker } from 'bullmq';
import { fmt, median, printGoal, printTable, quantile, ratio, runChild, seededRandom, sendToParent } from '../lib/report.js';
import { fireRound, type OnFire, type RoundResult } from '../lib/fire-round.js';
import { BackgroundLog, HANDLER, adminClient, deleteTagKeys, horaePrefix, redisHeader } from './lib.js';
import { bullmqQueue, bullmqWorker, horaeScheduler, type Payload } from './workload.js';

const TASKS = 1_000;
const SPREAD_MS = 10_000;
/** Time between scheduling and the first possible fire, so setup never overlaps the fires. */
const LEAD_MS = 2_000;
/** How long after the last intended time a child keeps waiting for stragglers. */
const GRACE_MS = 3_000;
const ROUNDS = 3;

/** Schedules one fire per intended time under `tag` (a key prefix / queue name); resolves with a cancel function. */
type Contender = (intended: number[], onFire: OnFire, tag: string) => Promise<() => Promise<void>>;

const contenders: Record<string, Contender> = {
  // The floor (no Redis): one setTimeout per task, re-armed if Node fires it early.
  'setTimeout floor (no Redis)': (intended, onFire) => {
    const handles: NodeJS.Timeout[] = [];
    const arm = (i: number): void => {
      handles[i] = setTimeout(() => (Date.now() < intended[i]! ? arm(i) : onFire(i)), Math.max(0, intended[i]! - Date.now()));
    };
    for (let i = 0; i < intended.length; i++) arm(i);
    return Promise.resolve(() => Promise.resolve(handles.forEach((handle) => clearTimeout(handle))));
  },

  // Horae as its README shows: a started scheduler, a RedisStore, tasks added one by one, each
  // with a date trigger at its intended epoch ms and the default misfire grace time (1 s).
  'Horae (RedisStore)': async (intended, onFire, tag) => {
    const scheduler = horaeScheduler({ prefix: horaePrefix(tag), instanceId: `lateness-${tag}`, onFire: ({ i }) => onFire(i) });
    await scheduler.start();
    for (let i = 0; i < intended.length; i++) {
      await scheduler.addTask({ id: `t${i}`, handler: HANDLER, args: { i } satisfies Payload, trigger: { type: 'date', runAt: intended[i]! } });
    }
    return () => scheduler.shutdown({ wait: false });
  },

  // BullMQ as its docs show: a delayed job per task, delay = intended − now, added one by one,
  // one Worker with default options (concurrency 1). The job's `timestamp` is the same `now`
  // the delay was computed from, so the due time is exactly the intended one (BullMQ adds delay
  // to the timestamp it stamps the job with; otherwise that is a different Date.now()).
  'BullMQ (delayed jobs)': async (intended, onFire, tag) => {
    const queue: Queue<Payload> = bullmqQueue(tag);
    const worker: Worker<Payload> = bullmqWorker({ queue: tag, onFire: ({ i }) => onFire(i) });
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    worker.run().catch((error: unknown) => console.error('BullMQ worker failed:', error));
    for (let i = 0; i < intended.length; i++) {
      const now = Date.now();
      await queue.add(HANDLER, { i }, { delay: Math.max(0, intended[i]! - now), timestamp: now });
    }
    return async () => {
      await worker.close(true);
      await queue.close();
    };
  },
};

/** A: times at any millisecond; B: the same rounded up to whole seconds (~100 tasks due at once, 10 times). */
type Scenario = 'ms' | 's';

/** Intended times: random whole-ms offsets (the same for every contender) from a whole-second start. */
function intendedTimes(count: number, spread: number, lead: number, seed: number, scenario: Scenario): number[] {
  const random = seededRandom(seed);
  const start = Math.ceil((Date.now() + lead) / 1000) * 1000;
  return Array.from({ length: count }, () => {
    const offset = Math.floor(random() * spread);
    return scenario === 's' ? start + Math.ceil(offset / 1000) * 1000 : start + offset;
  });
}

function round(contender: Contender, intended: number[], tag: string): Promise<RoundResult> {
  return fireRound(intended, GRACE_MS, (onFire) => contender(intended, onFire, tag));
}

// ------------------------------------------------------------------ child: one contender

async function child(name: string, roundIndex: string, scenario: Scenario): Promise<void> {
  const contender = contenders[name]!;
  // A tag of its own keeps this child's keys apart (see lib.ts).
  const tag = `lateness-${roundIndex}-${process.pid}`;
  const admin = adminClient();
  try {
    // Warm-up round (discarded), under a tag of its own: compiles each contender's hot path.
    await round(contender, intendedTimes(100, 1_000, 500, 7, scenario), `${tag}-warm`);
    await deleteTagKeys(admin, `${tag}-warm`);
    const result = await round(contender, intendedTimes(TASKS, SPREAD_MS, LEAD_MS, 42 + Number(roundIndex), scenario), tag);
    await deleteTagKeys(admin, tag);
    await sendToParent(result);
  } finally {
    admin.disconnect();
  }
  process.exit(0);
}

// ------------------------------------------------------------------ parent: all contenders

interface Pooled {
  name: string;
  rounds: RoundResult[];
}

const sortedLateness = (rounds: RoundResult[]): number[] => rounds.flatMap((r) => r.lateness).sort((a, b) => a - b);
const p99Of = (rounds: RoundResult[]): number => quantile(sortedLateness(rounds), 0.99);

async function runScenario(scenario: Scenario): Promise<Pooled[]> {
  const pooled: Pooled[] = Object.keys(contenders).map((name) => ({ name, rounds: [] }));
  const background = new BackgroundLog();
  const admin = adminClient();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const row of pooled) {
        await background.quiet(admin);
        row.rounds.push(await runChild<RoundResult>(process.argv[1]!, [row.name, String(r), scenario], 90_000));
      }
    }
  } finally {
    admin.disconnect();
  }
  console.log(`${background.summary()}\n`);
  return pooled;
}

function printScenario(pooled: Pooled[]): void {
  const bullP99 = p99Of(pooled.find((row) => row.name.startsWith('BullMQ'))!.rounds);
  const floorP99 = p99Of(pooled.find((row) => row.name.startsWith('setTimeout floor'))!.rounds);
  printTable(
    ['contender', 'p50 ms', 'p99 ms', 'max ms', 'min ms', 'early', 'missed', 'p99 per round', 'setup ms', 'p99 vs floor', 'p99 vs BullMQ'],
    pooled.map(({ name, rounds }) => {
      const sorted = sortedLateness(rounds);
      const duplicates = rounds.reduce((sum, r) => sum + r.duplicates, 0);
      return [
        name,
        fmt(quantile(sorted, 0.5)),
        fmt(quantile(sorted, 0.99)),
        fmt(sorted.at(-1)),
        fmt(sorted[0]),
        String(rounds.reduce((sum, r) => sum + r.early, 0)),
        String(TASKS * rounds.length - sorted.length) + (duplicates > 0 ? ` (+${duplicates} dup)` : ''),
        rounds.map((r) => fmt(p99Of([r]))).join(' / '),
        fmt(median(rounds.map((r) => r.setupMs)), 0),
        ratio(quantile(sorted, 0.99), floorP99),
        ratio(quantile(sorted, 0.99), bullP99),
      ];
    }),
  );
  for (const { name, rounds } of pooled) {
    const overran = rounds.reduce((sum, r) => sum + r.overran, 0);
    if (overran > 0) console.log(`Warning: ${name} took so long to schedule that ${overran} tasks were already due; their lateness includes setup.`);
  }
  console.log('');
}

async function parent(): Promise<void> {
  await redisHeader('Redis benchmark 1: fire lateness, Horae (RedisStore) vs BullMQ (delayed jobs)');
  console.log(`${TASKS.toLocaleString('en-US')} one-shot tasks, each due at a random millisecond within ${SPREAD_MS / 1000} s (seeded; the same times for every contender in a round).`);
  console.log('Lateness = handler time − intended time (sub-ms epoch clock); early = Date.now() in the handler < intended time.');
  console.log(`Each contender alone in a fresh child process, after a discarded warm-up round; ${ROUNDS} rounds each, interleaved,`);
  console.log(`statistics over all ${(ROUNDS * TASKS).toLocaleString('en-US')} fires. Setup = time to schedule the ${TASKS.toLocaleString('en-US')} tasks (median).\n`);

  const a = await runScenario('ms');
  console.log('### A. Millisecond times\n');
  printScenario(a);
  const b = await runScenario('s');
  console.log('### B. The same times rounded up to whole seconds (~100 tasks due at once, 10 times)\n');
  printScenario(b);

  const pooled = a;
  const bullP99 = p99Of(pooled.find((row) => row.name.startsWith('BullMQ'))!.rounds);
  const horae = pooled.find((row) => row.name.startsWith('Horae'))!.rounds;
  const horaeP99 = p99Of(horae);
  const missed = TASKS * ROUNDS - sortedLateness(horae).length;
  const early = horae.reduce((sum, r) => sum + r.early, 0);
  printGoal(
    "Horae p99 lateness at least 10x lower than BullMQ's (delayed jobs, default Worker; scenario A)",
    horaeP99 * 10 <= bullP99 && missed === 0 && early === 0,
    `Horae p99 ${fmt(horaeP99)} ms vs BullMQ ${fmt(bullP99)} ms = ${fmt(bullP99 / horaeP99, 1)}x lower; Horae early ${early}, missed ${missed}`,
  );
}

const [name, roundIndex, scenario] = process.argv.slice(2);
if (name !== undefined) await child(name, roundIndex ?? '0', scenario === 's' ? 's' : 'ms');
else await parent();
