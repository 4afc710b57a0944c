/**
 * Starts two replicas of one application on one Redis, lets them run, stops them, and shows that
 * every fire ran exactly once — shared between the two.
 *
 * Needs a Redis: `bash scripts/services.sh up && source .services/env` from the repository root
 * starts one and sets REDIS_URL; then `pnpm --filter @horae/example-redis-replicas start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const RUN_FOR_MS = Number(process.env.DEMO_DURATION_MS ?? 8_000);
if (process.env.REDIS_URL === undefined) {
  console.error('REDIS_URL is not set. From the repository root: bash scripts/services.sh up && source .services/env');
  process.exit(1);
}

// A clean slate for the example's own keys.
const redis = new Redis(process.env.REDIS_URL);
const keys = await redis.keys('{horae-example}*');
if (keys.length > 0) await redis.del(...keys);
await redis.quit();

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

const replicas = await Promise.all([start('replica-a'), start('replica-b')]);
await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));
await Promise.all(replicas.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));

const twice = [...fires].filter(([, by]) => by.length > 1);
const byReplica = (name: string) => [...fires.values()].filter((by) => by.includes(name)).length;
console.log(`\n${fires.size} fires in ${RUN_FOR_MS / 1000} s: ${byReplica('replica-a')} by replica-a, ${byReplica('replica-b')} by replica-b.`);
console.log(twice.length === 0 ? 'Every fire ran exactly once.' : `Fires that ran twice: ${twice.map(([key]) => key).join(', ')}`);
process.exit(twice.length === 0 ? 0 : 1);
