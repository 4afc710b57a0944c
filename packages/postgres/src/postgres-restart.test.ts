import { spawnSync } from 'node:child_process';
import { chown, mkdtemp, rm, appendFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, restartSuite, type RestartableServer } from '@horae/testkit';
import { PostgresStore } from './index.js';

/**
 * PostgreSQL's server programs: `PG_BIN` (set by `scripts/services.sh up`), else the newest
 * version Debian's package installed under /usr/lib/postgresql.
 */
function findBin(): string | undefined {
  const given = process.env.PG_BIN;
  if (given !== undefined && given !== '' && existsSync(join(given, 'pg_ctl'))) return given;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((entry) => existsSync(join(root, entry, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? undefined : join(root, versions[0]!, 'bin');
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
const runAs = process.getuid?.() === 0 ? 'postgres' : undefined;

/** Runs one of PostgreSQL's programs (as `postgres` when root), and fails with its output if it fails. */
function run(bin: string, program: string, args: string[]): void {
  const [command, commandArgs] = runAs === undefined ? [join(bin, program), args] : ['runuser', ['-u', runAs, '--', join(bin, program), ...args]];
  // stdio ignored but the log: a server started by pg_ctl would otherwise hold the pipe open.
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stdout}${result.stderr}${result.error?.message ?? ''}`);
}

/** A cluster of this test's own, on its own port and data directory, which outlive a restart. */
async function postgresServer(bin: string): Promise<RestartableServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'horae-postgres-restart-'));
  const data = join(dir, 'data');
  if (runAs !== undefined) {
    const id = (flag: string) => Number(spawnSync('id', [flag, runAs], { encoding: 'utf8' }).stdout.trim());
    await chown(dir, id('-u'), id('-g'));
  }
  let initialized = false;
  const stop = async (): Promise<void> => {
    if (existsSync(join(data, 'postmaster.pid'))) run(bin, 'pg_ctl', ['stop', '-w', '-m', 'fast', '-D', data]);
  };
  return {
    start: async () => {
      if (!initialized) {
        run(bin, 'initdb', ['-D', data, '-U', 'horae', '--auth=trust', '-E', 'UTF8', '--no-sync']);
        await appendFile(data + '/postgresql.conf', `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\n`);
        initialized = true;
      }
      run(bin, 'pg_ctl', ['start', '-w', '-D', data, '-l', join(dir, 'log')]);
    },
    stop,
    openStore: () => new PostgresStore({ connectionString: `postgres://horae@127.0.0.1:${port}/postgres`, pollInterval: 200 }),
    remove: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const bin = findBin();
if (bin === undefined && process.env.CI !== 'true') {
  console.warn("\n*** @horae/postgres: PostgreSQL's server programs were not found (PG_BIN, /usr/lib/postgresql), so the restart test is SKIPPED (scripts/services.sh up installs them). ***\n");
}

restartSuite({
  name: 'PostgresStore across a PostgreSQL restart',
  unavailable: bin === undefined ? "PostgreSQL's server programs must be installed: run scripts/services.sh up, or set PG_BIN" : undefined,
  servers: [{ create: () => postgresServer(bin!) }],
});
