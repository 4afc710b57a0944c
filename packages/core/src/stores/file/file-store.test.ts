import type * as NodeFs from 'node:fs';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../../errors/index.js';
import type { Logger } from '../../logger/logger.js';
import { releaseOne } from '../../../test/harness.js';
import { FileStore, type FileStoreOptions } from './file-store.js';
import type { StoreContext, StoredTask } from '../store.js';

/** Lets a test take fs.watch away, as on file systems where it does not work. */
const fsWatch = vi.hoisted(() => ({ unavailable: false }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeFs>();
  const watchUnlessUnavailable = (...args: Parameters<typeof actual.watch>) => {
    if (fsWatch.unavailable) throw new Error('fs.watch is not available here');
    return actual.watch(...args);
  };
  return { ...actual, watch: watchUnlessUnavailable };
});

const directories: string[] = [];
const opened: FileStore[] = [];

afterEach(async () => {
  vi.useRealTimers();
  fsWatch.unavailable = false;
  for (const store of opened.splice(0)) await store.shutdown();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-file-store-'));
  directories.push(directory);
  return directory;
}

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function context(wake: () => void = () => undefined): StoreContext {
  return { alias: 'files', logger: silent, instanceId: 'test', wake, quarantined: () => undefined };
}

/** A store on `directory`, started (silently, polling rarely) unless told otherwise. */
async function open(directory: string, options: Partial<FileStoreOptions> = {}, wake?: () => void): Promise<FileStore> {
  const store = new FileStore({ directory, pollInterval: 60_000, ...options });
  opened.push(store);
  await store.start(context(wake));
  return store;
}

const task = (id: string, nextRunTime: number | null, revision = 1, payload = `{"task":${JSON.stringify(id)}}`): StoredTask => ({
  id,
  nextRunTime,
  revision,
  payload,
});

const lease = (owner: string, duration = 60_000) => ({ owner, duration });
const ids = (tasks: readonly StoredTask[]): string[] => tasks.map((stored) => stored.id);
const code = (expected: string) => (error: unknown) => isHoraeError(error, expected as never);

/** The task generation files in a directory, sorted. */
async function taskFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.task')).sort();
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** Pretends the clock is `ms` ahead of `start` (Date only; timers stay real). */
function clockAt(start: number, ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start + ms);
}

describe('FileStore: tasks', () => {
  it('adds, looks up, updates and deletes, with typed errors, and keeps payloads verbatim', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const payload = '{"note":"ünïcødé \\"quoted\\" ✓","n":1}';
    await store.addTask(task('a', 10, 1, payload));
    await expect(store.addTask(task('a', 20))).rejects.toSatisfy(code('CONFLICTING_ID'));
    expect(await store.lookupTask('a')).toEqual({ id: 'a', nextRunTime: 10, revision: 1, payload });
    expect(await store.lookupTask('nope')).toBeNull();
    await store.updateTask(task('a', 30, 2));
    expect(await store.lookupTask('a')).toEqual(task('a', 30, 2));
    await expect(store.updateTask(task('zz', 1))).rejects.toSatisfy(code('TASK_NOT_FOUND'));
    await store.deleteTask('a');
    expect(await store.lookupTask('a')).toBeNull();
    await expect(store.deleteTask('a')).rejects.toThrowError(/No task with id "a" in store "files"/);
    await expect(store.addTask({ id: 'f', nextRunTime: 1, revision: 1, payload: undefined })).rejects.toSatisfy(code('NOT_SERIALIZABLE'));
  });

  it('is persistent: another instance on the directory reads what one wrote', async () => {
    const directory = await freshDirectory();
    const writer = await open(directory);
    await writer.addTask(task('kept', 42, 7, 'opaque payload'));
    await writer.shutdown();
    const reader = new FileStore({ directory });
    expect(reader.persistent).toBe(true);
    expect(await reader.getAllTasks()).toEqual([{ id: 'kept', nextRunTime: 42, revision: 7, payload: 'opaque payload' }]);
  });

  it('lists by next run time, paused last, equal times in insertion order, and reports the earliest', async () => {
    const store = await open(await freshDirectory());
    for (const [id, time] of [['c', 30], ['p', null], ['z', 20], ['a', 10], ['b', 20]] as const) await store.addTask(task(id, time));
    expect(ids(await store.getAllTasks())).toEqual(['a', 'z', 'b', 'c', 'p']);
    expect(await store.getNextRunTime()).toBe(10);
    await store.updateTask(task('c', 5, 2));
    expect(await store.getNextRunTime()).toBe(5);
    await store.removeAllTasks();
    expect(await store.getAllTasks()).toEqual([]);
    expect(await store.getNextRunTime()).toBeNull();
  });

  it('holds a task under a live claim back in getNextRunTime until the claim expires', async () => {
    const store = await open(await freshDirectory());
    await store.addTask(task('a', 10));
    await store.addTask(task('b', 50));
    expect(ids(await store.claimDueTasks({ now: 10, limit: 10, owner: 'me', duration: 100 }))).toEqual(['a']);
    expect(await store.getNextRunTime()).toBe(50); // a is held until 110
    expect(ids(await store.claimDueTasks({ now: 50, limit: 10, owner: 'me', duration: 100 }))).toEqual(['b']);
    expect(await store.getNextRunTime()).toBe(110);
    expect(await releaseOne(store, { id: 'a', owner: 'me', claimedRevision: 1, nextRunTime: 70, removeWhenFinished: true })).toBe(true);
    expect(await store.getNextRunTime()).toBe(70);
  });

  it('claims due tasks earliest first up to the limit, and releases commit the next run, a pause or a removal', async () => {
    const store = await open(await freshDirectory());
    for (const [id, time] of [['late', 50], ['b', 20], ['a', 10], ['c', 30], ['paused', null]] as const) await store.addTask(task(id, time));
    const claim = { now: 30, owner: 'me', duration: 1000 };
    expect(ids(await store.claimDueTasks({ ...claim, limit: 2 }))).toEqual(['a', 'b']);
    expect(ids(await store.claimDueTasks({ ...claim, limit: 10 }))).toEqual(['c']);
    expect(await store.claimDueTasks({ ...claim, limit: 10 })).toEqual([]);
    expect(await store.lookupTask('a')).toEqual(task('a', 10)); // claimed tasks stay visible, unchanged
    expect(await releaseOne(store, { id: 'a', owner: 'me', claimedRevision: 1, nextRunTime: 40, removeWhenFinished: true })).toBe(true);
    expect(await store.lookupTask('a')).toEqual(task('a', 40, 2));
    expect(await releaseOne(store, { id: 'b', owner: 'me', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true })).toBe(true);
    expect(await store.lookupTask('b')).toBeNull();
    expect(await releaseOne(store, { id: 'c', owner: 'me', claimedRevision: 1, nextRunTime: null, removeWhenFinished: false })).toBe(true);
    expect(await store.lookupTask('c')).toEqual(task('c', null, 2));
    expect(ids(await store.claimDueTasks({ now: 100, owner: 'me', duration: 1000, limit: 10 }))).toEqual(['a', 'late']);
  });

  it('refuses releases by another owner, for a stale revision, and after updateTask', async () => {
    const store = await open(await freshDirectory());
    await store.addTask(task('a', 10, 3));
    await store.claimDueTasks({ now: 10, limit: 1, owner: 'me', duration: 1000 });
    const release = { id: 'a', owner: 'me', claimedRevision: 3, nextRunTime: 20, removeWhenFinished: true };
    expect(await releaseOne(store, { ...release, owner: 'someone-else' })).toBe(false);
    expect(await releaseOne(store, { ...release, claimedRevision: 2 })).toBe(false);
    expect(await releaseOne(store, { ...release, id: 'missing' })).toBe(false);
    expect(await store.lookupTask('a')).toEqual(task('a', 10, 3));
    await store.updateTask(task('a', 500, 4)); // e.g. the user rescheduled it meanwhile
    expect(await releaseOne(store, release)).toBe(false);
    expect(await releaseOne(store, { ...release, claimedRevision: 4 })).toBe(false); // the update ended the claim
    expect(await store.lookupTask('a')).toEqual(task('a', 500, 4));
  });

  it('lets another owner take over a claim once its lease expired, and then refuses the first owner', async () => {
    const store = await open(await freshDirectory());
    await store.addTask(task('a', 100));
    expect(ids(await store.claimDueTasks({ now: 100, limit: 5, owner: 'first', duration: 50 }))).toEqual(['a']);
    expect(await store.claimDueTasks({ now: 149, limit: 5, owner: 'second', duration: 50 })).toEqual([]);
    expect(ids(await store.claimDueTasks({ now: 150, limit: 5, owner: 'second', duration: 50 }))).toEqual(['a']);
    const release = { id: 'a', claimedRevision: 1, nextRunTime: 300, removeWhenFinished: true };
    expect(await releaseOne(store, { ...release, owner: 'first' })).toBe(false);
    expect(await releaseOne(store, { ...release, owner: 'second' })).toBe(true);
    expect(await store.lookupTask('a')).toEqual(task('a', 300, 2));
  });

  it('claimTask claims whatever the run time, but not under a live claim', async () => {
    const store = await open(await freshDirectory());
    await store.addTask(task('paused', null));
    expect(await store.claimTask('missing', lease('me'))).toBeNull();
    expect(await store.claimTask('paused', lease('me'))).toEqual(task('paused', null));
    expect(await store.claimTask('paused', lease('other'))).toBeNull();
    expect(await releaseOne(store, { id: 'paused', owner: 'me', claimedRevision: 1, nextRunTime: null, removeWhenFinished: false })).toBe(true);
    // A zero-length lease has expired by the next call.
    expect(await store.claimTask('paused', lease('other', 0))).toEqual(task('paused', null, 2));
    expect(await store.claimTask('paused', lease('third'))).toEqual(task('paused', null, 2));
  });
});

describe('FileStore: several processes', () => {
  it('claims each of 50 due tasks exactly once when two instances race', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    for (let index = 0; index < 50; index++) await a.addTask(task(`t${index}`, index));
    // Six calls of ten: no instance alone can take all fifty.
    const claim = (store: FileStore, owner: string) => store.claimDueTasks({ now: 1000, limit: 10, owner, duration: 60_000 }).then((tasks) => tasks.map(({ id }) => ({ id, owner })));
    const rounds = await Promise.all([claim(a, 'A'), claim(b, 'B'), claim(a, 'A'), claim(b, 'B'), claim(a, 'A'), claim(b, 'B')]);
    const claims = rounds.flat();
    expect(claims.map(({ id }) => id).sort()).toEqual(Array.from({ length: 50 }, (_, index) => `t${index}`).sort());
    // What each was told it claimed is what the files say: its own releases all apply.
    for (const { id, owner } of claims) {
      const store = owner === 'A' ? a : b;
      expect(await releaseOne(store, { id, owner, claimedRevision: 1, nextRunTime: 5000, removeWhenFinished: true })).toBe(true);
    }
  });

  it('lets exactly one of two instances add the same id at once', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    for (let index = 0; index < 20; index++) {
      const id = `same-${index}`;
      const results = await Promise.allSettled([a.addTask(task(id, 1, 1, 'from a')), b.addTask(task(id, 1, 1, 'from b'))]);
      const won = results.flatMap((result, which) => (result.status === 'fulfilled' ? [which === 0 ? 'from a' : 'from b'] : []));
      expect(won).toHaveLength(1);
      const lost = results.find((result) => result.status === 'rejected');
      expect(lost?.status === 'rejected' && isHoraeError(lost.reason, 'CONFLICTING_ID')).toBe(true);
      expect((await a.lookupTask(id))?.payload).toBe(won[0]);
      expect((await b.lookupTask(id))?.payload).toBe(won[0]);
    }
  });

  it('keeps a deleted task deleted: an instance holding an older generation cannot bring it back', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    await a.addTask(task('x', 10));
    expect(ids(await a.claimDueTasks({ now: 10, limit: 1, owner: 'A', duration: 60_000 }))).toEqual(['x']);
    await b.deleteTask('x');
    const [tombstoneFile] = (await taskFiles(directory)).slice(-1);
    expect(await readJson(join(directory, tombstoneFile!))).toMatchObject({ id: 'x', deleted: true });
    expect(await releaseOne(a, { id: 'x', owner: 'A', claimedRevision: 1, nextRunTime: 20, removeWhenFinished: true })).toBe(false);
    await expect(a.updateTask(task('x', 30, 2))).rejects.toSatisfy(code('TASK_NOT_FOUND'));
    expect(await a.claimTask('x', lease('A'))).toBeNull();
    expect(await a.lookupTask('x')).toBeNull();
    expect(await b.getAllTasks()).toEqual([]);
    // Adding it anew is allowed, and continues the generation count past the tombstone.
    await a.addTask(task('x', 99, 1, 'new life'));
    const newest = (await taskFiles(directory)).at(-1)!;
    expect(newest > tombstoneFile!).toBe(true);
    expect(await b.lookupTask('x')).toEqual(task('x', 99, 1, 'new life'));
  });

  it('sweeps superseded generations and collects tombstones once they are old', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const start = Date.now();
    await store.addTask(task('x', 1));
    await store.updateTask(task('x', 2, 2));
    await store.updateTask(task('x', 3, 3));
    await store.getAllTasks();
    expect(await taskFiles(directory)).toHaveLength(3); // too young to sweep: another process may build on them
    clockAt(start, 20_000);
    expect(await store.getAllTasks()).toEqual([task('x', 3, 3)]);
    expect(await taskFiles(directory)).toEqual(['x.000000000003.task']);
    await store.deleteTask('x');
    clockAt(start, 40_000);
    await store.getAllTasks();
    expect(await taskFiles(directory)).toEqual(['x.000000000004.task']); // the tombstone stays a while
    clockAt(start, 40_000 + 10 * 60_000);
    await store.getAllTasks();
    expect(await taskFiles(directory)).toEqual([]);
    await store.addTask(task('x', 5));
    expect(await taskFiles(directory)).toEqual(['x.000000000001.task']);
  });

  it('reads an id re-added after its tombstone was collected afresh, although its file names repeat', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    const start = Date.now();
    await a.addTask(task('x', 1, 1, 'first life'));
    expect((await b.lookupTask('x'))?.payload).toBe('first life'); // b now has x.000000000001.task cached
    await a.deleteTask('x');
    clockAt(start, 11 * 60_000);
    await a.getAllTasks(); // collects the tombstone
    await a.addTask(task('x', 2, 1, 'second life')); // x.000000000001.task again
    expect(await taskFiles(directory)).toEqual(['x.000000000001.task']);
    expect((await b.lookupTask('x'))?.payload).toBe('second life');
  });

  it('removeAllTasks tombstones every task, for every instance', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    for (const id of ['a', 'b', 'c']) await a.addTask(task(id, 1));
    await b.removeAllTasks();
    expect(await a.getAllTasks()).toEqual([]);
    for (const name of await taskFiles(directory)) {
      if (name.endsWith('2.task')) expect(await readJson(join(directory, name))).toMatchObject({ deleted: true });
    }
    await a.addTask(task('a', 1));
    expect(ids(await b.getAllTasks())).toEqual(['a']);
  });
});

describe('FileStore: run leases', () => {
  const run = (taskId: string, runId: string, owner = 'A') => ({ taskId, runId, owner, scheduledAt: 1000 });

  it('enforces maxInstances across instances racing for leases', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    const attempts = Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? a : b).acquireRunLease(run('t', `r${index}`), 2, 60_000));
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(2);
    const holder = results.indexOf(true);
    expect(await a.acquireRunLease(run('t', 'extra'), 2, 60_000)).toBe(false);
    expect(await a.acquireRunLease(run('other-task', 'o1'), 2, 60_000)).toBe(true); // counted per task
    await b.releaseRunLease('t', `r${holder}`);
    expect(await a.acquireRunLease(run('t', 'next'), 2, 60_000)).toBe(true);
    expect(await b.acquireRunLease(run('t', 'one-too-many'), 2, 60_000)).toBe(false);
  });

  it('renews the leases of their owner only, and an expired lease is reported exactly once across instances', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    // Zero-length leases have expired by the next call.
    for (let index = 0; index < 5; index++) expect(await a.acquireRunLease(run(`t${index}`, `r${index}`), 1, 0)).toBe(true);
    await a.renewRunLeases('B', ['r0'], 60_000); // not B's: no effect
    await a.renewRunLeases('A', ['r0'], 60_000);
    expect(await b.acquireRunLease(run('t0', 'r0-bis', 'B'), 1, 60_000)).toBe(false); // r0 lives again
    const taken = (await Promise.all([a.takeExpiredRunLeases(), b.takeExpiredRunLeases(), a.takeExpiredRunLeases(), b.takeExpiredRunLeases()])).flat();
    expect(taken.map(({ runId }) => runId).sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(taken[0]).toEqual(run(taken[0]!.taskId, taken[0]!.runId));
    expect(await a.takeExpiredRunLeases()).toEqual([]);
    expect(await b.acquireRunLease(run('t1', 'r1-bis', 'B'), 1, 60_000)).toBe(true);
  });

  it('reports an expired lease that another run took the slot over from', async () => {
    const store = await open(await freshDirectory());
    expect(await store.acquireRunLease(run('t', 'dead'), 1, 0)).toBe(true);
    expect(await store.acquireRunLease(run('t', 'alive'), 1, 60_000)).toBe(true);
    expect(await store.takeExpiredRunLeases()).toEqual([run('t', 'dead')]);
    expect(await store.takeExpiredRunLeases()).toEqual([]);
    expect(await store.acquireRunLease(run('t', 'third'), 1, 60_000)).toBe(false); // 'alive' still holds it
    await store.releaseRunLease('t', 'alive');
    expect(await store.acquireRunLease(run('t', 'third'), 1, 60_000)).toBe(true);
    expect(await store.takeExpiredRunLeases()).toEqual([]); // a released lease is not reported
  });
});

describe('FileStore: quarantine', () => {
  it('moves a corrupt file to the quarantine, bytes and all, and never deletes it silently', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    await store.addTask(task('good', 1));
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x69, 0x64]);
    await writeFile(join(directory, 'broken.000000000001.task'), garbage);
    expect(ids(await store.getAllTasks())).toEqual(['good']);
    expect(await store.lookupTask('broken')).toBeNull();
    const [held] = await store.getQuarantinedTasks();
    expect(held).toMatchObject({ id: 'broken', nextRunTime: null, revision: 0 });
    expect(held!.reason).toMatch(/broken\.000000000001\.task cannot be read: it is not valid JSON/);
    const record = await readJson(join(directory, 'quarantine', 'broken.json'));
    expect(Buffer.from(record.rawBase64 as string, 'base64').equals(garbage)).toBe(true);
    // Restoring reads it again: still garbage, so it stays, with the news.
    await store.restoreQuarantinedTask('broken');
    expect(await store.lookupTask('broken')).toBeNull();
    expect((await store.getQuarantinedTasks())[0]?.reason).toMatch(/tried again when restored/);
    await store.purgeQuarantinedTask('broken');
    expect(await store.getQuarantinedTasks()).toEqual([]);
    await expect(store.purgeQuarantinedTask('broken')).rejects.toSatisfy(code('TASK_NOT_FOUND'));
    expect(ids(await store.getAllTasks())).toEqual(['good']);
  });

  it('reads task files written by hand, and quarantines files under names it does not write', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    await writeFile(join(directory, 'hand.000000000001.task'), JSON.stringify({ id: 'hand', nextRunTime: 7, revision: 2, payload: 'p', claim: null }));
    const legacy = JSON.stringify({ id: 'legacy', nextRunTime: 5, revision: 3, payload: 'old', claim: null });
    await writeFile(join(directory, 'legacy.task'), legacy);
    expect(await store.getAllTasks()).toEqual([task('hand', 7, 2, 'p')]);
    expect(await store.getQuarantinedTasks()).toMatchObject([{ id: 'legacy.task', payload: legacy }]);
    expect(await readdir(directory)).not.toContain('legacy.task');
    await store.restoreQuarantinedTask('legacy.task');
    expect(await store.lookupTask('legacy')).toEqual(task('legacy', 5, 3, 'old'));
    expect(await store.getQuarantinedTasks()).toEqual([]);
  });

  it('quarantines a task on request, and restores it unless a task with its id exists', async () => {
    const directory = await freshDirectory();
    const [a, b] = [await open(directory), await open(directory)];
    await a.addTask(task('x', 10, 4, 'the payload'));
    await a.quarantineTask('x', 'its handler is not defined');
    await expect(a.quarantineTask('x', 'again')).rejects.toSatisfy(code('TASK_NOT_FOUND'));
    expect(await b.lookupTask('x')).toBeNull();
    const [held] = await b.getQuarantinedTasks();
    expect(held).toEqual({ id: 'x', payload: 'the payload', nextRunTime: 10, revision: 4, reason: 'its handler is not defined', quarantinedAt: expect.any(Number) });
    await b.addTask(task('x', 99));
    await expect(a.restoreQuarantinedTask('x')).rejects.toSatisfy(code('CONFLICTING_ID'));
    await b.deleteTask('x');
    await a.restoreQuarantinedTask('x');
    expect(await b.lookupTask('x')).toEqual(task('x', 10, 4, 'the payload'));
    expect(await b.getQuarantinedTasks()).toEqual([]);
    await expect(a.restoreQuarantinedTask('x')).rejects.toSatisfy(code('TASK_NOT_FOUND'));
  });
});

describe('FileStore: files', () => {
  it('refuses ids that could escape the directory or clash with the file system, naming them', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const refused = ['a/b', '..', '.', '.hidden', 'a\\b', 'a\0b', 'x'.repeat(300), '', 'lone \uD800 surrogate', 'é'.repeat(101)];
    for (const id of refused) {
      const calls = [
        store.addTask(task(id, 1)),
        store.updateTask(task(id, 1)),
        store.lookupTask(id),
        store.deleteTask(id),
        store.claimTask(id, lease('me')),
        releaseOne(store, { id, owner: 'me', claimedRevision: 1, nextRunTime: 1, removeWhenFinished: true }),
        store.quarantineTask(id, 'why'),
        store.acquireRunLease({ taskId: id, runId: 'r', owner: 'me', scheduledAt: 1 }, 1, 1000),
      ];
      for (const call of calls) {
        await expect(call).rejects.toSatisfy((error: Error) => isHoraeError(error, 'INVALID_OPTION') && error.message.includes(`Task "${id}"`));
      }
    }
    await expect(store.addTask(task('a/b', 1))).rejects.toThrowError(/path separator.*must not contain "\/"/);
    expect(await readdir(directory)).toEqual(expect.arrayContaining(['runs', 'quarantine', 'history', 'instances']));
    expect(await readdir(directory)).toHaveLength(4);
  });

  it('keeps ids that differ only in case, or use any other characters, apart', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const accepted = ['report', 'Report', 'ünïcødé ✓', 'a b%c', 'x'.repeat(200), 'a..b', 'ends.'];
    for (const [index, id] of accepted.entries()) await store.addTask(task(id, index));
    expect(ids(await new FileStore({ directory }).getAllTasks())).toEqual(accepted);
    for (const name of await taskFiles(directory)) expect(name).toMatch(/^(?:[a-z0-9._-]|%[0-9A-F]{2})+\.\d{12}\.task$/);
  });

  it('writes through hidden temporary files, so no task file is ever visible half-written', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const seen = new Set<string>();
    const watcher = watch(directory, (_event, name) => name !== null && seen.add(name));
    try {
      for (let index = 0; index < 10; index++) {
        await store.addTask(task(`t${index}`, index));
        await store.updateTask(task(`t${index}`, index, 2));
      }
      await vi.waitFor(() => expect(seen).toContain('t9.000000000002.task'), { timeout: 10_000 });
    } finally {
      watcher.close();
    }
    const temps = [...seen].filter((name) => !name.endsWith('.task'));
    expect(temps.length).toBeGreaterThan(0);
    for (const name of temps) expect(name).toMatch(/^\.[^/]*\.tmp$/);
    for (const name of seen) if (name.endsWith('.task')) expect(name).toMatch(/^t\d\.00000000000[12]\.task$/);
  }, 20_000);

  it('ignores leftover temporary files of a crashed write and removes them once they are old', async () => {
    const directory = await freshDirectory();
    const store = await open(directory);
    const old = join(directory, '.horae-0123456789abcdef.tmp');
    const young = join(directory, '.horae-fedcba9876543210.tmp');
    await writeFile(old, '{"id":"half","nextRunTi');
    await writeFile(young, '{"id":"half","nextRunTi');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(old, twoMinutesAgo, twoMinutesAgo);
    expect(await store.getAllTasks()).toEqual([]);
    expect(await store.getQuarantinedTasks()).toEqual([]);
    const left = await readdir(directory);
    expect(left).not.toContain('.horae-0123456789abcdef.tmp');
    expect(left).toContain('.horae-fedcba9876543210.tmp'); // may be another process's write in flight
  });

  it('creates its directory with mode 0700 by default, and an exact mode when given', async () => {
    const base = await freshDirectory();
    const store = new FileStore({ directory: join(base, 'nested', 'tasks') });
    await store.addTask(task('a', 1));
    expect((await stat(join(base, 'nested', 'tasks'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, 'nested', 'tasks', 'quarantine'))).mode & 0o777).toBe(0o700);
    const shared = new FileStore({ directory: join(base, 'shared'), mode: 0o770 }); // wider than the umask allows
    await shared.getAllTasks();
    expect((await stat(join(base, 'shared'))).mode & 0o777).toBe(0o770);
  });

  it('deletes its task files at shutdown only with cleanupOnShutdown, keeping the quarantine', async () => {
    const directory = await freshDirectory();
    const keeping = await open(directory);
    await keeping.addTask(task('a', 1));
    await keeping.shutdown();
    expect(await taskFiles(directory)).toHaveLength(1);
    const cleaning = await open(directory, { cleanupOnShutdown: true });
    await cleaning.addTask(task('b', 1));
    await cleaning.addTask(task('c', 1));
    await cleaning.quarantineTask('c', 'kept aside');
    await cleaning.acquireRunLease({ taskId: 'b', runId: 'r', owner: 'me', scheduledAt: 1 }, 1, 60_000);
    await cleaning.shutdown();
    expect(await taskFiles(directory)).toEqual([]);
    expect(await readdir(join(directory, 'runs'))).toEqual([]);
    expect(ids(await new FileStore({ directory }).getQuarantinedTasks())).toEqual(['c']);
  });

  it('wakes the scheduler when another instance adds a task, not for its own changes', async () => {
    const directory = await freshDirectory();
    const wake = vi.fn();
    const watching = await open(directory, {}, wake); // polls once a minute: this is fs.watch
    await watching.addTask(task('mine', 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wake).not.toHaveBeenCalled();
    const other = new FileStore({ directory });
    await other.addTask(task('theirs', 1));
    await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 10_000, interval: 20 });
  }, 20_000);

  it('wakes the scheduler from its poll where fs.watch does not work, also only for others\' changes', async () => {
    const directory = await freshDirectory();
    const wake = vi.fn();
    fsWatch.unavailable = true;
    const polling = await open(directory, { pollInterval: 25 }, wake);
    await polling.addTask(task('mine', 1));
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few polls
    expect(wake).not.toHaveBeenCalled();
    await new FileStore({ directory }).addTask(task('theirs', 1));
    await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 10_000, interval: 20 });
  }, 20_000);
});

describe('FileStore: options', () => {
  it('refuses invalid options with typed errors', () => {
    const invalid = [{ directory: '' }, { directory: 'x', suffix: 'task' }, { directory: 'x', suffix: './a' }, { directory: 'x', mode: 0o400 }, { directory: 'x', pollInterval: 0 }];
    for (const options of invalid) expect(() => new FileStore(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('uses its suffix for task files', async () => {
    const directory = await freshDirectory();
    const store = await open(directory, { suffix: '.job.json' });
    await store.addTask(task('a', 1));
    expect((await readdir(directory)).filter((name) => !['runs', 'quarantine', 'history', 'instances'].includes(name))).toEqual(['a.000000000001.job.json']);
  });
});
