/**
 * Starts two replicas of one application on one MongoDB, lets them run, stops them, and shows
 * that every fire ran exactly once — shared between the two.
 *
 * Needs a MongoDB: `bash scripts/services.sh up && source .services/env` from the repository root
 * starts one (a one-node replica set, so change streams work) and sets MONGODB_URL; then
 * `pnpm --filter @horae/example-mongodb-replicas start`. Any MongoDB works: set MONGODB_URL to it
 * (the example uses the database "horae-example" and drops it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';

const RUN_FOR_MS = Number(process.env.DEMO_DURATION_MS ?? 8_000);
if (process.env.MONGODB_URL === undefined) {
  console.error('MONGODB_URL is not set. From the repository root: bash scripts/services.sh up && source .services/env');
  process.exit(1);
}

// A clean slate for the example's own database.
const client = new MongoClient(process.env.MONGODB_URL, { serverSelectionTimeoutMS: 5_000 });
await client.db('horae-example').dropDatabase();
await client.close();

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
process.exit(twice.length === 0 && fires.size > 0 ? 0 : 1);
