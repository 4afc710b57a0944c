/**
 * Benchmark 3: next-fire computation. 100,000 cron tasks over 5 expressions in
 * America/New_York; how long it takes to compute every task's next fire time.
 *
 * Scenario A asks every task from one common "now" (tasks added together, or that fired
 * together). Scenario B asks task i from its own previous fire time, now + i × 2 h 12 min, so
 * that no two questions are the same and most answers differ: close to the cost of computing.
 * Scenario C asks B's questions in a shuffled order, a few milliseconds apart from one timed
 * pass to the next: no answer can be remembered or reused, each is a real computation. Scenario D
 * asks from instants at random within ten years either side of now (reported, not a goal: the
 * zone's offsets are then looked up afresh for almost every question).
 *
 * Contenders, each in a fresh child process (same JIT and GC conditions for all):
 *  - Horae: 100,000 triggers from `scheduler.triggers.create` (created first, timed apart),
 *    then only `getNextFireTime` is timed;
 *  - cron-parser, the naive way: `CronExpressionParser.parse(...).next()` per task;
 *  - cron-parser with the parse shared per expression (`reset` + `next`);
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

type Scenario = 'A' | 'B' | 'C' | 'D';
const expressionOf = (i: number): string => CRON_EXPRESSIONS[i % CRON_EXPRESSIONS.length]!;
/** The instant task i asks from. */
/** Scenario B spaces the questions 2 h 11 min 59 s apart: most answers differ, little is shared. */
const B_STEP = 7_919_000;
/** Scenario D's range either side of now, ms. */
const D_SPAN = 10 * 365 * 86_400_000;
/** A random instant for task i in timed pass `pass` (-1: the warm-up), the same for every contender. */
function randomInstant(i: number, pass: number): number {
  let t = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(pass + 2, 0x85ebca6b)) >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x7feb352d) >>> 0;
  t = Math.imul(t ^ (t >>> 15), 0x846ca68b) >>> 0;
  t = (t ^ (t >>> 16)) >>> 0;
  return NOW - D_SPAN + Math.floor((t / 4_294_967_296) * 2 * D_SPAN);
}
/** Scenario C's order of B's questions: a seeded shuffle of the task indexes. */
const SHUFFLED = (() => {
  const order = Array.from({ length: SAMPLE_TASKS }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = randomInstant(i, 99) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
})();
function askFrom(i: number, scenario: Scenario, pass: number): number {
  if (scenario === 'A') return NOW;
  if (scenario === 'B') return NOW + i * B_STEP;
  // Another millisecond in every pass (the warm-up's is -1): the same question is never asked twice.
  if (scenario === 'C') return NOW + SHUFFLED[i % SAMPLE_TASKS]! * B_STEP + 3 * (pass + 2);
  return randomInstant(i, pass);
}

interface Contender {
  label: string;
  /** How many of the tasks are timed. */
  timed(scenario: Scenario): number;
  /** Untimed preparation (Horae: creating the triggers); returns its duration in ms. */
  prepare(scenario: Scenario): number;
  /** The timed part: the next fire time of task i. */
  next(i: number, scenario: Scenario, pass: number): number;
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
    next: (i, scenario, pass) => triggers[i]!.getNextFireTime(scenario === 'A' ? null : askFrom(i, scenario, pass), NOW)!,
  };
}

const cronParserNaive: Contender = {
  label: 'cron-parser, parse + next per task',
  timed: () => SAMPLE_TASKS,
  prepare: () => 0,
  next: (i, scenario, pass) => CronExpressionParser.parse(expressionOf(i), { currentDate: askFrom(i, scenario, pass), tz: TZ }).next().getTime(),
};

function cronParserShared(): Contender {
  const parsed = CRON_EXPRESSIONS.map((expression) => CronExpressionParser.parse(expression, { tz: TZ }));
  return {
    label: 'cron-parser, 5 shared parses, reset + next',
    timed: () => SAMPLE_TASKS,
    prepare: () => 0,
    next(i, scenario, pass) {
      const expression = parsed[i % parsed.length]!;
      expression.reset(new Date(askFrom(i, scenario, pass)));
      return expression.next().getTime();
    },
  };
}

const cronerNaive: Contender = {
  label: 'croner, new Cron + nextRun per task',
  timed: () => SAMPLE_TASKS,
  prepare: () => 0,
  next: (i, scenario, pass) => new Cron(expressionOf(i), { timezone: TZ, paused: true }).nextRun(new Date(askFrom(i, scenario, pass)))!.getTime(),
};

function cronerShared(): Contender {
  const jobs = CRON_EXPRESSIONS.map((expression) => new Cron(expression, { timezone: TZ, paused: true }));
  return {
    label: 'croner, 5 shared jobs, nextRun',
    timed: () => SAMPLE_TASKS,
    prepare: () => 0,
    next: (i, scenario, pass) => jobs[i % jobs.length]!.nextRun(new Date(askFrom(i, scenario, pass)))!.getTime(),
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
  for (let i = 0; i < 1_000; i++) contender.next(i, scenario, -1);
  const passes: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const start = performance.now();
    for (let i = 0; i < tasks; i++) results[i] = contender.next(i, scenario, repeat);
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
  console.log("### C. B's questions in a shuffled order, other milliseconds in every pass (no answer can be remembered)\n");
  const c = await runScenario('C');
  console.log('### D. For reference: random instants within ten years of now, other ones in every pass\n');
  const d = await runScenario('D');

  const usPerTask = (timing: Timing): number => (timing.totalMs * 1000) / timing.results.length;
  const over = (timings: Map<string, Timing>, peer: string): number => usPerTask(timings.get(peer)!) / usPerTask(timings.get('horae')!);
  /** Against croner at its best: whichever of its two ways is faster. */
  const overCroner = (timings: Map<string, Timing>): number => Math.min(over(timings, 'croner-naive'), over(timings, 'croner-shared'));
  const correct = (timings: Map<string, Timing>): boolean => {
    const reference = timings.get('cron-parser-naive')!.results;
    return timings.get('horae')!.results.slice(0, reference.length).every((value, i) => value === reference[i]);
  };
  printGoal(
    'Horae at least 10x faster per task than naive cron-parser (scenario A, one common now)',
    over(a, 'cron-parser-naive') >= 10,
    `A: ${fmt(over(a, 'cron-parser-naive'), 1)}x`,
  );
  for (const [label, timings] of [['B', b], ['C', c]] as const) {
    printGoal(
      `Per real computation (scenario ${label}): Horae at least 10x faster than naive cron-parser and 2x faster than croner at its best, every answer equal to cron-parser's`,
      over(timings, 'cron-parser-naive') >= 10 && overCroner(timings) >= 2 && correct(timings),
      `${label}: ${fmt(over(timings, 'cron-parser-naive'), 1)}x naive cron-parser, ${fmt(over(timings, 'cron-parser-shared'), 1)}x shared cron-parser, ${fmt(overCroner(timings), 1)}x croner at its best; answers ${correct(timings) ? 'all equal' : 'NOT all equal'}`,
    );
  }
  console.log(
    `\nFor reference, D (random instants over 20 years): ${fmt(over(d, 'cron-parser-naive'), 1)}x naive cron-parser, ${fmt(overCroner(d), 1)}x croner at its best; answers ${correct(d) ? 'all equal' : 'NOT all equal'}.`,
  );
}

const [name, scenario] = process.argv.slice(2);
if (name !== undefined) await child(name, scenario === 'B' || scenario === 'C' || scenario === 'D' ? scenario : 'A');
else await parent();
