/**
 * Starts two replicas of one application on one shared store (Redis, MongoDB or PostgreSQL, from
 * STORE_URL, else DATABASE_URL), lets them run, stops them, and shows that every fire ran exactly once — shared
 * between the two. See the README for how to run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { clearStore, storeKind, storeUrl } from './store.js';

const RUN_FOR_MS = Number(process.env.DEMO_DURATION_MS ?? 8_000);
const url = storeUrl();
const kind = storeKind(url);
if (kind === undefined) {
  console.error(
    `STORE_URL (or DATABASE_URL) must be a redis://, mongodb:// or postgres:// URL (it is ${url === '' ? 'not set' : JSON.stringify(url)}). ` +
      'From the repository root: bash scripts/services.sh up && source .services/env, then STORE_URL=$REDIS_URL, STORE_URL=$MONGODB_URL or just DATABASE_URL.',
  );
  process.exit(1);
}

// A clean slate for the example's own keys or database.
await clearStore(url);

const replicaScript = fileURLToPath(new URL('./replica.ts', import.meta.url));
const fires = new Map<string, string[]>();

function start(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', replicaScript, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') return resolve(child);
      console.log(line);
      const [replica, , taskId, , , scheduledAt] = line.split(' ');
      const key = `${taskId} ${scheduledAt}`;
      fires.set(key, [...(fires.get(key) ?? []), replica!]);
    });
  });
}

const server = { redis: 'Redis', mongodb: 'MongoDB', postgres: 'PostgreSQL' }[kind];
console.log(`Two replicas on one ${server}, for ${RUN_FOR_MS / 1000} s:\n`);
const replicas = await Promise.all([start('replica-a'), start('replica-b')]);
await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));
await Promise.all(replicas.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));

const twice = [...fires].filter(([, by]) => by.length > 1);
const byReplica = (name: string) => [...fires.values()].filter((by) => by.includes(name)).length;
console.log(`\n${fires.size} fires in ${RUN_FOR_MS / 1000} s: ${byReplica('replica-a')} by replica-a, ${byReplica('replica-b')} by replica-b.`);
console.log(twice.length === 0 ? 'Every fire ran exactly once.' : `Fires that ran twice: ${twice.map(([key]) => key).join(', ')}`);
process.exit(twice.length === 0 && fires.size > 0 ? 0 : 1);
