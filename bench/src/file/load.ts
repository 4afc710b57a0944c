/**
 * File store benchmark: three processes on one host share one store, 100 tasks each fire every
 * second (100 fires/s in all), for {@link RUN_MS}. For every fire we record (handler time − the
 * run's scheduled time) and, per process, the CPU it used; the same load then runs on a
 * RedisStore, three processes on the same Redis, for comparison.
 *
 * Two spreads of the same 100 interval tasks:
 * - A, steady: task i first fires at a whole second plus i × 10 ms, so a fire is due every 10 ms;
 * - B, bursts: every task first fires at the same whole second, so 100 are due at once, each second.
 *
 * Per round: three children start schedulers on one new store, paused; the parent adds the tasks
 * (through a scheduler of its own, started paused, so it runs nothing) and tells the children to
 * go. Fires in the first {@link WARMUP_MS} are left out of the statistics. Every fire is sent back
 * with its task and scheduled time, to check that no run happened twice and to count the ones
 * that never happened.
 */
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FileStore, Scheduler, type TaskStore } from '@horae/core';
import { RedisStore } from '@horae/redis';
import { fmt, printGoal, printTable, quantile, ratio } from '../lib/report.js';
import { BackgroundLog, HANDLER, adminClient, deleteTagKeys, epochNow, horaePrefix, joinGroup, redisHeader, runGroup, serverCpuSeconds } from '../redis/lib.js';

const TASKS = 100;
const INSTANCES = 3;
const RUN_MS = 20_000;
const WARMUP_MS = 3_000;
/** Time between "go" and the first fire: every process is running its loop by then. */
const LEAD_MS = 1_500;
const ROUNDS = 2;
/** The goal: p99 lateness at or below this, in both spreads, for the file store. */
const GOAL_P99_MS = 50;

type Spread = 'steady' | 'burst';
type Backend = 'file' | 'redis';

/**
 * Where the FileStore directories go: `BENCH_FILE_DIRECTORY`, or `bench/.data/`. Not the system's
 * temporary directory by default: on some disks creating a file there costs far more than
 * elsewhere on the same disk (1 ms against 0.02 ms was measured on one machine), and an
 * application keeps its tasks with its data. The header shows what creating a file costs there.
 */
const DATA_DIRECTORY = resolve(process.env.BENCH_FILE_DIRECTORY ?? join(import.meta.dirname, '../../.data'));

const backends: Record<Backend, string> = {
  file: `FileStore, ${INSTANCES} processes`,
  redis: `RedisStore, ${INSTANCES} processes`,
};

/** Where a round's store lives: a directory of its own, or a Redis key prefix of its own. */
interface Place {
  backend: Backend;
  at: string;
}

function storeAt({ backend, at }: Place): TaskStore {
  return backend === 'file' ? new FileStore({ directory: at }) : new RedisStore({ url: process.env.REDIS_URL!, prefix: at });
}

function scheduler(place: Place, instanceId: string, onFire?: (taskIndex: number, scheduledAt: Date) => void): Scheduler {
  const created = new Scheduler({ stores: { default: storeAt(place) }, encryptionKey: null, instanceId });
  created.define(HANDLER, (index: number, context) => onFire?.(index, context.scheduledAt));
  return created;
}

/** Adds the round's tasks; their first fires are `firstAt` plus the spread's offsets. */
async function load(place: Place, spread: Spread, firstAt: number): Promise<void> {
  const loader = scheduler(place, 'bench-loader');
  await loader.start({ paused: true });
  await loader.addTasks(
    Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      handler: HANDLER,
      args: i,
      trigger: { type: 'interval' as const, seconds: 1, startAt: firstAt + (spread === 'steady' ? i * (1_000 / TASKS) : 0) },
    })),
  );
  await loader.shutdown();
}

// ------------------------------------------------------------------ child: one process

/** What one process reports: its fires (task index, scheduled ms, lateness ms) and CPU. */
interface ProcessResult {
  fires: [number, number, number][];
  cpuMs: number;
  wallMs: number;
}

async function child(backend: Backend, at: string, instance: string): Promise<void> {
  const fires: [number, number, number][] = [];
  const running = scheduler({ backend, at }, `load-${instance}`, (index, scheduledAt) => {
    fires.push([index, scheduledAt.getTime(), epochNow() - scheduledAt.getTime()]);
  });
  let cpu = process.cpuUsage();
  let started = 0;
  await joinGroup<ProcessResult>({
    setup: async () => {
      await running.start({ paused: true });
      await running.getTask('t0');
    },
    go: () => {
      cpu = process.cpuUsage();
      started = performance.now();
      running.resume();
    },
    count: () => fires.length,
    finish: async () => {
      const used = process.cpuUsage(cpu);
      const wallMs = performance.now() - started;
      await running.shutdown({ wait: false });
      return { fires, cpuMs: (used.user + used.system) / 1_000, wallMs };
    },
  });
}

// ------------------------------------------------------------------ parent

interface RoundResult {
  lateness: number[];
  fires: number;
  duplicates: number;
  missed: number;
  /** CPU of the three processes per fire, ms. */
  cpuPerFireMs: number;
  /** CPU of the three processes as a share of one core. */
  cpuShare: number;
  /** Redis only: the server's CPU per fire, ms. */
  serverCpuPerFireMs?: number;
}

async function round(backend: Backend, spread: Spread, index: number): Promise<RoundResult> {
  const tag = `file-load-${spread}-${index}-${process.pid}`;
  const directory = backend === 'file' ? await mkdtemp(join(DATA_DIRECTORY, 'horae-bench-file-')) : undefined;
  const place: Place = { backend, at: directory ?? horaePrefix(tag) };
  const admin = backend === 'redis' ? adminClient() : undefined;
  try {
    let serverCpu = 0;
    let goAt = 0;
    const firstAt = (): number => Math.ceil((goAt + LEAD_MS) / 1000) * 1000;
    const run = await runGroup<ProcessResult>(
      process.argv[1]!,
      Array.from({ length: INSTANCES }, (_, i) => [backend, place.at, String(i)]),
      Number.POSITIVE_INFINITY,
      { readyMs: 60_000, runMs: RUN_MS, stopMs: 30_000 },
      {
        beforeGo: async () => {
          // Added now, with the first fire just after "go": no process fires before the others run.
          goAt = Date.now();
          await load(place, spread, firstAt());
          if (admin !== undefined) serverCpu = await serverCpuSeconds(admin);
        },
        beforeStop: async () => {
          if (admin !== undefined) serverCpu = (await serverCpuSeconds(admin)) - serverCpu;
        },
      },
    );
    const measuredFrom = firstAt() + WARMUP_MS;
    const measuredTo = run.goAt + RUN_MS - 2_000;
    const seen = new Set<string>();
    let duplicates = 0;
    const lateness: number[] = [];
    for (const { fires } of run.results) {
      for (const [task, scheduled, late] of fires) {
        const key = `${task}@${scheduled}`;
        if (seen.has(key)) duplicates++;
        seen.add(key);
        if (scheduled >= measuredFrom && scheduled < measuredTo) lateness.push(late);
      }
    }
    let expected = 0;
    for (let i = 0; i < TASKS; i++) {
      const offset = spread === 'steady' ? i * (1_000 / TASKS) : 0;
      for (let t = firstAt() + offset; t < measuredTo; t += 1_000) if (t >= measuredFrom) expected++;
    }
    const fires = run.results.reduce((sum, r) => sum + r.fires.length, 0);
    const cpuMs = run.results.reduce((sum, r) => sum + r.cpuMs, 0);
    const wallMs = Math.max(...run.results.map((r) => r.wallMs));
    return {
      lateness,
      fires,
      duplicates,
      missed: expected - lateness.length,
      cpuPerFireMs: cpuMs / fires,
      cpuShare: cpuMs / wallMs,
      ...(backend === 'redis' ? { serverCpuPerFireMs: (serverCpu * 1_000) / fires } : {}),
    };
  } finally {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    if (admin !== undefined) {
      await deleteTagKeys(admin, tag);
      admin.disconnect();
    }
  }
}

/** The mean time to create (O_EXCL), write, flush and close a small file in `directory`, ms. */
async function createCost(directory: string): Promise<number> {
  const probe = await mkdtemp(join(directory, 'probe-'));
  try {
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      const handle = await open(join(probe, `f${i}`), 'wx', 0o600);
      await handle.writeFile('{"probe":true}');
      await handle.sync();
      await handle.close();
    }
    return (performance.now() - started) / 200;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

async function parent(): Promise<void> {
  await mkdir(DATA_DIRECTORY, { recursive: true });
  await redisHeader(`File store benchmark: ${INSTANCES} processes sharing one FileStore vs one RedisStore, ${TASKS} fires/s`);
  console.log(`${TASKS} interval tasks (every 1 s) in one store, ${INSTANCES} scheduler processes on it, ${RUN_MS / 1000} s per round, ${ROUNDS} rounds per row;`);
  console.log(`fires scheduled in the first ${WARMUP_MS / 1000} s and the last 2 s are left out. Lateness = handler time − scheduled time (sub-ms epoch clock).`);
  console.log(`CPU = user + system time of the ${INSTANCES} processes (process.cpuUsage) from "go" to "stop"; for Redis the server's CPU is shown on its own.`);
  console.log(`FileStore directories under ${DATA_DIRECTORY} (BENCH_FILE_DIRECTORY); default options (fs.watch, a 1 s poll as backstop).`);
  console.log(`Creating, writing, flushing and closing a small file there, one after another: ${fmt(await createCost(DATA_DIRECTORY), 3)} ms each.\n`);

  const background = new BackgroundLog();
  const admin = adminClient();
  const results = new Map<string, RoundResult[]>();
  try {
    for (const spread of ['steady', 'burst'] as const) {
      for (let r = 0; r < ROUNDS; r++) {
        for (const backend of Object.keys(backends) as Backend[]) {
          await background.quiet(admin);
          const key = `${spread}/${backend}`;
          results.set(key, [...(results.get(key) ?? []), await round(backend, spread, r)]);
        }
      }
    }
  } finally {
    admin.disconnect();
  }
  console.log(`${background.summary()}\n`);

  const p99 = (rounds: RoundResult[]): number => quantile(rounds.flatMap((r) => r.lateness).sort((a, b) => a - b), 0.99);
  const goals: string[] = [];
  let met = true;
  for (const spread of ['steady', 'burst'] as const) {
    console.log(spread === 'steady' ? `### A. Steady: a fire due every ${1_000 / TASKS} ms\n` : `### B. Bursts: all ${TASKS} due at the same whole second\n`);
    const redisP99 = p99(results.get(`${spread}/redis`)!);
    printTable(
      ['store', 'p50 ms', 'p99 ms', 'max ms', 'p99 per round', 'missed', 'doubled', 'CPU per fire ms', 'CPU (cores)', 'Redis server CPU per fire ms', 'p99 vs Redis'],
      (Object.keys(backends) as Backend[]).map((backend) => {
        const rounds = results.get(`${spread}/${backend}`)!;
        const sorted = rounds.flatMap((r) => r.lateness).sort((a, b) => a - b);
        const mean = (pick: (r: RoundResult) => number | undefined): number => rounds.reduce((sum, r) => sum + (pick(r) ?? NaN), 0) / rounds.length;
        return [
          backends[backend],
          fmt(quantile(sorted, 0.5)),
          fmt(quantile(sorted, 0.99)),
          fmt(sorted.at(-1)),
          rounds.map((r) => fmt(p99([r]))).join(' / '),
          String(rounds.reduce((sum, r) => sum + r.missed, 0)),
          String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
          fmt(mean((r) => r.cpuPerFireMs), 3),
          fmt(mean((r) => r.cpuShare)),
          backend === 'redis' ? fmt(mean((r) => r.serverCpuPerFireMs), 3) : '–',
          ratio(quantile(sorted, 0.99), redisP99),
        ];
      }),
    );
    console.log('');
    const file = results.get(`${spread}/file`)!;
    const fileP99 = p99(file);
    const clean = file.every((r) => r.missed === 0 && r.duplicates === 0);
    met &&= fileP99 <= GOAL_P99_MS && clean;
    goals.push(`${spread} p99 ${fmt(fileP99)} ms${clean ? '' : ', with missed or doubled runs'}`);
  }
  printGoal(`FileStore p99 lateness ≤ ${GOAL_P99_MS} ms at ${TASKS} fires/s with ${INSTANCES} processes, none missed or doubled, in both spreads`, met, goals.join('; '));
}

const [backend, at, instance] = process.argv.slice(2);
if (backend === 'file' || backend === 'redis') await child(backend, at!, instance!);
else await parent();
