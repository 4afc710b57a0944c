/**
 * Exploratory, not a benchmark with a goal: where one Horae process spends a drain of 10,000 due
 * tasks on MongoDB. Counts the commands the store's client sends (driver command monitoring), by
 * command name and in total per batch of 100, the time from resume() to the last fire, mongod's
 * CPU time over the drain (from /proc, when the server runs on this machine and its pid file is
 * known), and with `--profile <file>` writes a CPU profile of the drain (node:inspector).
 * `--no-change-stream` leaves the store polling; `--batch N` sets the scheduler's batchSize;
 * `--no-history` turns the run history off (`runHistory: false`; on by default, as in the scheduler).
 *
 *   node --import ./register.mjs src/mongodb/drain-profile.ts [--standalone] [--no-change-stream] [--batch 100] [--no-history] [--profile drain.cpuprofile]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Scheduler } from '@horae/core';
import { MongoDBStore } from '@horae/mongodb';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { HANDLER, adminClient, databaseFor, dropDatabase, replicaSetUrl, standaloneUrl } from './lib.js';

const TASKS = 10_000;
const args = process.argv.slice(2);
const standalone = args.includes('--standalone');
const profileFile = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
const changeStream = !args.includes('--no-change-stream');
const batchSize = args.includes('--batch') ? Number(args[args.indexOf('--batch') + 1]) : 100;
const history = !args.includes('--no-history');
const url = standalone ? standaloneUrl() : replicaSetUrl();
const database = databaseFor(`drain-profile-${process.pid}`);

function mongodCpuMs(): number | undefined {
  const pidFile = process.env.MONGOD_PID_FILE ?? `${process.cwd()}/../.services/mongodb/${standalone ? 'standalone' : 'rs'}/mongod.pid`;
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

const client = new MongoClient(url, { monitorCommands: true, serverSelectionTimeoutMS: 2_000 });
const commands = new Map<string, number>();
let counting = false;
client.on('commandStarted', (event: CommandStartedEvent) => {
  if (!counting) return;
  const command = event.command as { updates?: { q?: object }[]; deletes?: { q?: object }[]; filter?: object };
  const statements = command.updates ?? command.deletes;
  const filter = statements?.[0]?.q ?? command.filter;
  const shape = filter === undefined ? '' : ` ${JSON.stringify(Object.keys(filter)).slice(0, 60)}`;
  const many = statements === undefined ? '' : ` x${statements.length > 1 ? 'n' : '1'}`;
  const name = `${event.commandName}${shape}${many} on ${String(event.command[event.commandName])}`;
  commands.set(name, (commands.get(name) ?? 0) + 1);
});

let fired = 0;
let resolveDone: () => void;
const done = new Promise<void>((resolve) => (resolveDone = resolve));
const scheduler = new Scheduler({ stores: { default: new MongoDBStore({ client, database, changeStream }) }, encryptionKey: null, instanceId: 'drain-profile', batchSize, ...(history ? {} : { runHistory: false as const }) });
scheduler.define(HANDLER, () => {
  if (++fired === TASKS) resolveDone();
});
await scheduler.start({ paused: true });
const runAt = Date.now();
for (let i = 0; i < TASKS; i += 1_000) {
  await scheduler.addTasks(Array.from({ length: 1_000 }, (_, k) => ({ handler: HANDLER, args: { i: i + k }, trigger: { type: 'date' as const, runAt }, misfireGraceTime: null })));
}
await new Promise((resolve) => setTimeout(resolve, 500));

const session = profileFile === undefined ? undefined : new Session();
if (session !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const cpu0 = process.cpuUsage();
const mongod0 = mongodCpuMs();
counting = true;
const started = performance.now();
scheduler.resume();
await done;
const ms = performance.now() - started;
// What follows the last fire: the last run-lease release.
await new Promise((resolve) => setTimeout(resolve, 200));
counting = false;
const cpu = process.cpuUsage(cpu0);
const mongod1 = mongodCpuMs();
if (session !== undefined) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile!, JSON.stringify(profile));
  session.disconnect();
}
await scheduler.shutdown();
await client.close();
const admin = adminClient(url);
await dropDatabase(admin, database);
await admin.close();

const total = [...commands.values()].reduce((a, b) => a + b, 0);
console.log(`${standalone ? 'standalone' : 'replica set'}, run history ${history ? 'on' : 'off'}: ${TASKS} tasks in ${ms.toFixed(0)} ms = ${((TASKS / ms) * 1000).toFixed(0)} tasks/s (one process)`);
console.log(`node CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; mongod CPU ${mongod0 === undefined || mongod1 === undefined ? '?' : (mongod1 - mongod0).toFixed(0)} ms`);
console.log(`commands: ${total} = ${((total / TASKS) * 100).toFixed(2)} per batch of 100`);
for (const [name, count] of [...commands].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(6)}  ${name}`);
