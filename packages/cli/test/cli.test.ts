import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore, Scheduler, type TaskStore } from '@horae/core';
import { MongoDBStore } from '@horae/mongodb';
import { PostgresStore } from '@horae/postgres';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { RedisStore } from '@horae/redis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The built `horae` binary, run as a user runs it: a child process, no colours, no terminal. */
function horae(args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', HORAE_STORE_ENCRYPTION_KEY: '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// The built binary is what is tested: without a build, these tests fail in CI (which builds
// first) and are skipped elsewhere, loudly.
const HOW = 'build first: `pnpm build` (CI builds before the tests)';
beforeAll(() => {
  if (!existsSync(CLI) && process.env.CI === 'true') throw new Error(`${CLI} is missing: ${HOW}`);
});
if (!existsSync(CLI)) console.warn(`\n*** @horae/cli: dist/cli.js is missing, so the tests of the horae binary are SKIPPED; ${HOW}. ***\n`);
const built = existsSync(CLI) || process.env.CI === 'true';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A live instance (this test process) on a store, running `report` and `fail`, with three tasks. */
async function live(store: TaskStore, options: { encryptionKey?: string } = {}) {
  const scheduler = new Scheduler({ logger: quiet, timezone: 'Europe/Berlin', stores: { default: store }, ...options });
  const runs: string[] = [];
  scheduler.define('report', (kind: string, ctx) => {
    runs.push(ctx.taskId);
    return `report ${kind}`;
  });
  await scheduler.start();
  await scheduler.addTask({ id: 'nightly-export', handler: 'report', args: 'nightly', trigger: { type: 'cron', expression: '0 3 * * *' }, replaceExisting: true });
  await scheduler.addTask({ id: 'digest', handler: 'report', args: 'digest', trigger: { type: 'interval', minutes: 15 }, replaceExisting: true });
  await scheduler.addTask({ id: 'ticker', handler: 'report', args: 'tick', trigger: { type: 'interval', seconds: 1 }, replaceExisting: true });
  cleanups.push(() => scheduler.shutdown());
  return { scheduler, runs };
}

async function fileStore(): Promise<{ directory: string; url: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-cli-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return { directory, url: `file:${directory}` };
}

describe.runIf(built)('horae against a FileStore with a live instance beside it', () => {
  it('lists and inspects, as tables and as JSON', async () => {
    const { directory, url } = await fileStore();
    await live(new FileStore({ directory }));
    const table = await horae(['--store', url, 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATE\s+NEXT RUN\s+TRIGGER\s+HANDLER\s+STORE$/m);
    expect(table.stdout).toMatch(/^nightly-export\s+scheduled\s+\d{4}-\d\d-\d\d 03:00:00 Europe\/Berlin \(in .+\)\s+cron '0 3 \* \* \*' \(Europe\/Berlin\)\s+report\s+default$/m);
    const json = await horae(['--store', url, '--json', 'list', '--sort', 'id']);
    expect((JSON.parse(json.stdout) as { tasks: { id: string }[] }).tasks.map((task) => task.id)).toEqual(['digest', 'nightly-export', 'ticker']);
    const filtered = await horae(['--store', url, '--json', 'list', '--trigger', 'cron']);
    expect((JSON.parse(filtered.stdout) as { tasks: { id: string }[] }).tasks.map((task) => task.id)).toEqual(['nightly-export']);
    const inspected = JSON.parse((await horae(['--store', url, '--json', 'inspect', 'nightly-export', '--count', '3'])).stdout) as { task: { args: string }; nextFireTimes: string[] };
    expect(inspected.task.args).toBe('nightly');
    expect(inspected.nextFireTimes).toHaveLength(3);
    const missing = await horae(['--store', url, 'inspect', 'nope']);
    expect(missing).toMatchObject({ code: 3, stdout: '' });
    expect(missing.stderr).toBe('horae: no task "nope": list the ids with horae list\n');
  });

  it('finds the stores in a horae.config.mjs, upward from the working directory or given with --config', async () => {
    const { directory } = await fileStore();
    await live(new FileStore({ directory }));
    const core = new URL('../../core/dist/index.js', import.meta.url).href;
    await writeFile(join(directory, 'horae.config.mjs'), `import { FileStore } from ${JSON.stringify(core)};\nexport default { stores: { main: new FileStore({ directory: ${JSON.stringify(directory)} }) }, timezone: 'Asia/Tokyo' };\n`);
    const below = join(directory, 'deeper', 'still');
    await mkdir(below, { recursive: true });
    const found = await horae(['--json', 'list', '--sort', 'id'], { HORAE_STORE: '' }, below);
    expect(found.stderr).toBe('');
    expect((JSON.parse(found.stdout) as { tasks: { id: string; store: string }[] }).tasks.map((task) => `${task.store}:${task.id}`)).toEqual(['main:digest', 'main:nightly-export', 'main:ticker']);
    const given = await horae(['--config', join(directory, 'horae.config.mjs'), 'list', '--in', 'main', '--trigger', 'cron'], { HORAE_STORE: '' });
    expect(given.stdout).toMatch(/^nightly-export\s+scheduled/m);
    const missing = await horae(['--config', join(directory, 'nope.mjs'), 'list'], { HORAE_STORE: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });

  it('has a live instance run a task now, and shows the run in its history', async () => {
    const { directory, url } = await fileStore();
    const { runs } = await live(new FileStore({ directory }));
    const ran = await horae(['--store', url, 'run', 'digest', '--wait', '20']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^succeeded on /);
    expect(runs).toContain('digest');
    const history = JSON.parse((await horae(['--store', url, '--json', 'history', 'digest'])).stdout) as { runs: { outcome: string; result: string }[] };
    expect(history.runs[0]).toMatchObject({ outcome: 'succeeded', result: '"report digest"' });
    // The schedule goes on as before: the next run is a quarter of an hour on, not now.
    const next = JSON.parse((await horae(['--store', url, '--json', 'inspect', 'digest'])).stdout) as { task: { nextRunTime: string } };
    expect(Date.parse(next.task.nextRunTime)).toBeGreaterThan(Date.now() + 10 * 60_000);
  });

  it('lists every fire of every task in a window, frequent ones included', async () => {
    const { directory, url } = await fileStore();
    await live(new FileStore({ directory }));
    const window = JSON.parse((await horae(['--store', url, '--json', 'timeline', '--to', '+2h'])).stdout) as { fires: { taskId: string; time: string }[] };
    const count = (id: string) => window.fires.filter((fire) => fire.taskId === id).length;
    // Every second for two hours (give or take the one due as the command runs), every 15 min.
    expect(count('ticker')).toBeGreaterThanOrEqual(7_198);
    expect(count('digest')).toBe(8);
    const times = window.fires.map((fire) => Date.parse(fire.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('warns when no instance is alive to run a task', async () => {
    const { directory, url } = await fileStore();
    const { scheduler } = await live(new FileStore({ directory }));
    await scheduler.shutdown();
    const asked = await horae(['--store', url, 'run', 'digest']);
    expect(asked.code).toBe(0);
    expect(asked.stderr).toMatch(/^horae: warning: no instance is alive: the task runs when one starts \(within its misfire grace time of 1 s, else the fire is missed\)\n$/);
  });

  it('pauses a task so that the live instance stops firing it, and resumes it', async () => {
    const { directory, url } = await fileStore();
    const { runs } = await live(new FileStore({ directory }));
    await expect.poll(() => runs.filter((id) => id === 'ticker').length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect((await horae(['--store', url, 'pause', 'ticker'])).stdout).toBe('paused ticker\n');
    const paused = runs.filter((id) => id === 'ticker').length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // At most one run that had started before the pause was written.
    expect(runs.filter((id) => id === 'ticker').length).toBeLessThanOrEqual(paused + 1);
    expect(JSON.parse((await horae(['--store', url, '--json', 'list', '--state', 'paused'])).stdout).tasks).toHaveLength(1);
    expect((await horae(['--store', url, 'resume', 'ticker'])).code).toBe(0);
    await expect.poll(() => runs.filter((id) => id === 'ticker').length, { timeout: 5_000 }).toBeGreaterThan(paused + 1);
  });

  it('reschedules, after a dry run that changes nothing', async () => {
    const { directory, url } = await fileStore();
    const { scheduler } = await live(new FileStore({ directory }));
    const dry = await horae(['--store', url, 'reschedule', 'nightly-export', '30 2 * * *', '--dry-run']);
    expect(dry.stdout).toContain('dry run: nothing was changed');
    expect(dry.stdout).toMatch(/NOW: cron '0 3 \* \* \*' \(Europe\/Berlin\)\s+NEW: cron '30 2 \* \* \*' \(Europe\/Berlin\)/);
    expect((await scheduler.getTaskInfo('nightly-export'))?.triggerDescription).toBe("cron '0 3 * * *' (Europe/Berlin)");
    expect((await horae(['--store', url, 'reschedule', 'nightly-export', '30 2 * * *'])).code).toBe(0);
    expect((await scheduler.getTaskInfo('nightly-export'))?.triggerDescription).toBe("cron '30 2 * * *' (Europe/Berlin)");
    const invalid = await horae(['--store', url, 'reschedule', 'nightly-export', '0 25 * * *']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^horae: Task "nightly-export": cron trigger: invalid expression "0 25 \* \* \*"/);
  });

  it('asks before removing, and refuses to guess without a terminal', async () => {
    const { directory, url } = await fileStore();
    const { scheduler } = await live(new FileStore({ directory }));
    const refused = await horae(['--store', url, 'remove', 'digest']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes to confirm');
    expect(await scheduler.getTask('digest')).not.toBeNull();
    expect((await horae(['--store', url, 'remove', 'digest', '--yes'])).code).toBe(0);
    expect(await scheduler.getTask('digest')).toBeNull();
  });

  it('lists, restores and discards quarantined records; status counts them', async () => {
    const { directory, url } = await fileStore();
    const store = new FileStore({ directory });
    await live(store);
    await store.quarantineTask('digest', 'planted for the test');
    await store.quarantineTask('ticker', 'planted as well');
    const listed = JSON.parse((await horae(['--store', url, '--json', 'quarantine', 'list'])).stdout) as { tasks: { id: string; reason: string }[] };
    expect(listed.tasks.map((task) => [task.id, task.reason]).sort()).toEqual([['digest', 'planted for the test'], ['ticker', 'planted as well']]);
    const status = JSON.parse((await horae(['--store', url, '--json', 'status'])).stdout) as { quarantined: number; counts: { scheduled: number }; instances: unknown[] };
    expect(status).toMatchObject({ quarantined: 2, counts: { scheduled: 1 } });
    expect(status.instances).toHaveLength(1);
    expect((await horae(['--store', url, 'quarantine', 'restore', 'digest'])).stdout).toMatch(/^restored digest: next run /);
    expect((await horae(['--store', url, 'quarantine', 'discard', 'ticker', '--yes'])).code).toBe(0);
    expect(JSON.parse((await horae(['--store', url, '--json', 'quarantine', 'list'])).stdout).tasks).toEqual([]);
  });

  it('doctor: all well, then each planted fault found (exit code 4)', async () => {
    const { directory, url } = await fileStore();
    const store = new FileStore({ directory });
    const { scheduler } = await live(store, { encryptionKey: 'the key' });
    const env = { HORAE_STORE_ENCRYPTION_KEY: 'the key' };
    const well = await horae(['--store', url, 'doctor'], env);
    expect(well.stdout).toMatch(/^ok\s+records\s+all 3 task records read and decrypted/m);
    expect(well.code).toBe(0);
    const noKey = await horae(['--store', url, 'doctor']);
    expect(noKey.code).toBe(4);
    expect(noKey.stdout).toMatch(/^FAIL\s+records\s+3 task record\(s\) cannot be read here: they are encrypted and HORAE_STORE_ENCRYPTION_KEY is not set/m);
    // Each record counted once, however many times the checks read it.
    expect(noKey.stderr).toContain('warning: 3 task record(s) could not be read here');
    const wrongKey = await horae(['--store', url, 'doctor'], { HORAE_STORE_ENCRYPTION_KEY: 'another key' });
    expect(wrongKey.stdout).toMatch(/FAIL\s+records\s+3 task record\(s\) cannot be read here: HORAE_STORE_ENCRYPTION_KEY is not the key/);
    // Other commands show what they can read, and say that some records were left out.
    const listed = await horae(['--store', url, 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('horae: warning: 3 task record(s) could not be read here and are not shown (no or another HORAE_STORE_ENCRYPTION_KEY?): run horae doctor\n');
    // The doctor read without the key, and moved nothing: the live instance still reads all.
    expect(await scheduler.getTaskInfos()).toHaveLength(3);
    await store.quarantineTask('digest', 'planted');
    await scheduler.addTask({ id: 'orphan', handler: 'report', trigger: { type: 'interval', hours: 1 } });
    const observer = new Scheduler({ logger: quiet, encryptionKey: 'the key', stores: { default: new FileStore({ directory }) } });
    await observer.start({ observe: true });
    await observer.updateTask('orphan', { handler: 'not-defined-anywhere' });
    await observer.shutdown();
    const faults = await horae(['--store', url, '--json', 'doctor'], env);
    expect(faults.code).toBe(4);
    const checks = (JSON.parse(faults.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks;
    expect(checks.find((check) => check.name === 'quarantine')).toMatchObject({ status: 'warn', detail: expect.stringContaining('digest (planted)') });
    expect(checks.find((check) => check.name === 'handlers')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not-defined-anywhere') });
  });
});

describe.runIf(built)('horae without a store, or with a bad one', () => {
  it('previews a trigger without any store', async () => {
    const preview = await horae(['--json', 'preview', 'every 15m', '--count', '3', '--from', '2026-01-01T00:00:00Z']);
    expect(JSON.parse(preview.stdout)).toMatchObject({ description: 'interval every 15 minutes', nextFireTimes: ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:45:00.000Z'] });
    const cron = await horae(['preview', '0 3 * * 1-5', '--timezone', 'Europe/Berlin', '--count', '2', '--from', '2026-01-02T12:00:00Z']);
    // Friday noon: the next two weekday mornings are Monday's and Tuesday's.
    expect(cron.stdout.split('\n').map((line) => line.replace(/ \((in .*|.* ago|now)\)$/, ''))).toEqual([
      "cron '0 3 * * 1-5' (Europe/Berlin)",
      '  2026-01-05 03:00:00 Europe/Berlin',
      '  2026-01-06 03:00:00 Europe/Berlin',
      '',
    ]);
  });

  it('prints no colours into a pipe, even with CI set, and colours when FORCE_COLOR says so', async () => {
    const piped = await horae(['preview', 'every 1h', '--count', '1'], { NO_COLOR: '', CI: 'true' });
    expect(piped.stdout).not.toContain('\u001b[');
    const forced = await horae(['preview', 'every 1h', '--count', '1'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(forced.stdout).toContain('\u001b[');
  });

  it('answers a wrong command line with exit code 2 and one line', async () => {
    const unknown = await horae(['lst']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^horae: unknown command 'lst'\n\(Did you mean list\?\)\n$/);
    const badUrl = await horae(['--store', 'postgress://x', 'list']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(
      /^horae: --store "postgress:\/\/x" is not a store URL: give redis:\/\/host:port, mongodb:\/\/host:port\/\?\.\.\., postgres:\/\/user@host:port\/database, or file:\.\/directory\n$/,
    );
    const noStore = await horae(['list'], { HORAE_STORE: '' });
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain('no store given');
    const help = await horae(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ horae run nightly-export --wait 120');
  });

  it('reports an unreachable store in one line with exit code 1, within seconds', async () => {
    for (const [url, command] of [
      ['redis://127.0.0.1:1', 'list'],
      ['redis://127.0.0.1:1', 'doctor'],
      ['mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500', 'list'],
      ['postgres://horae@127.0.0.1:1/horae', 'list'],
      ['postgres://horae@127.0.0.1:1/horae', 'doctor'],
    ]) {
      const down = await horae(['--store', url!, command!]);
      expect(down.code, url).toBe(1);
      expect(down.stderr.trim().split('\n'), url).toHaveLength(1);
      expect(down.stderr, url).toMatch(/^horae: .*127\.0\.0\.1:1/);
      expect(down.stderr).not.toMatch(/\n\s+at /);
      expect(down.ms, url).toBeLessThan(10_000);
    }
  });
});

/** Runs the suites against a real server at `url`; without one, skips loudly (fails in CI). */
function withServer(name: string, variable: string, suites: (url: string) => void): void {
  const url = process.env[variable];
  if (!built) return;
  if (url !== undefined && url !== '') return suites(url);
  const how = 'run `scripts/services.sh up && source .services/env` at the repository root';
  if (process.env.CI === 'true') {
    describe(name, () => it('runs against a real server', () => expect.fail(`${variable} is not set: CI must run these tests against a real server; ${how}.`)));
    return;
  }
  console.warn(`\n*** @horae/cli: ${variable} is not set, so the ${name} tests are SKIPPED; ${how}. ***\n`);
  describe.skip(name, () => it('runs against a real server', () => undefined));
}

withServer('horae against Redis', 'REDIS_URL', (url) => {
  it('lists, runs through a live instance, and checks the clock', async () => {
    const prefix = `cli-${process.pid}-${Date.now()}`;
    const { scheduler } = await live(new RedisStore({ url, prefix }));
    cleanups.push(() => scheduler.removeAllTasks());
    const listed = JSON.parse((await horae(['--store', url, '--prefix', prefix, '--json', 'list', '--sort', 'id'])).stdout) as { tasks: { id: string }[] };
    expect(listed.tasks.map((task) => task.id)).toEqual(['digest', 'nightly-export', 'ticker']);
    const ran = await horae(['--store', url, '--prefix', prefix, 'run', 'nightly-export', '--wait', '20']);
    expect(ran.stdout).toMatch(/^succeeded on /);
    const doctor = await horae(['--store', url, '--prefix', prefix, 'doctor']);
    expect(doctor.stdout).toMatch(/^ok\s+clock\s+the store's clock is .* (ahead of|behind) this machine's$/m);
    expect(doctor.stdout).toMatch(/^ok\s+due index\s+3 task row\(s\): 3 in the due index, 0 paused$/m);
    // A planted fault: a task taken out of the due index behind the store's back.
    const client = new Redis(url);
    await client.zrem(`{${prefix}}:due`, 'digest');
    client.disconnect();
    const found = await horae(['--store', url, '--prefix', prefix, 'doctor']);
    expect(found.code).toBe(4);
    expect(found.stdout).toMatch(/^FAIL\s+due index\s+3 task row\(s\) but 2 in the due index and 0 paused/m);
  });
});

withServer('horae against MongoDB', 'MONGODB_URL', (url) => {
  it('lists, pauses, and checks the clock', async () => {
    const database = `cli_${process.pid}_${Date.now()}`;
    const { scheduler } = await live(new MongoDBStore({ url, database }));
    cleanups.push(() => scheduler.removeAllTasks());
    const listed = JSON.parse((await horae(['--store', url, '--database', database, '--json', 'list', '--sort', 'id'])).stdout) as { tasks: { id: string }[] };
    expect(listed.tasks.map((task) => task.id)).toEqual(['digest', 'nightly-export', 'ticker']);
    expect((await horae(['--store', url, '--database', database, 'pause', 'digest'])).code).toBe(0);
    expect((await scheduler.getTaskInfo('digest'))?.state).toBe('paused');
    const doctor = await horae(['--store', url, '--database', database, 'doctor']);
    expect(doctor.stdout).toMatch(/^ok\s+clock\s+the store's clock is/m);
    expect(doctor.stdout).toMatch(/^ok\s+indexes\s+/m);
    // A planted fault: the index claims read, dropped.
    const client = new MongoClient(url);
    await client.db(database).collection('tasks').dropIndex('horae_due');
    await client.close();
    const found = await horae(['--store', url, '--database', database, 'doctor']);
    expect(found.code).toBe(4);
    expect(found.stdout).toMatch(/^FAIL\s+indexes\s+missing: tasks\.horae_due /m);
  });
});

withServer('horae against PostgreSQL', 'DATABASE_URL', (url) => {
  it('lists, runs through a live instance, checks the clock and the tables', async () => {
    const schema = `cli_${process.pid}_${Date.now()}`;
    const { scheduler } = await live(new PostgresStore({ connectionString: url, schema }));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      await admin.end();
    });
    const listed = JSON.parse((await horae(['--store', url, '--schema', schema, '--json', 'list', '--sort', 'id'])).stdout) as { tasks: { id: string }[] };
    expect(listed.tasks.map((task) => task.id)).toEqual(['digest', 'nightly-export', 'ticker']);
    const ran = await horae(['--store', url, '--schema', schema, 'run', 'nightly-export', '--wait', '20']);
    expect(ran.stdout).toMatch(/^succeeded on /);
    expect((await horae(['--store', url, '--schema', schema, 'pause', 'digest'])).code).toBe(0);
    expect((await scheduler.getTaskInfo('digest'))?.state).toBe('paused');
    const doctor = await horae(['--store', url, '--schema', schema, 'doctor']);
    expect(doctor.stdout).toMatch(/^ok\s+clock\s+the store's clock is .* (ahead of|behind) this machine's$/m);
    expect(doctor.stdout).toMatch(new RegExp(`^ok\\s+tables\\s+${schema}\\.horae_tasks at schema version 1, with its indexes$`, 'm'));
    // Planted faults: the due index dropped by hand; a schema no store has used.
    await admin.query(`DROP INDEX ${pg.escapeIdentifier(schema)}.horae_tasks_due`);
    const found = await horae(['--store', url, '--schema', schema, 'doctor']);
    expect(found.code).toBe(4);
    expect(found.stdout).toMatch(/^FAIL\s+tables\s+missing index\(es\) on .*: horae_tasks_due /m);
    const elsewhere = await horae(['--store', url, '--schema', `${schema}_typo`, 'doctor']);
    cleanups.push(() => admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(`${schema}_typo`)} CASCADE`));
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stdout).toMatch(/^FAIL\s+tables\s+no store's tables at .*_typo\.horae_tasks .*check --schema and --table$/m);
  });
});
