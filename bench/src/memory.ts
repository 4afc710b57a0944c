/**
 * Benchmark 2: memory per task. Adds 100,000 tasks and measures the heap growth (after full
 * garbage collections) divided by 100,000, plus the wall time to add them.
 *
 * Horae: interval tasks, and cron tasks over 5 expressions, in a Scheduler with the default
 * MemoryStore. Peers, cron case only: croner (`new Cron(expr, { paused: true }, fn)`) and
 * node-cron 4 (`createTask`, its "created but not started" form, and `schedule`, started).
 *
 * Fairness: every task shares one handler function, so no per-task closure is counted; ids are
 * left to each library (Horae and node-cron generate a UUID per task, croner none); handles
 * returned to the caller are dropped, since each library keeps its own tasks alive (checked).
 * Each case runs in a fresh child process started with --expose-gc.
 */
import { Cron } from 'croner';
import nodeCron, { type ScheduledTask } from 'node-cron';
import { Scheduler, type TriggerSpec } from '@horae/core';
import { CRON_EXPRESSIONS, TASK_COUNT, noop } from './lib/workload.js';
import { fmt, header, printGoal, printTable, ratio, runChild, sendToParent, heapUsed } from './lib/report.js';

const GOAL_BYTES = 300;
/**
 * croner 11 allocates an `Array(10000)` for the year field of every pattern (~80 KB per job), so
 * 100,000 jobs need ~8 GB of heap and crash Node's default heap limit; it is measured with fewer
 * jobs (per-job bytes are the same at 2,000 and 10,000 jobs: the cost is linear).
 */
const CRONER_TASKS = 10_000;

interface Case {
  label: string;
  /** How many tasks to add (croner: fewer, see CRONER_TASKS). */
  tasks: number;
  /** Builds the empty container (scheduler), if any; its fixed cost is not counted. */
  prepare(): Promise<void>;
  /** Adds task `i` (may return a promise, which is awaited). */
  add(i: number): unknown;
  /** Runs after adding, and is timed separately (Horae's start() when tasks were added before it). */
  afterAdd?(): Promise<void>;
  /** How many tasks the library holds, read after measuring (a check that nothing was collected). */
  count(): Promise<number> | number;
}

interface Measured {
  bytesPerTask: number;
  addMs: number;
  afterAddMs: number | undefined;
  held: number;
}

const cronExpression = (i: number): string => CRON_EXPRESSIONS[i % CRON_EXPRESSIONS.length]!;
const intervalTrigger = (i: number): TriggerSpec => ({ type: 'interval', seconds: 60 + (i % 1000) });

/** A Horae case: the scheduler started before adding, or (beforeStart) started after it. */
function horae(label: string, trigger: (i: number) => TriggerSpec, beforeStart = false): Case {
  let scheduler: Scheduler;
  return {
    label,
    tasks: TASK_COUNT,
    async prepare() {
      scheduler = new Scheduler();
      if (!beforeStart) await scheduler.start();
    },
    add: (i) => scheduler.addTask({ handler: noop, trigger: trigger(i) }),
    afterAdd: beforeStart ? () => scheduler.start() : undefined,
    async count() {
      const n = (await scheduler.getTasks()).length;
      await scheduler.shutdown();
      return n;
    },
  };
}

/** Peers keep their jobs alive themselves (croner through its timers, node-cron in a registry); weak references check that. */
function peer(label: string, create: (i: number) => object, cleanup: (job: object) => unknown, tasks = TASK_COUNT): Case {
  const refs: WeakRef<object>[] = [];
  return {
    label,
    tasks,
    prepare: () => Promise.resolve(),
    add(i) {
      const job = create(i);
      if (i % 100 === 0) refs.push(new WeakRef(job));
      return undefined;
    },
    async count() {
      const alive = refs.map((ref) => ref.deref()).filter((job) => job !== undefined);
      for (const job of alive) await cleanup(job);
      return Math.round((alive.length / refs.length) * tasks);
    },
  };
}

const cases: Record<string, () => Case> = {
  'horae-interval': () => horae('Horae, interval (started first)', intervalTrigger),
  'horae-interval-before-start': () => horae('Horae, interval (added before start)', intervalTrigger, true),
  'horae-cron': () => horae('Horae, cron (started first)', (i) => ({ type: 'cron', expression: cronExpression(i) })),
  'croner-paused': () =>
    peer('croner, paused', (i) => new Cron(cronExpression(i), { paused: true }, noop), (job) => (job as Cron).stop(), CRONER_TASKS),
  'node-cron-created': () =>
    peer('node-cron, createTask (not started)', (i) => nodeCron.createTask(cronExpression(i), noop), (job) => (job as ScheduledTask).destroy()),
  'node-cron-scheduled': () =>
    peer('node-cron, schedule (started)', (i) => nodeCron.schedule(cronExpression(i), noop), (job) => (job as ScheduledTask).destroy()),
};

// ------------------------------------------------------------------ child: one case

async function addAll(benchCase: Case, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const added = benchCase.add(i);
    if (added instanceof Promise) await added;
  }
}

async function child(name: string): Promise<void> {
  // Warm-up on a throwaway instance: compiles the code and builds what is shared by all tasks
  // (parsed expressions, caches), so the measurement below counts only per-task memory.
  const warmUp = cases[name]!();
  await warmUp.prepare();
  await addAll(warmUp, 1_000);
  await warmUp.count();

  const benchCase = cases[name]!();
  await benchCase.prepare();
  const before = heapUsed();
  const start = performance.now();
  await addAll(benchCase, benchCase.tasks);
  const addMs = performance.now() - start;
  let afterAddMs: number | undefined;
  if (benchCase.afterAdd !== undefined) {
    const startAt = performance.now();
    await benchCase.afterAdd();
    afterAddMs = performance.now() - startAt;
  }
  const after = heapUsed();
  const held = await benchCase.count();
  const result: Measured = { bytesPerTask: (after - before) / benchCase.tasks, addMs, afterAddMs, held };
  await sendToParent(result);
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function parent(): Promise<void> {
  header('Benchmark 2: memory per task');
  console.log(`${TASK_COUNT.toLocaleString('en-US')} tasks per case (croner: ${CRONER_TASKS.toLocaleString('en-US')}, see below); heap used after two full GCs, before and after adding, divided by the task count.`);
  console.log(`Cron tasks spread over ${CRON_EXPRESSIONS.map((e) => `'${e}'`).join(', ')}; interval tasks every 60 + (i % 1000) s.`);
  console.log('One shared no-op handler; each case in a fresh child process.\n');
  const results = new Map<string, Measured | Error>();
  for (const name of Object.keys(cases)) {
    // A case that crashes (e.g. out of memory) is reported, not fatal.
    results.set(name, await runChild<Measured>(process.argv[1]!, [name], 300_000).catch((error: Error) => error));
  }
  const horaeCron = results.get('horae-cron');
  const cronBase = horaeCron instanceof Error || horaeCron === undefined ? NaN : horaeCron.bytesPerTask;
  printTable(
    ['case', 'tasks', 'bytes/task', 'vs Horae cron', 'add, ms', 'add, µs/task', 'then start(), ms', 'held after GC'],
    Object.keys(cases).map((name) => {
      const benchCase = cases[name]!();
      const r = results.get(name)!;
      if (r instanceof Error) return [benchCase.label, benchCase.tasks.toLocaleString('en-US'), `failed: ${r.message}`, '', '', '', '', ''];
      return [
        benchCase.label,
        benchCase.tasks.toLocaleString('en-US'),
        fmt(r.bytesPerTask, 0),
        name.includes('interval') ? '–' : ratio(r.bytesPerTask, cronBase),
        fmt(r.addMs, 0),
        fmt((r.addMs * 1000) / benchCase.tasks, 1),
        fmt(r.afterAddMs, 0),
        r.held.toLocaleString('en-US'),
      ];
    }),
  );
  console.log(`\ncroner 11 allocates Array(10000) for the year field of every job (~80 KB), so ${TASK_COUNT.toLocaleString('en-US')} jobs (~8 GB)`);
  console.log(`exceed Node's default heap limit; it is measured with ${CRONER_TASKS.toLocaleString('en-US')} jobs (the cost per job is linear).`);
  const interval = results.get('horae-interval');
  const intervalBytes = interval instanceof Error || interval === undefined ? NaN : interval.bytesPerTask;
  printGoal(
    `at most ${GOAL_BYTES} bytes per task (Horae, default MemoryStore, no per-task closures)`,
    intervalBytes <= GOAL_BYTES && cronBase <= GOAL_BYTES,
    `interval ${fmt(intervalBytes, 0)} B/task, cron ${fmt(cronBase, 0)} B/task`,
  );
}

const [name] = process.argv.slice(2);
if (name !== undefined) await child(name);
else await parent();
