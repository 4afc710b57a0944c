import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Scheduler, type RunContext } from '@horae/core';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MongoDBStore } from './mongodb-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;
const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The mongod binary: `MONGOD_BINARY`, else `mongod` on the PATH, else the one
 * `scripts/services.sh up` fetched into its cache (the same places it looks).
 */
function findMongod(): string | undefined {
  const given = process.env.MONGOD_BINARY;
  if (given !== undefined && given !== '') return given;
  if (spawnSync('mongod', ['--version']).status === 0) return 'mongod';
  const home = process.env.HOME ?? homedir();
  const caches = [
    process.env.HORAE_SERVICES_CACHE,
    process.env.XDG_CACHE_HOME === undefined ? undefined : join(process.env.XDG_CACHE_HOME, 'horae'),
    join(home, '.cache', 'horae'),
    join(REPOSITORY, '.services-cache'),
  ];
  for (const cache of caches) {
    if (cache === undefined || !existsSync(cache)) continue;
    for (const entry of readdirSync(cache).sort().reverse()) {
      const binary = join(cache, entry, 'mongod');
      if (entry.startsWith('mongod-') && existsSync(binary)) return binary;
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A mongod of this test's own, on its own port and data directory, which outlive a restart. */
class Mongod {
  constructor(
    private readonly binary: string,
    private readonly port: number,
    private readonly dir: string,
    private readonly replicaSet: boolean,
  ) {}

  get url(): string {
    return `mongodb://127.0.0.1:${this.port}/${this.replicaSet ? '?replicaSet=rs0' : ''}`;
  }

  /** Starts it (--fork returns once it accepts connections); the first time, initiates the set. */
  async start(initiate: boolean): Promise<void> {
    const args = ['--bind_ip', '127.0.0.1', '--port', String(this.port), '--dbpath', this.dir, '--fork', '--logpath', join(this.dir, 'log'), '--pidfilepath', join(this.dir, 'pid')];
    args.push('--nounixsocket', '--wiredTigerCacheSizeGB', '0.25', '--setParameter', 'diagnosticDataCollectionEnabled=false');
    if (this.replicaSet) args.push('--replSet', 'rs0', '--oplogSize', '64');
    const started = spawnSync(this.binary, args, { encoding: 'utf8', timeout: 60_000 });
    if (started.status !== 0) throw new Error(`mongod did not start: ${started.stdout}${started.stderr}; see ${join(this.dir, 'log')}`);
    const direct = new MongoClient(`mongodb://127.0.0.1:${this.port}/?directConnection=true`, { serverSelectionTimeoutMS: 5_000 });
    try {
      if (initiate && this.replicaSet) await direct.db('admin').command({ replSetInitiate: { _id: 'rs0', members: [{ _id: 0, host: `127.0.0.1:${this.port}` }] } });
      await vi.waitFor(async () => expect((await direct.db('admin').command({ hello: 1 })).isWritablePrimary).toBe(true), { timeout: 30_000, interval: 100 });
    } finally {
      await direct.close();
    }
  }

  /** Stops it as a restart would: SIGTERM, a clean shutdown, then the process is gone. */
  async stop(): Promise<void> {
    const pidFile = join(this.dir, 'pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return; // gone already
    }
    await vi.waitFor(
      () => {
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
        expect(alive).toBe(false);
      },
      { timeout: 30_000, interval: 100 },
    );
  }
}

const binary = findMongod();
const runs = binary !== undefined || process.env.CI === 'true' ? describe : describe.skip;
if (binary === undefined && process.env.CI !== 'true') {
  console.warn('\n*** @horae/mongodb: no mongod binary found (MONGOD_BINARY, PATH, or the cache of scripts/services.sh up), so the mongod restart tests are SKIPPED. ***\n');
}

runs('MongoDBStore across a mongod restart', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  for (const replicaSet of [true, false]) {
    it(`keeps the scheduler running through a restart of a ${replicaSet ? 'replica set' : 'standalone server'}: logs it once, resumes, loses and doubles nothing`, { timeout: 120_000 }, async () => {
      expect(binary, 'a mongod binary is needed: run scripts/services.sh up, or set MONGOD_BINARY').toBeDefined();
      const dir = await mkdtemp(join(tmpdir(), 'horae-mongod-restart-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const mongod = new Mongod(binary!, await freePort(), dir, replicaSet);
      await mongod.start(true);
      cleanups.push(() => mongod.stop());

      const errors: string[] = [];
      const scheduler = new Scheduler({
        timezone: 'UTC',
        storeRetryInterval: 300,
        leaseDuration: 2_000,
        logger: { debug: quiet, info: quiet, warn: quiet, error: (message: string) => void errors.push(message) },
        stores: { default: new MongoDBStore({ url: mongod.url, pollInterval: 200 }) },
      });
      cleanups.push(() => scheduler.shutdown({ wait: false }));
      const fires: number[] = [];
      scheduler.define('tick', (_args: unknown, ctx: RunContext) => void fires.push(ctx.scheduledAt.getTime()));
      const startAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
      await scheduler.start();
      await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt }, misfireGraceTime: null, coalesce: false });

      await sleep(startAt - Date.now() + 2_500);
      await mongod.stop();
      await sleep(3_000); // fires fall due while mongod is gone
      await mongod.start(false);
      await sleep(5_000);
      const end = Date.now();
      await scheduler.shutdown();

      // Every fire time up to two seconds before the end ran, once, also those due during the outage.
      const expected: number[] = [];
      for (let time = startAt; time <= end - 2_000; time += 1_000) expected.push(time);
      expect(new Set(fires).size, 'a fire ran twice').toBe(fires.length);
      for (const time of expected) expect(fires, `the fire at ${new Date(time).toISOString()} was lost`).toContain(time);
      expect(errors.filter((message) => message.includes('retrying')), errors.join('\n')).toHaveLength(1);
    });
  }
});
