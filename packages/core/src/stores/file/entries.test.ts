/**
 * Entries someone with write access to the store's directory may put there: under a task file's
 * name, under another name, in the quarantine and in the run leases. None may be read (a FIFO
 * would hang the store, a link to /dev/zero fill the memory, a link to a secret leak it), none
 * may stop the store, and each is reported by its name.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, type Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SchedulerEvent } from '../../events/events.js';
import type { Logger } from '../../logger/logger.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { releaseOne } from '../../../test/harness.js';
import { FileStore, type FileStoreOptions } from './file-store.js';
import type { StoreContext, StoredTask } from '../store.js';

const SECRET = `horae-secret-${randomBytes(8).toString('hex')}`;
/** Stands in the content of the oversized file: it must not be copied into any record or message. */
const OVERSIZED_MARKER = `oversized-content-${randomBytes(8).toString('hex')}`;
const MiB = 1024 * 1024;

const directories: string[] = [];
const opened: { shutdown(): Promise<unknown> }[] = [];
const fifos: string[] = [];

afterEach(async () => {
  vi.useRealTimers();
  // Were a FIFO ever opened for reading (as it was before the store refused them), the reader
  // would wait for a writer for ever: be that writer, so that the test process can end.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting (ENXIO), or gone
    }
  }
  for (const store of opened.splice(0)) await store.shutdown();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-file-entries-'));
  directories.push(directory);
  return directory;
}

/** A file outside the store's directory holding {@link SECRET}, as /etc/shadow would. */
async function secretFile(): Promise<string> {
  const path = join(await freshDirectory(), 'shadow');
  await writeFile(path, `root:${SECRET}:19000:0:99999:7:::\n`, { mode: 0o600 });
  return path;
}

/** What a store said: logged messages (with their details) and quarantine reports. */
function recorder() {
  const said: string[] = [];
  const reported: { id: string; reason: string }[] = [];
  const note =
    (level: string) =>
    (message: string, ...details: unknown[]): void =>
      void said.push(`${level}: ${message} ${details.map((detail) => (detail instanceof Error ? `${detail.message} ${detail.stack}` : JSON.stringify(detail))).join(' ')}`);
  const logger: Logger = { debug: note('debug'), info: note('info'), warn: note('warn'), error: note('error') };
  const context: StoreContext = { alias: 'files', logger, instanceId: 'test', wake: () => undefined, quarantined: (id, reason) => void reported.push({ id, reason }) };
  return { said, reported, logger, context };
}

async function open(directory: string, context: StoreContext, options: Partial<FileStoreOptions> = {}): Promise<FileStore> {
  const store = new FileStore({ directory, pollInterval: 60_000, ...options });
  opened.push(store);
  await store.start(context);
  return store;
}

const task = (id: string, nextRunTime: number | null, revision = 1, payload = `{"task":${JSON.stringify(id)}}`): StoredTask => ({ id, nextRunTime, revision, payload });
const ids = (tasks: readonly StoredTask[]): string[] => tasks.map((stored) => stored.id);

/** Pretends the clock is `ms` ahead of `start` (Date only; timers stay real). */
function clockAt(start: number, ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start + ms);
}

/** The text of every regular file under `directory`, links not followed: what a look at the folder shows. */
async function regularFileTexts(directory: string): Promise<string> {
  let text = '';
  for (const name of await readdir(directory)) {
    const path = join(directory, name);
    const entry = await lstat(path);
    if (entry.isDirectory()) text += await regularFileTexts(path);
    else if (entry.isFile()) text += `${name}\n${await readFile(path, 'utf8')}\n`;
  }
  return text;
}

function kindOf(entry: Stats): string {
  return entry.isSymbolicLink() ? 'link' : entry.isDirectory() ? 'directory' : entry.isFIFO() ? 'fifo' : entry.isFile() ? 'file' : 'other';
}

/** A valid task file, due at once, larger than the default limit of 1 MiB. */
const oversizedTaskFile = (id: string) => JSON.stringify({ id, nextRunTime: 0, revision: 1, payload: `${'x'.repeat(MiB)}${OVERSIZED_MARKER}`, claim: null });

interface BadEntry {
  readonly kind: string;
  /** What the reason says it is. */
  readonly is: RegExp;
  make(path: string, id: string): Promise<void>;
}

const badEntries: readonly BadEntry[] = [
  { kind: 'a directory', is: /is a directory, not a regular file/, make: (path) => mkdir(path) },
  {
    kind: 'a FIFO',
    is: /is a named pipe \(FIFO\), not a regular file/,
    make: async (path) => {
      execFileSync('mkfifo', [path]);
      fifos.push(path);
    },
  },
  { kind: 'a link to /dev/zero', is: /is a symbolic link, not a regular file/, make: (path) => symlink('/dev/zero', path) },
  { kind: 'a link to a secret outside the directory', is: /is a symbolic link, not a regular file/, make: async (path) => symlink(await secretFile(), path) },
  { kind: 'a link to nothing', is: /is a symbolic link, not a regular file/, make: (path) => symlink(join(tmpdir(), `horae-nothing-${randomBytes(4).toString('hex')}`), path) },
  { kind: 'a regular file over maxFileSize', is: /is \d+ bytes, more than the 1048576 allowed \(FileStore option maxFileSize\)/, make: (path, id) => writeFile(path, oversizedTaskFile(id)) },
];

/** Nothing of the secret, or of the oversized file's content, in anything the store said or kept. */
async function expectNothingLeaked(directory: string, said: readonly unknown[]): Promise<void> {
  const quarantined = await regularFileTexts(join(directory, 'quarantine'));
  expect(quarantined).not.toContain(SECRET);
  const records = (await readdir(join(directory, 'quarantine'))).filter((name) => name.endsWith('.json'));
  for (const name of records) {
    const entry = await lstat(join(directory, 'quarantine', name));
    if (entry.isFile()) expect(await readFile(join(directory, 'quarantine', name), 'utf8')).not.toContain(OVERSIZED_MARKER);
  }
  const words = JSON.stringify(said);
  expect(words).not.toContain(SECRET);
  expect(words).not.toContain(OVERSIZED_MARKER);
}

describe('FileStore: entries it must not read, under a task file\'s name', () => {
  it.each(badEntries)('quarantines $kind by name, unread; every other task keeps firing, and the id is free again', async ({ is, make }) => {
    const directory = await freshDirectory();
    const start = Date.now();
    const { context, said, reported } = recorder();
    const store = await open(directory, context);
    await store.addTask(task('healthy', 1000));
    const path = join(directory, 'bad.000000000001.task');
    await make(path, 'bad');
    const made = kindOf(await lstat(path));

    // The healthy task is claimed, released, and claimed again at its next run time.
    const claim = (now: number) => store.claimDueTasks({ now, limit: 10, owner: 'me', duration: 60_000 });
    expect(ids(await claim(1000))).toEqual(['healthy']);
    expect(await releaseOne(store, { id: 'healthy', owner: 'me', claimedRevision: 1, nextRunTime: 2000, removeWhenFinished: true })).toBe(true);
    expect(ids(await claim(2000))).toEqual(['healthy']);
    expect(ids(await store.getAllTasks())).toEqual(['healthy']);
    expect(await store.lookupTask('bad')).toBeNull();

    const held = await store.getQuarantinedTasks();
    expect(held).toEqual([{ id: 'bad', payload: null, nextRunTime: null, revision: 0, reason: expect.stringMatching(is), quarantinedAt: expect.any(Number) }]);
    expect(held[0]!.reason).toMatch(/^its file bad\.000000000001\.task .*; it was not read$/);
    expect(reported).toEqual([{ id: 'bad', reason: held[0]!.reason }]);
    // Nothing was read, so nothing can be restored: the record stays as it was.
    await store.restoreQuarantinedTask('bad');
    expect(await store.lookupTask('bad')).toBeNull();
    expect(await store.getQuarantinedTasks()).toEqual(held);

    // The id is not blocked: a task can be added under it at once.
    await store.addTask(task('bad', 5000, 1, 'a new life'));
    expect(await store.lookupTask('bad')).toEqual(task('bad', 5000, 1, 'a new life'));

    // Once superseded long enough, the entry leaves the directory into the quarantine, whole and unread.
    clockAt(start, 20_000);
    expect(ids(await store.getAllTasks())).toEqual(['healthy', 'bad']);
    expect(await readdir(directory)).not.toContain('bad.000000000001.task');
    const aside = (await readdir(join(directory, 'quarantine'))).filter((name) => /^bad\.000000000001\.task\.\d+-[0-9a-f]{8}\.aside$/.test(name));
    expect(aside).toHaveLength(1);
    expect(kindOf(await lstat(join(directory, 'quarantine', aside[0]!)))).toBe(made);
    expect(said.join('\n')).toMatch(/File bad\.000000000001\.task in store "files" .*it was moved, as it is, to quarantine\/bad\.000000000001\.task\./);
    await expectNothingLeaked(directory, [said, reported, held]);
  }, 30_000);

  it('keeps what it set aside as it was: a link still points where it pointed, an oversized file keeps its bytes', async () => {
    const directory = await freshDirectory();
    const start = Date.now();
    const { context } = recorder();
    const store = await open(directory, context);
    const target = await secretFile();
    await symlink(target, join(directory, 'leak.000000000001.task'));
    await writeFile(join(directory, 'big.000000000001.task'), oversizedTaskFile('big'));
    expect(await store.getAllTasks()).toEqual([]);
    clockAt(start, 20_000);
    await store.getAllTasks();
    const names = await readdir(join(directory, 'quarantine'));
    const leak = names.find((name) => name.startsWith('leak.') && name.endsWith('.aside'))!;
    const big = names.find((name) => name.startsWith('big.') && name.endsWith('.aside'))!;
    expect(await readlink(join(directory, 'quarantine', leak))).toBe(target);
    expect(await readFile(join(directory, 'quarantine', big), 'utf8')).toBe(oversizedTaskFile('big'));
    // After the tombstones are collected, nothing of either is left in the directory.
    clockAt(start, 11 * 60_000);
    await store.getAllTasks();
    expect((await readdir(directory)).sort()).toEqual(['history', 'instances', 'quarantine', 'runs']);
  });

  it('reads files up to maxFileSize, which is configurable, and refuses to write a task whose file would not fit', async () => {
    const directory = await freshDirectory();
    const { context } = recorder();
    const store = await open(directory, context, { maxFileSize: 64 * 1024 });
    const fits = JSON.stringify({ id: 'fits', nextRunTime: 1, revision: 1, payload: 'x'.repeat(60 * 1024), claim: null });
    await writeFile(join(directory, 'fits.000000000001.task'), fits);
    await writeFile(join(directory, 'over.000000000001.task'), JSON.stringify({ id: 'over', nextRunTime: 1, revision: 1, payload: 'x'.repeat(65 * 1024), claim: null }));
    expect(ids(await store.getAllTasks())).toEqual(['fits']);
    expect((await store.getQuarantinedTasks()).map(({ id, reason }) => ({ id, reason }))).toEqual([
      { id: 'over', reason: expect.stringMatching(/^its file over\.000000000001\.task is \d+ bytes, more than the 65536 allowed/) },
    ]);
    // Writes keep 4 KiB free for what claims add, so that every task written stays readable.
    await expect(store.addTask(task('large', 1, 1, 'x'.repeat(62 * 1024)))).rejects.toSatisfy(
      (error: Error & { code?: string }) => error.code === 'INVALID_OPTION' && /Task "large": its file in store "files" would be \d+ bytes, more than the 61440 allowed .*maxFileSize/.test(error.message),
    );
    await store.addTask(task('small', 1, 1, 'x'.repeat(50 * 1024)));
    await expect(store.updateTask(task('small', 1, 2, 'x'.repeat(62 * 1024)))).rejects.toSatisfy((error: Error & { code?: string }) => error.code === 'INVALID_OPTION');
    expect((await store.claimDueTasks({ now: 1, limit: 10, owner: 'o'.repeat(200), duration: 1000 })).map(({ id }) => id).sort()).toEqual(['fits', 'small']);
  });
});

describe('FileStore: entries it must not read, under other names', () => {
  it.each(badEntries)('moves $kind under a name it does not write into the quarantine, unread, and reports it by name', async ({ is, make }) => {
    const directory = await freshDirectory();
    const { context, said, reported } = recorder();
    const store = await open(directory, context);
    await store.addTask(task('healthy', 1000));
    await make(join(directory, 'stray.task'), 'stray');
    const made = kindOf(await lstat(join(directory, 'stray.task')));
    expect(ids(await store.claimDueTasks({ now: 1000, limit: 10, owner: 'me', duration: 60_000 }))).toEqual(['healthy']);
    expect(await readdir(directory)).not.toContain('stray.task');
    const held = await store.getQuarantinedTasks();
    expect(held).toEqual([{ id: 'stray.task', payload: null, nextRunTime: null, revision: 0, reason: expect.stringMatching(is), quarantinedAt: expect.any(Number) }]);
    expect(held[0]!.reason).toMatch(/^its file name is not <id>\.<generation>\.task, .*; it was not read, and was moved to quarantine\/stray\.task\.\d+-[0-9a-f]{8}\.aside$/);
    expect(reported).toEqual([{ id: 'stray.task', reason: held[0]!.reason }]);
    const aside = held[0]!.reason.split('quarantine/')[1]!;
    expect(kindOf(await lstat(join(directory, 'quarantine', aside)))).toBe(made);
    // Purging forgets the record; what was set aside stays for a person to look at.
    await store.purgeQuarantinedTask('stray.task');
    expect(await store.getQuarantinedTasks()).toEqual([]);
    expect(await readdir(join(directory, 'quarantine'))).toContain(aside);
    await expectNothingLeaked(directory, [said, reported, held]);
  }, 30_000);
});

describe('FileStore: entries it must not read, in its own folders', () => {
  it('lists entries of the quarantine folder that are not regular files by name, unread, and purges them', async () => {
    const directory = await freshDirectory();
    const { context, said } = recorder();
    const store = await open(directory, context);
    const folder = join(directory, 'quarantine');
    await symlink(await secretFile(), join(folder, 'leak.json'));
    await symlink('/dev/zero', join(folder, 'zero.json'));
    execFileSync('mkfifo', [join(folder, 'pipe.json')]);
    fifos.push(join(folder, 'pipe.json'));
    await mkdir(join(folder, 'folder.json'));
    const held = await store.getQuarantinedTasks();
    expect(held.map(({ id }) => id).sort()).toEqual(['folder', 'leak', 'pipe', 'zero']);
    for (const record of held) {
      expect(record.payload).toBeNull();
      expect(record.reason).toMatch(/^its quarantine record is (a symbolic link|a named pipe \(FIFO\)|a directory), not a regular file; it was not read$/);
    }
    await store.restoreQuarantinedTask('leak'); // nothing to restore
    expect(await store.lookupTask('leak')).toBeNull();
    for (const id of ['folder', 'leak', 'pipe', 'zero']) await store.purgeQuarantinedTask(id);
    expect(await store.getQuarantinedTasks()).toEqual([]);
    // The directory could not be unlinked: it was set aside, unread.
    expect((await readdir(folder)).filter((name) => name.endsWith('.aside'))).toEqual([expect.stringMatching(/^folder\.json\./)]);
    await expectNothingLeaked(directory, [said, held]);
  }, 30_000);

  it('counts a run-lease file that is not a regular file as a free slot, unread', async () => {
    const directory = await freshDirectory();
    const { context, said } = recorder();
    const store = await open(directory, context);
    const runs = join(directory, 'runs');
    execFileSync('mkfifo', [join(runs, 't.0.000000000001.lease')]);
    fifos.push(join(runs, 't.0.000000000001.lease'));
    await symlink(await secretFile(), join(runs, 't.1.000000000001.lease'));
    const run = (runId: string) => ({ taskId: 't', runId, owner: 'me', scheduledAt: 1 });
    expect(await store.acquireRunLease(run('r1'), 2, 60_000)).toBe(true);
    expect(await store.acquireRunLease(run('r2'), 2, 60_000)).toBe(true);
    expect(await store.acquireRunLease(run('r3'), 2, 60_000)).toBe(false);
    expect(said.join('\n')).toMatch(/Run-lease file t\.0\.000000000001\.lease .*is a named pipe \(FIFO\), not a regular file; it was not read\); its slot counts as free/);
    await expectNothingLeaked(directory, [said]);
  }, 30_000);
});

describe('FileStore: a scheduler beside entries it must not read', () => {
  it('keeps firing its healthy task, reports every bad entry by name, leaks nothing, and shuts down with a FIFO present', async () => {
    const directory = await freshDirectory();
    const kinds = badEntries.map((entry, index) => ({ ...entry, id: `bad-${index}` }));
    for (const { id, make } of kinds) await make(join(directory, `${id}.000000000001.task`), id);
    await symlink(await secretFile(), join(directory, 'stray.task'));
    const { logger, said } = recorder();
    const scheduler = new Scheduler({ timezone: 'UTC', logger, stores: { default: new FileStore({ directory, pollInterval: 200 }) } });
    opened.push({ shutdown: () => scheduler.shutdown({ wait: false }) });
    const events: SchedulerEvent[] = [];
    scheduler.on('*', (event) => void events.push(event));
    scheduler.define('tick', () => 'ticked');
    await scheduler.addTask({ id: 'healthy', handler: 'tick', trigger: { type: 'interval', milliseconds: 50 } });
    await scheduler.start();

    const fired = () => events.filter((event) => event.type === 'task:executed' && event.taskId === 'healthy').length;
    await vi.waitFor(() => expect(fired()).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 20 });
    const quarantined = events.flatMap((event) => (event.type === 'task:quarantined' ? [event.taskId] : []));
    expect(quarantined.sort()).toEqual([...kinds.map(({ id }) => id), 'stray.task'].sort());
    expect((await scheduler.getQuarantinedTasks()).map(({ id }) => id).sort()).toEqual(quarantined);
    for (const { id, is } of kinds) {
      const event = events.find((candidate) => candidate.type === 'task:quarantined' && candidate.taskId === id);
      expect(event).toMatchObject({ reason: expect.stringMatching(is) });
    }

    expect((await lstat(join(directory, `${kinds[1]!.id}.000000000001.task`))).isFIFO()).toBe(true);
    await scheduler.shutdown();
    expect(scheduler.state).toBe('stopped');
    await expectNothingLeaked(directory, [said, events]);
  }, 30_000);
});
