/**
 * Benchmark 3: next-fire computation. 100,000 cron tasks over 5 expressions in
 * America/New_York; how long it takes to compute every task's next fire time.
 *
 * Scenario A asks every task from one common "now" (tasks added together, or that fired
 * together). Scenario B asks task i from its own previous fire time, now + i × 2 h 12 min, so
 * that no two questions are the same and most answers differ: close to the cost of computing.
 *
 * Contenders, each in a fresh child process (same JIT and GC conditions for all):
 *  - Horae: 100,000 triggers from `scheduler.triggers.create` (created first, timed apart),
 *    then only `getNextFireTime` is timed;
 *  - cron-parser, the naive way: `CronExpressionParser.parse(...).next()` per task;
 *  - cron-parser with the parse shared per expression (`reset` + `next`): what Horae does inside;
 *  - croner, the naive way: `new Cron(expr, { timezone, paused: true }).nextRun(now)` per task;
 *  - croner with one job per expression, `nextRun` per task.
 * Every contender's answers are checked against naive cron-parser's.
 */
import { CronExpressionParser } from 'cron-parser';
import { Cron } from 'croner';
import { Scheduler, type Trigger } from '@horae/core';
import { CRON_EXPRESSIONS, TASK_COUNT } from './lib/workload.js';
import { fmt, header, median, printGoal, printTable, ratio, runChild, sendToParent } from './lib/report.js';

const TZ = 'America/New_York';
/** A fixed "now" (a Monday, mid-second, no DST change nearby) so runs are comparable. */
const NOW = Date.parse('2026-06-15T14:23:41.517Z');
const REPEATS = 3;
/**
 * The peers take 50-450 µs per task here (cron-parser computes in Luxon dates), which would be
 * 5-40 s per pass over 100,000 tasks; they, and Horae in scenario B, are timed on the first
 * 10,000 tasks (every expression 2,000 times). What the table compares is µs per task.
 */
const SAMPLE_TASKS = 10_000;

type Scenario = 'A' | 'B';
const expressionOf = (i: number): string => CRON_EXPRESSIONS[i % CRON_EXPRESSIONS.length]!;
/** The instant task i asks from. */
/** Scenario B spaces the questions 2 h 11 min 59 s apart: most answers differ, little is shared. */
const B_STEP = 7_919_000;
const askFrom = (i: number, scenario: Scenario): number => (scenario === 'A' ? NOW : NOW + i * B_STEP);

interface Contender {
  label: string;
  /** How many of the tasks are timed. */
  timed(scenario: Scenario): number;
  /** Untimed preparation (Horae: creating the triggers); returns its duration in ms. */
  prepare(scenario: Scenario): number;
  /** The timed part: the next fire time of task i. */
  next(i: number, scenario: Scenario): number;
}

function horae(): Contender {
  const scheduler = new Scheduler({ timezone: TZ });
  let triggers: Trigger[] = [];
  return {
    label: 'Horae (trigger.getNextFireTime)',
    timed: (scenario) => (scenario === 'A' ? TASK_COUNT : SAMPLE_TASKS),
    prepare() {
      const start = performance.now();
      triggers = Array.from({ length: TASK_COUNT }, (_, i) =>
        scheduler.triggers.create({ type: 'cron', expression: expressionOf(i), timezone: TZ }, { timezone: TZ, now: NOW }),
      );
      return performance.now() - start;
    },
    // A: no previous fire, first fire at or after now; B: the first fire after the previous one.
    next: (i, scenario) => triggers[i]!.getNextFireTime(scenario === 'A' ? null : askFrom(i, scenario), NOW)!,
  };
}

const cronParserNaive: Contender = {
  label: 'cron-parser, parse + next per task',
  timed: () => SAMPLE_TASKS,
  prepare: () => 0,
  next: (i, scenario) => CronExpressionParser.parse(expressionOf(i), { currentDate: askFrom(i, scenario), tz: TZ }).next().getTime(),
};

function cronParserShared(): Contender {
  const parsed = CRON_EXPRESSIONS.map((expression) => CronExpressionParser.parse(expression, { tz: TZ }));
  return {
    label: 'cron-parser, 5 shared parses, reset + next',
    timed: () => SAMPLE_TASKS,
    prepare: () => 0,
    next(i, scenario) {
      const expression = parsed[i % parsed.length]!;
      expression.reset(new Date(askFrom(i, scenario)));
      return expression.next().getTime();
    },
  };
}

const cronerNaive: Contender = {
  label: 'croner, new Cron + nextRun per task',
  timed: () => SAMPLE_TASKS,
  prepare: () => 0,
  next: (i, scenario) => new Cron(expressionOf(i), { timezone: TZ, paused: true }).nextRun(new Date(askFrom(i, scenario)))!.getTime(),
};

function cronerShared(): Contender {
  const jobs = CRON_EXPRESSIONS.map((expression) => new Cron(expression, { timezone: TZ, paused: true }));
  return {
    label: 'croner, 5 shared jobs, nextRun',
    timed: () => SAMPLE_TASKS,
    prepare: () => 0,
    next: (i, scenario) => jobs[i % jobs.length]!.nextRun(new Date(askFrom(i, scenario)))!.getTime(),
  };
}

const contenders: Record<string, () => Contender> = {
  horae,
  'cron-parser-naive': () => cronParserNaive,
  'cron-parser-shared': cronParserShared,
  'croner-naive': () => cronerNaive,
  'croner-shared': cronerShared,
};

interface Timing {
  prepareMs: number;
  /** Median over REPEATS of the time for all tasks. */
  totalMs: number;
  results: number[];
}

// ------------------------------------------------------------------ child: one contender

async function child(name: string, scenario: Scenario): Promise<void> {
  const contender = contenders[name]!();
  const prepareMs = contender.prepare(scenario);
  const tasks = contender.timed(scenario);
  const results = new Array<number>(tasks);
  // Warm-up (untimed) so the JIT has compiled the path; then REPEATS timed passes.
  for (let i = 0; i < 1_000; i++) contender.next(i, scenario);
  const passes: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const start = performance.now();
    for (let i = 0; i < tasks; i++) results[i] = contender.next(i, scenario);
    passes.push(performance.now() - start);
  }
  await sendToParent({ prepareMs, totalMs: median(passes), results } satisfies Timing);
  process.exit(0);
}

// ------------------------------------------------------------------ parent

async function runScenario(scenario: Scenario): Promise<Map<string, Timing>> {
  const timings = new Map<string, Timing>();
  for (const name of Object.keys(contenders)) {
    timings.set(name, await runChild<Timing>(process.argv[1]!, [name, scenario], 600_000));
  }
  const reference = timings.get('cron-parser-naive')!.results;
  const perTask = (name: string): number => (timings.get(name)!.totalMs * 1000) / timings.get(name)!.results.length;
  const horaeUs = perTask('horae');
  printTable(
    ['contender', 'tasks timed', 'total ms', 'µs/task', 'time ÷ Horae time', 'setup ms (untimed)', 'answers ≠ cron-parser'],
    Object.keys(contenders).map((name) => {
      const { totalMs, prepareMs, results } = timings.get(name)!;
      // Naive cron-parser answered the first SAMPLE_TASKS; everything is checked against those.
      const mismatches = results.slice(0, reference.length).filter((value, i) => value !== reference[i]).length;
      return [
        contenders[name]!().label,
        results.length.toLocaleString('en-US'),
        fmt(totalMs, 1),
        fmt(perTask(name), 3),
        ratio(perTask(name), horaeUs),
        prepareMs > 0 ? fmt(prepareMs, 0) : '–',
        String(mismatches),
      ];
    }),
  );
  const speedup = perTask('cron-parser-naive') / horaeUs;
  console.log(
    speedup >= 1
      ? `\nHorae is ${fmt(speedup, 1)}x faster per task than naive cron-parser.\n`
      : `\nHorae is ${fmt(1 / speedup, 1)}x SLOWER per task than naive cron-parser.\n`,
  );
  return timings;
}

async function parent(): Promise<void> {
  header('Benchmark 3: next-fire computation');
  console.log(`${TASK_COUNT.toLocaleString('en-US')} cron tasks over ${CRON_EXPRESSIONS.map((e) => `'${e}'`).join(', ')} in ${TZ};`);
  console.log(`now = ${new Date(NOW).toISOString()}. Median of ${REPEATS} timed passes after a warm-up; each contender in a fresh child process.`);
  console.log(`Horae's 100,000 triggers are created first (untimed, shown as setup). Peers, and Horae in B, are timed on the first`);
  console.log(`${SAMPLE_TASKS.toLocaleString('en-US')} tasks (naive cron-parser would take ~40 s per pass over 100,000); compare µs/task.\n`);

  console.log('### A. Every task asks from the same "now"\n');
  const a = await runScenario('A');
  console.log('### B. Task i asks from its own previous fire time, now + i × 2 h 12 min (answers rarely shared)\n');
  const b = await runScenario('B');

  const usPerTask = (timing: Timing): number => (timing.totalMs * 1000) / timing.results.length;
  const speedup = (timings: Map<string, Timing>): number =>
    usPerTask(timings.get('cron-parser-naive')!) / usPerTask(timings.get('horae')!);
  printGoal(
    'Horae at least 10x faster per task than naive cron-parser (scenario A, one common now)',
    speedup(a) >= 10,
    `A: ${fmt(speedup(a), 1)}x; for reference B (answers rarely shared): ${fmt(speedup(b), 1)}x`,
  );
}

const [name, scenario] = process.argv.slice(2);
if (name !== undefined) await child(name, scenario === 'B' ? 'B' : 'A');
else await parent();
