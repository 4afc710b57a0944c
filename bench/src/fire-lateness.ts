/**
 * Benchmark 1: fire lateness. 2,000 one-shot tasks, each due at a random time within 5 s; for
 * every fire we record (callback time − intended time). Contenders: a bare guarded setTimeout
 * (the floor: nothing in Node fires a timer callback sooner), Horae, croner and node-cron.
 *
 * Each contender runs alone in its own child process (this file, re-run with arguments), one
 * after another, so that none disturbs another's timers or garbage collector.
 *
 * Clocks: intended times are whole epoch milliseconds (what `Date.now()` / `new Date()` show,
 * and what every contender compares against). A fire is EARLY when `Date.now()` in the
 * callback is still below the intended time. Lateness is measured with the sub-millisecond
 * epoch clock `performance.timeOrigin + performance.now()`; it agrees with `Date.now()` to
 * within a few hundredths of a millisecond, so a minimum of -0.0x ms is clock skew, not an
 * early fire.
 */
import { Cron } from 'croner';
import nodeCron from 'node-cron';
import { Scheduler } from '@horae/core';
import { fireRound, type OnFire, type RoundResult } from './lib/fire-round.js';
import { fmt, header, median, printGoal, printTable, quantile, ratio, runChild, seededRandom, sendToParent } from './lib/report.js';

const TASKS = 2_000;
const SPREAD_MS = 5_000;
/** Time between scheduling and the first possible fire, so setup never overlaps the fires. */
const LEAD_MS = 1_000;
/** How long after the last intended time a child keeps waiting for stragglers. */
const GRACE_MS = 3_000;

type Scenario = 'ms' | 's';
/** Schedules one fire per intended time; resolves with a function that cancels what is left. */
type Contender = (intended: number[], onFire: OnFire) => Promise<() => Promise<void> | void>;

const contenders: Record<string, Contender> = {
  // The floor: one setTimeout per task, re-armed for the remainder if Node fires it early
  // (setTimeout may fire up to 1 ms before the wall-clock target).
  'setTimeout floor': (intended, onFire) => {
    const handles: NodeJS.Timeout[] = [];
    const arm = (i: number): void => {
      handles[i] = setTimeout(() => (Date.now() < intended[i]! ? arm(i) : onFire(i)), Math.max(0, intended[i]! - Date.now()));
    };
    for (let i = 0; i < intended.length; i++) arm(i);
    return Promise.resolve(() => handles.forEach((handle) => clearTimeout(handle)));
  },

  // Horae as documented: a started Scheduler, default MemoryStore and AsyncExecutor, one
  // `date` trigger per task, one shared handler that gets the task's index as its args.
  Horae: async (intended, onFire) => {
    const scheduler = new Scheduler();
    await scheduler.start();
    const handler = (index: number): void => onFire(index);
    for (let i = 0; i < intended.length; i++) {
      await scheduler.addTask({ handler, args: i, trigger: { type: 'date', runAt: intended[i]! } });
    }
    return () => scheduler.shutdown({ wait: false });
  },

  // croner's one-shot form: a Date instead of a pattern; it keeps the milliseconds.
  croner: (intended, onFire) => {
    const jobs = intended.map((time, i) => new Cron(new Date(time), () => onFire(i)));
    return Promise.resolve(() => jobs.forEach((job) => job.stop()));
  },

  // node-cron has no one-shot form and second resolution only: a 6-field expression naming the
  // second, minute, hour, day and month (local time), stopped after its first run.
  'node-cron': (intended, onFire) => {
    const tasks = intended.map((time, i) => {
      const d = new Date(time);
      const expression = `${d.getSeconds()} ${d.getMinutes()} ${d.getHours()} ${d.getDate()} ${d.getMonth() + 1} *`;
      return nodeCron.schedule(expression, () => onFire(i), { maxExecutions: 1 });
    });
    return Promise.resolve(async () => {
      for (const task of tasks) await task.destroy();
    });
  },
};

/** Intended times: random offsets (the same for every contender) from a whole-second start. */
function intendedTimes(count: number, spread: number, lead: number, scenario: Scenario, seed: number): number[] {
  const random = seededRandom(seed);
  const start = Math.ceil((Date.now() + lead) / 1000) * 1000;
  return Array.from({ length: count }, () => {
    const offset = Math.floor(random() * spread);
    // Whole-second scenario: rounded UP to the next second, so every time is still in the future.
    return scenario === 's' ? start + Math.ceil(offset / 1000) * 1000 : start + offset;
  });
}

function round(contender: Contender, intended: number[]): Promise<RoundResult> {
  return fireRound(intended, GRACE_MS, (onFire) => contender(intended, onFire));
}

// ------------------------------------------------------------------ child: one contender

/** Warm-up bursts of the "warm" runs of scenario B: a process that has been firing for a while. */
const WARM_BURSTS = 10;

async function child(name: string, scenario: Scenario, warm: boolean): Promise<void> {
  const contender = contenders[name]!;
  // Warm-up round (discarded): lets the JIT compile every contender's hot path first.
  await round(contender, intendedTimes(200, 300, 200, scenario, 7));
  // Warm runs: as many bursts of 400 as a process that has run a while has seen (also discarded).
  for (let burst = 0; warm && burst < WARM_BURSTS; burst++) await round(contender, intendedTimes(400, 300, 200, scenario, 100 + burst));
  const result = await round(contender, intendedTimes(TASKS, SPREAD_MS, LEAD_MS, scenario, 42));
  await sendToParent(result);
  process.exit(0);
}

// ------------------------------------------------------------------ parent: all contenders

/** Rounds per contender, interleaved (floor, Horae, croner, floor, ...) so drift hits all alike. */
const ROUNDS = 3;

interface Pooled {
  name: string;
  rounds: RoundResult[];
}

const sortedLateness = (rounds: RoundResult[]): number[] => rounds.flatMap((r) => r.lateness).sort((a, b) => a - b);
const p99Of = (rounds: RoundResult[]): number => quantile(sortedLateness(rounds), 0.99);

function printScenario(title: string, rows: Pooled[], skipped: string[]): void {
  console.log(`### ${title}\n`);
  const floorP99 = p99Of(rows.find((row) => row.name === 'setTimeout floor')!.rounds);
  printTable(
    ['contender', 'p50 ms', 'p99 ms', 'max ms', 'min ms', 'early', 'missed', 'p99 per round', 'setup ms', 'p99 vs floor'],
    [
      ...rows.map(({ name, rounds }) => {
        const sorted = sortedLateness(rounds);
        const p99 = quantile(sorted, 0.99);
        const duplicates = rounds.reduce((sum, r) => sum + r.duplicates, 0);
        return [
          name,
          fmt(quantile(sorted, 0.5)),
          fmt(p99),
          fmt(sorted.at(-1)),
          fmt(sorted[0]),
          String(rounds.reduce((sum, r) => sum + r.early, 0)),
          String(TASKS * rounds.length - sorted.length) + (duplicates > 0 ? ` (+${duplicates} dup)` : ''),
          rounds.map((r) => fmt(p99Of([r]))).join(' / '),
          fmt(median(rounds.map((r) => r.setupMs)), 0),
          ratio(p99, floorP99),
        ];
      }),
      ...skipped.map((name) => [name, '–', '–', '–', '–', '–', '–', '–', '–', 'not run']),
    ],
  );
  for (const { name, rounds } of rows) {
    const overran = rounds.reduce((sum, r) => sum + r.overran, 0);
    if (overran > 0) console.log(`Warning: ${name} took so long to schedule that ${overran} tasks were already due; their lateness includes setup.`);
  }
  console.log('');
}

async function runScenario(scenario: Scenario, names: string[], warm = false): Promise<Pooled[]> {
  const pooled = names.map((name) => ({ name, rounds: [] as RoundResult[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of pooled) row.rounds.push(await runChild<RoundResult>(process.argv[1]!, [row.name, scenario, ...(warm ? ['warm'] : [])], 90_000));
  }
  return pooled;
}

async function parent(): Promise<void> {
  header('Benchmark 1: fire lateness');
  console.log(`${TASKS.toLocaleString('en-US')} one-shot tasks, each due at a random time within ${SPREAD_MS / 1000} s (the same seeded times for every contender).`);
  console.log('Lateness = callback time − intended time (sub-ms epoch clock); early = Date.now() in the callback < intended time.');
  console.log(`Each contender runs alone in a fresh child process, after a discarded warm-up round; ${ROUNDS} rounds each,`);
  console.log(`interleaved, with the statistics over all ${(ROUNDS * TASKS).toLocaleString('en-US')} fires. Setup = time to schedule the ${TASKS.toLocaleString('en-US')} tasks (median).\n`);

  const a = await runScenario('ms', ['setTimeout floor', 'Horae', 'croner']);
  printScenario('A. Millisecond times', a, ['node-cron (whole seconds only)']);
  const b = await runScenario('s', ['setTimeout floor', 'Horae', 'croner', 'node-cron']);
  printScenario('B. The same times rounded up to whole seconds (fair to node-cron; ~400 tasks due at once, 5 times)', b, []);
  const warm = await runScenario('s', ['setTimeout floor', 'Horae', 'croner', 'node-cron'], true);
  printScenario(`B, warm: scenario B after ${WARM_BURSTS} more discarded bursts of 400 in the same process`, warm, []);

  const horae = a.find((row) => row.name === 'Horae')!.rounds;
  const horaeP99 = p99Of(horae);
  const floorP99 = p99Of(a.find((row) => row.name === 'setTimeout floor')!.rounds);
  const early = horae.reduce((sum, r) => sum + r.early, 0);
  const missed = TASKS * ROUNDS - sortedLateness(horae).length;
  printGoal(
    "Horae p99 lateness within 1.5x the floor's p99, and zero early fires (scenario A)",
    horaeP99 <= 1.5 * floorP99 && early === 0 && missed === 0,
    `Horae p99 ${fmt(horaeP99)} ms vs floor ${fmt(floorP99)} ms = ${ratio(horaeP99, floorP99)}; early fires ${early}; missed ${missed}`,
  );
  for (const [label, rows] of [['B', b], ['B, warm', warm]] as const) {
    const p99 = (name: string): number => p99Of(rows.find((row) => row.name === name)!.rounds);
    printGoal(
      `Horae p99 lateness within 1.5x the floor's p99 and below croner's (scenario ${label}, issue 17 item 1)`,
      p99('Horae') <= 1.5 * p99('setTimeout floor') && p99('Horae') < p99('croner'),
      `Horae p99 ${fmt(p99('Horae'))} ms vs floor ${fmt(p99('setTimeout floor'))} ms = ${ratio(p99('Horae'), p99('setTimeout floor'))}; croner ${fmt(p99('croner'))} ms`,
    );
  }
}

const [name, scenario] = process.argv.slice(2);
if (name !== undefined) await child(name, scenario === 's' ? 's' : 'ms', process.argv[4] === 'warm');
else await parent();
