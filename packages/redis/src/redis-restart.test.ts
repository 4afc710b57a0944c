import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, restartSuite, type RestartableServer } from '@horae/testkit';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';
import { RedisStore } from './index.js';

const hasServer = spawnSync('redis-server', ['--version']).status === 0;
const quiet = () => undefined;

/** A redis-server of this test's own, with an append-only file so that its data outlives a restart. */
async function startRedis(port: number, dir: string): Promise<void> {
  spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], {
    stdio: 'ignore',
    detached: true,
  }).unref();
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', quiet); // refused until the server listens; the wait below retries
  await vi.waitFor(async () => expect(await probe.connect().then(() => probe.ping())).toBe('PONG'), { timeout: 10_000, interval: 100 });
  probe.disconnect();
}

async function stopRedis(port: number): Promise<void> {
  const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  await admin.shutdown('SAVE').catch(() => undefined); // the connection closes as the server stops
  admin.disconnect();
}

async function redisServer(): Promise<RestartableServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'horae-redis-restart-'));
  return {
    start: () => startRedis(port, dir),
    stop: () => stopRedis(port),
    openStore: () => new RedisStore({ url: `redis://127.0.0.1:${port}`, pollInterval: 200 }),
    remove: async () => {
      await stopRedis(port);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (!hasServer && process.env.CI !== 'true') console.warn('\n*** @horae/redis: redis-server is not installed, so the restart test is SKIPPED (scripts/services.sh up installs it). ***\n');

restartSuite({
  name: 'RedisStore across a Redis restart',
  unavailable: hasServer ? undefined : 'redis-server must be installed (scripts/services.sh up)',
  servers: [{ create: redisServer }],
});
