/**
 * Pickup latency, shared by the MongoDB and PostgreSQL programs: how late a task runs that another
 * instance added. The child that adds the tasks, the children that run them and record how late,
 * the merge of what several workers ran, and the table of the results.
 */
import type { Drainer } from './drain.js';
import { fmt, printTable, quantile } from './report.js';
import { epochNow, joinGroup, sleep } from '../redis/lib.js';

/** A pickup task: its index and the epoch ms it is due at. */
export interface PickupTask {
  i: number;
  at: number;
}

/** The process that adds the tasks: another instance of the same library, one that never runs any. */
export interface Adder {
  setup(): Promise<void>;
  add(task: PickupTask): Promise<void>;
  stop(): Promise<void>;
}

/** How the adder adds: `samples` tasks, one every `everyMs`, each due `leadMs` after it is added. */
export interface Pace {
  samples: number;
  everyMs: number;
  leadMs: number;
}

/** The adder's child process (see `runGroup`): sets up, adds at the pace on "go", stops on "stop". */
export async function adderChild(adder: Adder, { samples, everyMs, leadMs }: Pace): Promise<void> {
  let stopped = false;
  let adding: Promise<void> = Promise.resolve();
  await joinGroup<number>({
    setup: () => adder.setup(),
    go: () => {
      adding = (async () => {
        const start = Date.now();
        for (let i = 0; i < samples && !stopped; i++) {
          await sleep(Math.max(0, start + i * everyMs - Date.now()));
          await adder.add({ i, at: Date.now() + leadMs });
        }
      })();
    },
    count: () => 0,
    finish: async () => {
      stopped = true;
      await adding;
      await adder.stop();
      return samples;
    },
  });
}

/** What one worker process ran. */
export interface WorkerResult {
  /** Lateness per task index, ms; null where this worker did not run it (NaN would not survive the message to the parent). */
  lateness: (number | null)[];
  /** Tasks this worker ran more than once. */
  duplicates: number;
  /** Runs before the task was due (`Date.now()` below its due time). */
  early: number;
}

/**
 * A worker's child process (see `runGroup`): creates the worker with a handler that records how
 * late each task runs (handler time − due time, on the sub-ms epoch clock), reports its count, and
 * answers "stop" with its {@link WorkerResult}.
 */
export async function workerChild(samples: number, create: (onFire: (task: { i: number; at?: number }) => void) => Drainer): Promise<void> {
  const lateness = new Array<number | null>(samples).fill(null);
  let fired = 0;
  let duplicates = 0;
  let early = 0;
  const worker = create(({ i, at }) => {
    const now = epochNow();
    // Every pickup task carries its due time; the payload type of the contenders' handlers leaves it optional.
    const due = at!;
    if (Date.now() < due) early++;
    if (lateness[i] !== null) duplicates++;
    else {
      lateness[i] = now - due;
      fired++;
    }
  });
  await joinGroup<WorkerResult>({ setup: () => worker.setup(), go: () => worker.go(), count: () => fired, finish: async () => (await worker.stop(), { lateness, duplicates, early }) });
}

/** One round of one contender, its workers' results merged. */
export interface PickupRound {
  /** Lateness of each measured task that ran, ms, ascending (of a task run twice, the first worker's). */
  lateness: number[];
  /** Measured tasks no worker ran. */
  missed: number;
  /** Runs beyond the first of a task, in one worker or across them. */
  duplicates: number;
  early: number;
}

/** Merges the workers of a round over the measured tasks (those from `warmup` on). */
export function mergeWorkers(workers: readonly WorkerResult[], warmup: number): PickupRound {
  const lateness: number[] = [];
  let missed = 0;
  let duplicates = workers.reduce((sum, w) => sum + w.duplicates, 0);
  const samples = Math.max(...workers.map((w) => w.lateness.length));
  for (let i = warmup; i < samples; i++) {
    const ran = workers.map((w) => w.lateness[i]).filter((value) => typeof value === 'number');
    if (ran.length === 0) missed++;
    else lateness.push(ran[0]!);
    duplicates += Math.max(0, ran.length - 1);
  }
  return { lateness: lateness.sort((a, b) => a - b), missed, duplicates, early: workers.reduce((sum, w) => sum + w.early, 0) };
}

/** Every round's lateness of a contender, ascending. */
export const pooledLateness = (rounds: readonly PickupRound[]): number[] => rounds.flatMap((r) => r.lateness).sort((a, b) => a - b);

/** Missed tasks over a contender's rounds. */
export const missedOf = (rounds: readonly PickupRound[]): number => rounds.reduce((sum, r) => sum + r.missed, 0);

/**
 * Prints the pickup table: p50 / p90 / p99 / max / min lateness pooled over the rounds, early,
 * missed and duplicate runs, the p99 of each round, and a last column comparing the p99.
 */
export function printPickupTable(results: ReadonlyMap<string, readonly PickupRound[]>, compare: { header: string; cell: (p99: number) => string }): void {
  printTable(
    ['contender', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'min ms', 'early', 'missed', 'dup', 'p99 per round', compare.header],
    [...results].map(([name, rounds]) => {
      const sorted = pooledLateness(rounds);
      return [
        name,
        fmt(quantile(sorted, 0.5)),
        fmt(quantile(sorted, 0.9)),
        fmt(quantile(sorted, 0.99)),
        fmt(sorted.at(-1)),
        fmt(sorted[0]),
        String(rounds.reduce((sum, r) => sum + r.early, 0)),
        String(missedOf(rounds)),
        String(rounds.reduce((sum, r) => sum + r.duplicates, 0)),
        rounds.map((r) => fmt(quantile(r.lateness, 0.99))).join(' / '),
        compare.cell(quantile(sorted, 0.99)),
      ];
    }),
  );
}
