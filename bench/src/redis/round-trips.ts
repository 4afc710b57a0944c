/**
 * Redis benchmark 4: Redis commands per dispatched task. 10,000 tasks already due, drained by
 * one Horae scheduler (one process) at `batchSize` 100, and for reference at 10 and 1,000, and
 * 10,000 waiting jobs drained by one BullMQ Worker with default options.
 *
 * Two counts, over the drain only (from "go" until every task ran, plus 300 ms for the
 * bookkeeping that follows the last run, such as releasing its run lease):
 *
 * - `INFO commandstats` deltas (calls). Redis counts every command it executes there, including
 *   those a Lua script runs (`redis.call`), so an EVALSHA that reads and writes five keys counts
 *   six: this is the work done on the server, not what crossed the network.
 * - Round trips: the commands the contender's connections sent, from `MONITOR` (which marks the
 *   commands a script runs as coming from "lua"; those are left out), its connections found by
 *   their client names in CLIENT LIST. Commands pipelined together (MULTI/EXEC, or ioredis
 *   pipelines) count one each here, though they share a network round trip.
 *
 * The benchmark's own commands (INFO, CLIENT) are excluded from both. The server should be
 * otherwise idle (it waits for that, bounded); other clients' commands during the drain are
 * counted and reported, since commandstats cannot tell them apart. A 1 s reading before "go",
 * with the contender connected but paused, shows its background rate (timers, polling).
 */
import type { Redis } from 'ioredis';
import { fmt, printGoal, printTable, runChild, sendToParent } from '../lib/report.js';
import { BackgroundLog, adminClient, callDelta, commandCalls, deleteTagKeys, epochNow, horaePrefix, isContenderConnection, joinGroup, redisHeader, runGroup, sleep } from './lib.js';
import type { Drainer } from '../lib/drain.js';
import { bullmqDrainer, horaeDrainer, loadDueBullmq, loadDueHorae } from './workload.js';

const TASKS = 10_000;
const IDLE_MS = 1_000;
const SETTLE_MS = 300;

interface Case {
  horae: boolean;
  batchSize?: number;
}

const cases: Record<string, Case> = {
  'Horae, batchSize 100': { horae: true, batchSize: 100 },
  'Horae, batchSize 10 (reference)': { horae: true, batchSize: 10 },
  'Horae, batchSize 1,000 (reference)': { horae: true, batchSize: 1_000 },
  'BullMQ, 1 Worker, defaults (reference)': { horae: false },
};
const GOAL_CASE = Object.keys(cases)[0]!;

// ------------------------------------------------------------------ children

async function loadChild(name: string, tag: string): Promise<void> {
  const loadMs = cases[name]!.horae ? await loadDueHorae(horaePrefix(tag), TASKS) : await loadDueBullmq(tag, TASKS);
  await sendToParent(loadMs);
  process.exit(0);
}

async function drainChild(name: string, tag: string): Promise<void> {
  const { horae, batchSize } = cases[name]!;
  let fired = 0;
  const onFire = (): void => void fired++;
  const drainer: Drainer = horae ? horaeDrainer(horaePrefix(tag), 'round-trips', onFire, batchSize) : bullmqDrainer(tag, onFire);
  await joinGroup<number>({
    setup: () => drainer.setup(),
    go: () => drainer.go(),
    count: () => fired,
    finish: async () => {
      await drainer.stop();
      return fired;
    },
  });
  process.exit(0);
}

// ------------------------------------------------------------------ parent

type Counts = Map<string, number>;

/** Commands seen by MONITOR in one phase, by origin. */
interface Monitored {
  /** Sent by the contender's connections (found by their client names). */
  client: Counts;
  /** Run by Lua scripts (anyone's: MONITOR does not say whose). */
  lua: Counts;
  /** Sent by other clients of the server (not the contender's, not this benchmark's). */
  foreign: Counts;
}

/** Commands by source address ("lua" for scripts), then by command. */
type BySource = Map<string, Counts>;

function classify(bySource: BySource, ours: Set<string>): Monitored {
  const result: Monitored = { client: new Map(), lua: new Map(), foreign: new Map() };
  for (const [source, counts] of bySource) {
    const into = source === 'lua' ? result.lua : ours.has(source) ? result.client : result.foreign;
    for (const [command, count] of counts) into.set(command, (into.get(command) ?? 0) + count);
  }
  return result;
}

interface CaseResult {
  ran: number;
  drainMs: number;
  /** INFO commandstats calls during the drain. */
  stats: Counts;
  drain: Monitored;
  idle: Monitored;
  /** INFO commandstats calls per second while connected but paused. */
  idleStatsPerS: number;
}

const sum = (counts: Counts): number => [...counts.values()].reduce((a, b) => a + b, 0);
const bump = (counts: Counts, key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * A client command's name; for a script call, also which script: the start of its SHA-1 and the
 * shape of the first keys it is given, without the namespace and with ids as `<id>`
 * (`{horae-bench:<tag>}:released:<task id>` -> `released:<id>`, `bullmq-bench:<tag>:wait` -> `wait`).
 */
function label(args: string[]): string {
  const command = (args[0] ?? '?').toLowerCase();
  if (command !== 'evalsha' && command !== 'eval') return command;
  const keyCount = Number(args[2]);
  const shown = Number.isInteger(keyCount) ? Math.min(keyCount, 4) : 0;
  const keys = args.slice(3, 3 + shown).map(keyShape);
  return `${command} ${command === 'evalsha' ? (args[1] ?? '').slice(0, 8) : '(body)'} [${keys.join(' ')}${keyCount > shown ? ' ...' : ''}]`;
}

function keyShape(key: string): string {
  const local = key.includes('}:') ? key.slice(key.indexOf('}:') + 2) : key.split(':').slice(2).join(':');
  return local
    .split(':')
    .map((part) => (/^\d+$/.test(part) || part.length >= 16 ? '<id>' : part))
    .join(':');
}

function localAddress(client: Redis): string {
  return `${client.stream.localAddress}:${client.stream.localPort}`;
}

/** The addresses of the contenders' connections, from CLIENT LIST (by client name). */
async function contenderAddresses(client: Redis): Promise<Set<string>> {
  const list = (await client.client('LIST')) as string;
  const addresses = new Set<string>();
  for (const line of list.split('\n')) {
    const fields = new Map(line.split(' ').map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]));
    if (isContenderConnection(fields.get('name') ?? '') && fields.has('addr')) addresses.add(fields.get('addr')!);
  }
  return addresses;
}

async function measure(name: string, round: string, background: BackgroundLog): Promise<CaseResult> {
  const tag = `round-trips-${round}-${process.pid}`;
  const admin = adminClient();
  const monitor = await admin.monitor();
  try {
    await admin.ping();
    const own = localAddress(admin);
    const ours = new Set<string>();
    let phase: 'off' | 'idle' | 'drain' = 'off';
    const seen: Record<'idle' | 'drain', BySource> = { idle: new Map(), drain: new Map() };
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (phase === 'off' || source === own) return;
      let counts = seen[phase].get(source);
      if (counts === undefined) seen[phase].set(source, (counts = new Map<string, number>()));
      bump(counts, source === 'lua' ? (args[0] ?? '?').toLowerCase() : label(args));
    });
    // The contender's connections, by name, listed while they are open (before go and at the end).
    const listOurs = async (): Promise<void> => {
      for (const address of await contenderAddresses(admin)) ours.add(address);
    };

    await runChild<number>(process.argv[1]!, [name, 'load', tag], 120_000);
    await background.quiet(admin);
    let before = new Map<string, number>();
    let idleStats = new Map<string, number>();
    let after = new Map<string, number>();
    let goAt = 0;
    let doneAt = 0;
    const { results } = await runGroup<number>(
      process.argv[1]!,
      [[name, 'drain', tag]],
      TASKS,
      { readyMs: 30_000, runMs: 120_000, stopMs: 30_000 },
      {
        beforeGo: async () => {
          await sleep(200);
          await listOurs();
          const idleStart = await commandCalls(admin);
          phase = 'idle';
          await sleep(IDLE_MS);
          phase = 'off';
          before = await commandCalls(admin);
          idleStats = callDelta(idleStart, before);
          phase = 'drain';
          goAt = epochNow();
        },
        beforeStop: async () => {
          doneAt = epochNow();
          await sleep(SETTLE_MS);
          after = await commandCalls(admin);
          phase = 'off';
          await listOurs();
        },
      },
    );
    return {
      ran: results[0] ?? 0,
      drainMs: doneAt - goAt,
      stats: callDelta(before, after),
      drain: classify(seen.drain, ours),
      idle: classify(seen.idle, ours),
      idleStatsPerS: (sum(idleStats) * 1000) / IDLE_MS,
    };
  } finally {
    monitor.disconnect();
    await deleteTagKeys(admin, tag);
    admin.disconnect();
  }
}

async function parent(): Promise<void> {
  await redisHeader('Redis benchmark 4: Redis commands per dispatched task');
  console.log(`${TASKS.toLocaleString('en-US')} tasks already due, drained by ONE instance in its own process; counted from "go" until every task ran + ${SETTLE_MS} ms.`);
  console.log('Round trips = commands the clients sent (MONITOR, script-internal commands left out); commandstats = INFO commandstats calls');
  console.log("deltas, which also count every redis.call inside Lua scripts. Both exclude the benchmark's own INFO/CLIENT calls.\n");

  const names = Object.keys(cases);
  const results = new Map<string, CaseResult>();
  const background = new BackgroundLog();
  for (const name of names) {
    // Other clients' commands cannot be told apart in commandstats: measure again (up to 3
    // times in all) when any ran during the drain.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await measure(name, `${results.size}-${attempt}`, background);
      results.set(name, result);
      if (sum(result.drain.foreign) === 0) break;
      if (attempt < 3) console.log(`(${name}: other clients were active during the drain; measuring again)`);
    }
  }
  const perTask = (count: number, r: CaseResult): string => fmt(count / r.ran, 3);
  const perSecond = (count: number): string => fmt((count * 1000) / IDLE_MS, 0);

  printTable(
    ['case', 'ran', 'drain ms', 'round trips/task', 'commandstats calls/task', 'of which in scripts', 'other clients, drain', 'paused 1 s: sent / executed / others'],
    names.map((name) => {
      const r = results.get(name)!;
      return [
        name,
        r.ran.toLocaleString('en-US'),
        fmt(r.drainMs, 0),
        perTask(sum(r.drain.client), r),
        perTask(sum(r.stats), r),
        perTask(sum(r.drain.lua), r),
        String(sum(r.drain.foreign)),
        `${perSecond(sum(r.idle.client))} / ${fmt(r.idleStatsPerS, 0)} / ${perSecond(sum(r.idle.foreign))}`,
      ];
    }),
  );
  console.log(`\n${background.summary()}`);
  const disturbed = names.filter((name) => sum(results.get(name)!.drain.foreign) > 0);
  if (disturbed.length > 0) console.log(`WARNING: other clients sent commands during the drain of: ${disturbed.join('; ')}. Their commands (and scripts) are in the commandstats figures there.`);

  console.log('\nRound trips per task, by command (sent by the contender, from MONITOR; scripts by SHA-1 prefix and their keys):\n');
  perCommandTable(results, (r) => r.drain.client);
  console.log('\nINFO commandstats calls per task, by command (including those run inside scripts):\n');
  perCommandTable(results, (r) => r.stats);

  const goal = results.get(GOAL_CASE)!;
  const roundTrips = sum(goal.drain.client) / goal.ran;
  const calls = sum(goal.stats) / goal.ran;
  printGoal(
    'fewer than 2 Redis round trips per dispatched task (Horae, one instance, batchSize 100)',
    roundTrips < 2 && goal.ran === TASKS,
    `${fmt(roundTrips, 3)} round trips/task; by INFO commandstats, which also counts the commands run inside scripts: ${fmt(calls, 3)} calls/task (${calls < 2 ? 'also' : 'not'} below 2); ran ${goal.ran.toLocaleString('en-US')} of ${TASKS.toLocaleString('en-US')}`,
  );
}

function perCommandTable(results: Map<string, CaseResult>, pick: (result: CaseResult) => Counts): void {
  const names = [...results.keys()];
  const perTask = (name: string, command: string): number => (pick(results.get(name)!).get(command) ?? 0) / results.get(name)!.ran;
  const commands = [...new Set(names.flatMap((name) => [...pick(results.get(name)!).keys()]))];
  commands.sort((a, b) => perTask(GOAL_CASE, b) - perTask(GOAL_CASE, a) || a.localeCompare(b));
  printTable(
    ['command', ...names],
    [
      ...commands.map((command) => [command, ...names.map((name) => fmt(perTask(name, command), 3))]),
      ['total', ...names.map((name) => fmt(sum(pick(results.get(name)!)) / results.get(name)!.ran, 3))],
    ],
  );
}

const [name, step, tag] = process.argv.slice(2);
if (name === undefined) await parent();
else if (step === 'load') await loadChild(name, tag!);
else await drainChild(name, tag!);
