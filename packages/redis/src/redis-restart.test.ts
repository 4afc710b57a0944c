import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler, type RunContext } from '@horae/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisStore } from './redis-store.js';

const hasServer = spawnSync('redis-server', ['--version']).status === 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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

const runs = hasServer || process.env.CI === 'true' ? describe : describe.skip;
if (!hasServer && process.env.CI !== 'true') console.warn('\n*** @horae/redis: redis-server is not installed, so the restart test is SKIPPED (scripts/services.sh up installs it). ***\n');

runs('RedisStore across a Redis restart', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the scheduler running through a restart: logs it once, resumes, loses and doubles nothing', { timeout: 60_000 }, async () => {
    expect(hasServer, 'redis-server must be installed (scripts/services.sh up)').toBe(true);
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'horae-redis-restart-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await startRedis(port, dir);
    cleanups.push(() => stopRedis(port));

    const errors: string[] = [];
    const scheduler = new Scheduler({
      timezone: 'UTC',
      storeRetryInterval: 300,
      leaseDuration: 2_000,
      logger: { debug: quiet, info: quiet, warn: quiet, error: (message: string) => void errors.push(message) },
      stores: { default: new RedisStore({ url: `redis://127.0.0.1:${port}`, pollInterval: 200 }) },
    });
    cleanups.push(() => scheduler.shutdown({ wait: false }));
    const fires: number[] = [];
    scheduler.define('tick', (_args: unknown, ctx: RunContext) => void fires.push(ctx.scheduledAt.getTime()));
    const startAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
    await scheduler.start();
    await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt }, misfireGraceTime: null, coalesce: false });

    await sleep(startAt - Date.now() + 2_500);
    await stopRedis(port);
    await sleep(3_000); // fires fall due while Redis is gone
    await startRedis(port, dir);
    await sleep(4_000);
    const end = Date.now();
    await scheduler.shutdown();

    // Every fire time up to a second before the end ran, once, also those due during the outage.
    const expected: number[] = [];
    for (let time = startAt; time <= end - 1_000; time += 1_000) expected.push(time);
    expect(new Set(fires).size, 'a fire ran twice').toBe(fires.length);
    for (const time of expected) expect(fires, `the fire at ${new Date(time).toISOString()} was lost`).toContain(time);
    expect(errors.filter((message) => message.includes('retrying'))).toHaveLength(1);
  });
});
