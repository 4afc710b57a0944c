/**
 * Exploratory, not a benchmark with a goal: where one Horae process spends a drain of 10,000 due
 * tasks on PostgreSQL. Times every call the scheduler makes to its `PostgresStore` (count, total
 * and mean time, items passed), and reads over the drain the process's CPU time, the PostgreSQL
 * server's (from /proc) and the transactions counted in the run's database (`pg_stat_database`,
 * about one per statement). `--no-history` turns the run history off (`runHistory: false`).
 * For a CPU profile of the drain, run it with `node --cpu-prof`.
 *
 *   node --import ./register.mjs src/postgres/drain-profile.ts [--no-history]
 */
import { adminClient, createDatabase, databaseFor, dropDatabase, horaeScheduler, loadDueHorae, serverCpuMs, transactions } from './lib.js';
import type { PostgresStore } from '@horae/postgres';

const TASKS = 10_000;
const history = !process.argv.includes('--no-history');
const database = databaseFor(`drain_profile_${process.pid}`);

/** Per store method: calls, total ms, items (the length of an array argument, else 1). */
const calls = new Map<string, { calls: number; ms: number; items: number }>();
let timing = false;

/** The store with each method timed while {@link timing} is on. */
function timed(store: PostgresStore): PostgresStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await method.apply(target, args);
        } finally {
          if (timing) {
            const entry = calls.get(String(property)) ?? { calls: 0, ms: 0, items: 0 };
            entry.calls++;
            entry.ms += performance.now() - started;
            entry.items += Array.isArray(args[0]) ? args[0].length : 1;
            calls.set(String(property), entry);
          }
        }
      };
    },
  });
}

const admin = await adminClient();
await createDatabase(admin, database);
try {
  await loadDueHorae(database, TASKS);
  let fired = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const scheduler = horaeScheduler({
    database,
    instanceId: 'drain-profile',
    wrapStore: timed,
    onFire: () => {
      if (++fired === TASKS) resolveDone();
    },
    ...(history ? {} : { runHistory: false as const }),
  });
  await scheduler.start({ paused: true });
  await scheduler.getTask('bench-connect');
  const xact0 = await transactions(admin, database);
  const server0 = await serverCpuMs(admin);
  const cpu0 = process.cpuUsage();
  timing = true;
  const started = performance.now();
  scheduler.resume();
  await done;
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  await scheduler.shutdown();
  timing = false;
  // The scheduler's connections have closed, so their backends have reported their counts.
  const xact = (await transactions(admin, database, true)) - xact0;
  const server = (await serverCpuMs(admin)) - server0;

  console.log(`run history ${history ? 'on' : 'off'}: ${TASKS} tasks in ${ms.toFixed(0)} ms = ${((TASKS / ms) * 1000).toFixed(0)} tasks/s (one process)`);
  console.log(`process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; PostgreSQL CPU ${server.toFixed(0)} ms; ${xact} transactions (${((xact / TASKS) * 100).toFixed(2)} per 100 tasks), shutdown included`);
  for (const [method, entry] of [...calls].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${method}: ${entry.calls} calls, ${entry.ms.toFixed(0)} ms in all, ${(entry.ms / entry.calls).toFixed(2)} ms each, ${entry.items} items`);
  }
} finally {
  await dropDatabase(admin, database);
  await admin.end();
}
