/**
 * The draining side of the dispatch benchmarks against servers (Redis, MongoDB, PostgreSQL): a
 * drainer process's steps, a Horae scheduler as one, the child process that runs one and reports
 * what it ran, the count of what ran once, twice or never, and the table cells every dispatch
 * table ends with.
 */
import type { Scheduler } from '@horae/core';
import { fmt, median, sendToParent } from './report.js';
import { epochNow, joinGroup } from '../redis/lib.js';

/** One draining process: set up (connected, not dispatching), then go, then stop. */
export interface Drainer {
  setup(): Promise<void>;
  go(): void;
  stop(): Promise<void>;
}

/**
 * A Horae scheduler as a drainer: started paused in setup, with one `getTask` so that its store's
 * connection is open (as the peers' workers connect before they run anything) and connecting is
 * not part of the timed drain; resumed on "go"; shut down at the end (5 s for runs in flight).
 */
export function schedulerDrainer(scheduler: Scheduler): Drainer {
  return {
    setup: async () => {
      await scheduler.start({ paused: true });
      await scheduler.getTask('bench-connect');
    },
    go: () => scheduler.resume(),
    stop: () => scheduler.shutdown({ timeout: 5_000 }),
  };
}

/** What one drainer process reports. */
export interface DrainResult {
  /** The index of every task it ran, in order. */
  fired: number[];
  /** Epoch ms of its first and last handler call (NaN: none). */
  first: number;
  last: number;
  /** Its CPU time (user + system) from "go" until told to stop, ms. */
  cpuMs: number;
}

/**
 * The child side of a drain (see `runGroup`): creates the drainer with a handler that records the
 * task index, reports the count every 50 ms, and answers "stop" with its {@link DrainResult}.
 */
export async function drainChild(create: (onFire: (payload: { i: number }) => void) => Drainer): Promise<void> {
  const fired: number[] = [];
  let first = NaN;
  let last = NaN;
  let cpuAtGo = process.cpuUsage();
  const drainer = create(({ i }) => {
    last = epochNow();
    if (fired.length === 0) first = last;
    fired.push(i);
  });
  await joinGroup<DrainResult>({
    setup: () => drainer.setup(),
    go: () => {
      cpuAtGo = process.cpuUsage();
      drainer.go();
    },
    count: () => fired.length,
    finish: async () => {
      const cpu = process.cpuUsage(cpuAtGo);
      await drainer.stop();
      return { fired, first, last, cpuMs: (cpu.user + cpu.system) / 1000 };
    },
  });
}

/** How the tasks 0 … tasks − 1 fared over all drainers of a round. */
export interface Tally {
  /** Handler calls, duplicates included. */
  fired: number;
  /** Tasks run at least once. */
  ran: number;
  /** Handler calls beyond the first of a task. */
  duplicates: number;
  /** Tasks never run. */
  missing: number;
}

export function tally(results: readonly { fired: readonly number[] }[], tasks: number): Tally {
  const seen = new Uint8Array(tasks);
  let fired = 0;
  let duplicates = 0;
  for (const result of results) {
    for (const i of result.fired) {
      fired++;
      if (seen[i] !== 0) duplicates++;
      seen[i] = 1;
    }
  }
  const ran = seen.reduce((sum, hit) => sum + hit, 0);
  return { fired, ran, duplicates, missing: tasks - ran };
}

/** The run history a Horae round left in its store. */
export interface HistoryFound {
  /** Runs recorded. */
  runs: number;
  /** Distinct tasks among them. */
  tasks: number;
  /** One task's runs as `scheduler.getRuns(id)` returns them: "<count> × <outcome>", or "–" with no history. */
  readBack: string;
}

/**
 * One task's runs read back through a scheduler on the round's store (made only when there is a
 * task to read, started paused, shut down after), as {@link HistoryFound.readBack} shows them.
 */
export async function readBack(createScheduler: () => Scheduler, taskId: string | undefined): Promise<string> {
  if (taskId === undefined) return '–';
  const scheduler = createScheduler();
  try {
    await scheduler.start({ paused: true });
    const read = await scheduler.getRuns(taskId);
    return `${read.length} × ${[...new Set(read.map((run) => run.outcome))].join('/')}`;
  } finally {
    await scheduler.shutdown();
  }
}

/** What the first and last columns of a dispatch table need of each round. */
export interface DrainRound extends Tally {
  /** From "go" to the last fire, ms. */
  ms: number;
  loadMs: number;
  perInstance: number[];
  /** Horae only: the runs its history held after the round. */
  history?: { runs: number };
}

/** The headers of the columns every dispatch table starts with, after the contender. */
export const DRAIN_HEAD_HEADERS = ['median ms', 'ms per round', 'tasks/s'];

/** The cells under {@link DRAIN_HEAD_HEADERS} for one row's rounds and its tasks/s. */
export function drainHeadCells(rounds: readonly DrainRound[], tasksPerS: number): string[] {
  return [fmt(median(rounds.map((r) => r.ms)), 0), rounds.map((r) => fmt(r.ms, 0)).join(' / '), fmt(tasksPerS, 0)];
}

/** The headers of the columns every dispatch table ends with; `missing` names the column of tasks never run. */
export const drainTailHeaders = (missing = 'missing'): string[] => ['per instance (last round)', 'ran', 'dup', missing, 'history runs', 'load ms'];

/** The cells under {@link drainTailHeaders} for one row's rounds. */
export function drainTailCells(rounds: readonly DrainRound[]): string[] {
  return [
    rounds.at(-1)!.perInstance.map((n) => n.toLocaleString('en-US')).join(' / '),
    rounds.map((r) => r.fired.toLocaleString('en-US')).join(' / '),
    String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
    rounds.reduce((sum, r) => sum + r.missing, 0).toLocaleString('en-US'),
    rounds.map((r) => (r.history === undefined ? '–' : r.history.runs.toLocaleString('en-US'))).join(' / '),
    fmt(median(rounds.map((r) => r.loadMs)), 0),
  ];
}

/** The steps of a dispatch program, which runs as the parent and as the children it starts. */
export interface DispatchProgram {
  /** The parent: runs the rounds and prints the results. */
  parent(): Promise<void>;
  /** A loader child: puts the row's tasks in under `target` (a key prefix, a database); resolves to the time it took, ms. */
  load(name: string, target: string): Promise<number>;
  /** A drainer child's drainer. */
  drainer(name: string, target: string, instance: number, onFire: (payload: { i: number }) => void): Drainer;
}

/**
 * Runs a dispatch program as what its arguments say: with none, the parent; with `<row> load
 * <target>`, the loader; with `<row> drain <target> <instance>`, a drainer (see {@link drainChild}).
 * A child exits when done.
 */
export async function runDispatchProgram(program: DispatchProgram): Promise<void> {
  const [name, step, target, instance] = process.argv.slice(2);
  if (name === undefined) return program.parent();
  if (step === 'load') await sendToParent(await program.load(name, target!));
  else await drainChild((onFire) => program.drainer(name, target!, Number(instance), onFire));
  process.exit(0);
}
