/**
 * Benchmark 4: scale, with the default MemoryStore. For 10,000 and 1,000,000 tasks (interval
 * tasks, none due): the heap per task (after full garbage collections), the time to add them with
 * `scheduler.addTasks`, the p99 of a claim of 100 due tasks among them (the store's claim, then
 * its release, repeated), and the time of one page of `getTaskInfoPage` (100 tasks) and of ten
 * pages in a row. Each size runs in a fresh child process started with --expose-gc.
 *
 * Goals (issue 17, item 4): at most 300 bytes per task at 1,000,000; the claim p99 at 1,000,000
 * within 1.5x its p99 at 10,000 (a claim must not grow with the tasks that are not due).
 */
import { MemoryStore, Scheduler } from '@horae/core';
import { fmt, header, printGoal, printTable, quantile, runChild, sendToParent, heapUsed } from './lib/report.js';
import { SCALE_HANDLER, addIdleTasks, claimRounds, pageTimes } from './lib/scale-steps.js';

const SIZES = [10_000, 1_000_000] as const;
const DUE = 100;
const CLAIMS = 2_000;
const SLICE = 10_000;

interface Measured {
  tasks: number;
  bytesPerTask: number;
  addMs: number;
  claimP50: number;
  claimP99: number;
  firstPageMs: number;
  tenPagesMs: number;
}

async function child(tasks: number): Promise<void> {
  const store = new MemoryStore();
  const scheduler = new Scheduler({ stores: { default: store }, runHistory: false });
  scheduler.define(SCALE_HANDLER, () => undefined);
  // Started paused: the claims below are the store's own, not raced by the dispatch loop.
  await scheduler.start({ paused: true });
  const before = heapUsed();
  const addMs = await addIdleTasks(scheduler, tasks, SLICE);
  const bytesPerTask = (heapUsed() - before) / tasks;
  // 100 due tasks among them; each claim takes them, each release makes them due again.
  const claims = await claimRounds(scheduler, store, DUE, CLAIMS);
  const { firstPageMs, moreMs: tenPagesMs } = await pageTimes(scheduler, 10);
  await scheduler.shutdown();
  await sendToParent({ tasks, bytesPerTask, addMs, claimP50: quantile(claims, 0.5), claimP99: quantile(claims, 0.99), firstPageMs, tenPagesMs } satisfies Measured);
  process.exit(0);
}

async function parent(): Promise<void> {
  header('Benchmark 4: scale (MemoryStore)');
  console.log(`Interval tasks, none due, added with scheduler.addTasks in slices of ${SLICE.toLocaleString('en-US')}; then ${DUE} due tasks among them,`);
  console.log(`claimed and released ${CLAIMS} times through the store; then getTaskInfoPage (100 per page). Each size in a fresh process.\n`);
  const rows: Measured[] = [];
  for (const tasks of SIZES) rows.push(await runChild<Measured>(process.argv[1]!, [String(tasks)], 900_000));
  printTable(
    ['tasks', 'bytes/task', 'add ms', 'add µs/task', 'claim p50 ms', 'claim p99 ms', 'first page ms', '10 more pages ms'],
    rows.map((row) => [
      row.tasks.toLocaleString('en-US'),
      fmt(row.bytesPerTask, 0),
      fmt(row.addMs, 0),
      fmt((row.addMs * 1000) / row.tasks, 2),
      fmt(row.claimP50, 3),
      fmt(row.claimP99, 3),
      fmt(row.firstPageMs, 1),
      fmt(row.tenPagesMs, 1),
    ]),
  );
  const [small, large] = rows as [Measured, Measured];
  printGoal('At most 300 bytes per task at 1,000,000 tasks', large.bytesPerTask <= 300, `${fmt(large.bytesPerTask, 0)} B per task`);
  printGoal(
    'Claim p99 at 1,000,000 tasks within 1.5x the p99 at 10,000',
    large.claimP99 <= 1.5 * small.claimP99,
    `${fmt(large.claimP99, 3)} ms vs ${fmt(small.claimP99, 3)} ms = ${fmt(large.claimP99 / small.claimP99, 2)}x`,
  );
  console.log(
    `\nPaging: a page costs ${fmt(small.firstPageMs, 1)} ms at 10,000 tasks and ${fmt(large.firstPageMs, 1)} ms at 1,000,000 (every page lists the whole store: no store-level paging yet).`,
  );
}

const [size] = process.argv.slice(2);
if (size !== undefined) await child(Number(size));
else await parent();
