/**
 * Redis benchmark 2: scheduling throughput. The time to put 10,000 future one-shot tasks into
 * Redis: Horae `addTasks` (and `addTask`) on a started scheduler (RedisStore) vs BullMQ `addBulk` of delayed jobs.
 *
 * Each case runs alone in a fresh child process (this file, re-run with arguments), after a
 * discarded warm-up of 1,000 tasks under a key prefix of its own; rounds interleaved.
 */
import { fmt, median, printGoal, printTable, ratio, runChild, seededRandom, sendToParent } from '../lib/report.js';
import { BackgroundLog, HANDLER, adminClient, chunks, deleteTagKeys, horaePrefix, redisHeader } from './lib.js';
import { CHUNK, bullmqQueue, horaeScheduler, type Payload } from './workload.js';

const TASKS = 10_000;
const WARM_UP = 1_000;
const ROUNDS = 3;
/** Tasks are due at random times 1 to 2 hours ahead: none fires while it is measured. */
const AHEAD_MS = 3_600_000;

/** Adds `count` tasks due at `times` under `tag`; resolves to (count found stored afterwards, a cleanup). */
type Case = (times: number[], tag: string) => Promise<{ stored: number; close: () => Promise<void>; ms: number }>;

const horaeCase =
  (mode: 'sequential' | 'chunked' | 'bulk-chunked'): Case =>
  async (times, tag) => {
    const scheduler = horaeScheduler({ prefix: horaePrefix(tag), instanceId: `add-${tag}` });
    await scheduler.start();
    const add = (i: number) => scheduler.addTask({ handler: HANDLER, args: { i } satisfies Payload, trigger: { type: 'date', runAt: times[i]! } });
    const indices = times.map((_, i) => i);
    const started = performance.now();
    if (mode === 'sequential') {
      for (const i of indices) await add(i);
    } else if (mode === 'chunked') {
      for (const chunk of chunks(indices, CHUNK)) await Promise.all(chunk.map(add));
    } else {
      for (const chunk of chunks(indices, CHUNK)) {
        await scheduler.addTasks(chunk.map((i) => ({ handler: HANDLER, args: { i } satisfies Payload, trigger: { type: 'date', runAt: times[i]! } })));
      }
    }
    const ms = performance.now() - started;
    const stored = (await scheduler.getTasks()).length;
    return { ms, stored, close: () => scheduler.shutdown() };
  };

const bullmqCase =
  (mode: 'sequential' | 'bulk-chunked' | 'bulk-one-call'): Case =>
  async (times, tag) => {
    const queue = bullmqQueue(tag);
    await queue.waitUntilReady();
    // The job's delay, from the same `now` as its timestamp: due exactly at times[i].
    const job = (i: number, now: number) => ({ name: HANDLER, data: { i }, opts: { delay: times[i]! - now, timestamp: now } });
    const indices = times.map((_, i) => i);
    const started = performance.now();
    if (mode === 'sequential') {
      for (const i of indices) {
        const { name, data, opts } = job(i, Date.now());
        await queue.add(name, data, opts);
      }
    } else {
      for (const chunk of chunks(indices, mode === 'bulk-chunked' ? CHUNK : indices.length)) {
        const now = Date.now();
        await queue.addBulk(chunk.map((i) => job(i, now)));
      }
    }
    const ms = performance.now() - started;
    const stored = await queue.getDelayedCount();
    return { ms, stored, close: () => queue.close() };
  };

const cases: Record<string, Case> = {
  'Horae addTask, one after another (await each)': horaeCase('sequential'),
  [`Horae addTask, Promise.all over chunks of ${CHUNK.toLocaleString('en-US')}`]: horaeCase('chunked'),
  [`Horae addTasks, chunks of ${CHUNK.toLocaleString('en-US')}`]: horaeCase('bulk-chunked'),
  'BullMQ add, one after another (await each)': bullmqCase('sequential'),
  [`BullMQ addBulk, chunks of ${CHUNK.toLocaleString('en-US')}`]: bullmqCase('bulk-chunked'),
  [`BullMQ addBulk, all ${TASKS.toLocaleString('en-US')} in one call`]: bullmqCase('bulk-one-call'),
};

const HORAE_SEQUENTIAL_CASE = Object.keys(cases)[0]!;
const HORAE_GOAL_CASE = Object.keys(cases)[2]!;
const BULLMQ_GOAL_CASE = Object.keys(cases)[4]!;

interface RoundResult {
  ms: number;
  stored: number;
}

function dueTimes(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const now = Date.now();
  return Array.from({ length: count }, () => now + AHEAD_MS + Math.floor(random() * AHEAD_MS));
}

// ------------------------------------------------------------------ child: one case

async function child(name: string, roundIndex: string): Promise<void> {
  const run = cases[name]!;
  const tag = `add-${roundIndex}-${process.pid}`;
  const admin = adminClient();
  try {
    // Warm-up (discarded) under its own prefix, then its keys deleted.
    const warm = await run(dueTimes(WARM_UP, 7), `${tag}-warm`);
    await warm.close();
    await deleteTagKeys(admin, `${tag}-warm`);
    const measured = await run(dueTimes(TASKS, 42), tag);
    await measured.close();
    await deleteTagKeys(admin, tag);
    await sendToParent({ ms: measured.ms, stored: measured.stored } satisfies RoundResult);
  } finally {
    admin.disconnect();
  }
  process.exit(0);
}

// ------------------------------------------------------------------ parent: all cases

async function parent(): Promise<void> {
  await redisHeader('Redis benchmark 2: scheduling throughput, Horae addTasks vs BullMQ addBulk');
  console.log(`${TASKS.toLocaleString('en-US')} one-shot tasks due at random times 1-2 h ahead (nothing fires while measured), payload { i }.`);
  console.log('Horae: a started Scheduler on a RedisStore, addTask / addTasks with date triggers (random ids). BullMQ: delayed jobs (ids from its counter).');
  console.log(`Each case alone in a fresh child process after a discarded ${WARM_UP.toLocaleString('en-US')}-task warm-up; ${ROUNDS} rounds, interleaved; median shown.\n`);

  const names = Object.keys(cases);
  const results = new Map(names.map((name) => [name, [] as RoundResult[]]));
  const background = new BackgroundLog();
  const admin = adminClient();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of names) {
        await background.quiet(admin);
        results.get(name)!.push(await runChild<RoundResult>(process.argv[1]!, [name, String(r)], 180_000));
      }
    }
  } finally {
    admin.disconnect();
  }

  const rate = (name: string): number => TASKS / (median(results.get(name)!.map((r) => r.ms)) / 1000);
  const base = rate(BULLMQ_GOAL_CASE);
  printTable(
    ['case', 'median ms', 'ms per round', 'tasks/s', 'µs/task', `tasks/s vs BullMQ addBulk (chunks)`, 'stored'],
    names.map((name) => {
      const rounds = results.get(name)!;
      const ms = median(rounds.map((r) => r.ms));
      return [
        name,
        fmt(ms, 0),
        rounds.map((r) => fmt(r.ms, 0)).join(' / '),
        fmt(rate(name), 0),
        fmt((ms * 1000) / TASKS, 1),
        ratio(rate(name), base),
        rounds.every((r) => r.stored === TASKS) ? TASKS.toLocaleString('en-US') : rounds.map((r) => r.stored).join(' / '),
      ];
    }),
  );

  console.log(`\n${background.summary()}`);

  const horae = rate(HORAE_GOAL_CASE);
  const sequential = rate(HORAE_SEQUENTIAL_CASE);
  printGoal(
    `Horae addTasks (chunks of ${CHUNK.toLocaleString('en-US')}) at least 3x the tasks/s of BullMQ addBulk (chunks of ${CHUNK.toLocaleString('en-US')})`,
    horae >= 3 * base,
    `Horae ${fmt(horae, 0)} tasks/s vs BullMQ addBulk ${fmt(base, 0)} tasks/s = ${ratio(horae, base)}; Horae one after another: ${fmt(sequential, 0)} tasks/s = ${ratio(sequential, base)}`,
  );
}

const [name, roundIndex] = process.argv.slice(2);
if (name !== undefined) await child(name, roundIndex ?? '0');
else await parent();
