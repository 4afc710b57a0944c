import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, restartSuite, type RestartableServer } from '@horae/testkit';
import { MongoClient } from 'mongodb';
import { expect, vi } from 'vitest';
import { MongoDBStore } from './index.js';

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

/** A mongod of this test's own, on its own port and data directory, which outlive a restart. */
class Mongod {
  private initiated = false;

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
  async start(): Promise<void> {
    const initiate = !this.initiated;
    const args = ['--bind_ip', '127.0.0.1', '--port', String(this.port), '--dbpath', this.dir, '--fork', '--logpath', join(this.dir, 'log'), '--pidfilepath', join(this.dir, 'pid')];
    args.push('--nounixsocket', '--wiredTigerCacheSizeGB', '0.25', '--setParameter', 'diagnosticDataCollectionEnabled=false');
    if (this.replicaSet) args.push('--replSet', 'rs0', '--oplogSize', '64');
    const started = spawnSync(this.binary, args, { encoding: 'utf8', timeout: 60_000 });
    if (started.status !== 0) throw new Error(`mongod did not start: ${started.stdout}${started.stderr}; see ${join(this.dir, 'log')}`);
    const direct = new MongoClient(`mongodb://127.0.0.1:${this.port}/?directConnection=true`, { serverSelectionTimeoutMS: 5_000 });
    try {
      if (initiate && this.replicaSet) await direct.db('admin').command({ replSetInitiate: { _id: 'rs0', members: [{ _id: 0, host: `127.0.0.1:${this.port}` }] } });
      this.initiated = true;
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

/** A mongod on a free port and a fresh data directory, not started yet. */
async function mongodServer(binary: string, replicaSet: boolean): Promise<RestartableServer> {
  const dir = await mkdtemp(join(tmpdir(), 'horae-mongod-restart-'));
  const mongod = new Mongod(binary, await freePort(), dir, replicaSet);
  return {
    start: () => mongod.start(),
    stop: () => mongod.stop(),
    openStore: () => new MongoDBStore({ url: mongod.url, pollInterval: 200 }),
    remove: async () => {
      await mongod.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const binary = findMongod();
if (binary === undefined && process.env.CI !== 'true') {
  console.warn('\n*** @horae/mongodb: no mongod binary found (MONGOD_BINARY, PATH, or the cache of scripts/services.sh up), so the mongod restart tests are SKIPPED. ***\n');
}

restartSuite({
  name: 'MongoDBStore across a mongod restart',
  unavailable: binary === undefined ? 'a mongod binary is needed: run scripts/services.sh up, or set MONGOD_BINARY' : undefined,
  servers: [
    { kind: 'replica set', create: () => mongodServer(binary!, true) },
    { kind: 'standalone server', create: () => mongodServer(binary!, false) },
  ],
  // mongod takes longer than Redis to be back and to elect itself primary again
  settle: 5_000,
  margin: 2_000,
  timeout: 120_000,
});
