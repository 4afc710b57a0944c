import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../logger/logger.js';
import { FileStore } from './file-store.js';
import type { RunLease, StoreContext } from '../store.js';

// Two FileStore instances on one directory, each with its own watcher and its own view of the
// files, stand for two processes.

const directories: string[] = [];
const opened: FileStore[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) await store.shutdown();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function open(directory: string): Promise<FileStore> {
  const store = new FileStore({ directory, pollInterval: 60_000 });
  opened.push(store);
  const context: StoreContext = { alias: 'files', logger: silent, instanceId: 'test', wake: () => undefined, quarantined: () => undefined };
  await store.start(context);
  return store;
}

async function sharedDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-file-shared-'));
  directories.push(directory);
  return directory;
}

const run = (taskId: string, runId: string, owner: string): RunLease => ({ taskId, runId, owner, scheduledAt: 0 });

describe('FileStore: several processes on one directory', () => {
  it("sees another process's changes in its dispatch calls as soon as the directory's watch reports them", async () => {
    const directory = await sharedDirectory();
    const dispatcher = await open(directory);
    const other = await open(directory);
    expect(await dispatcher.getNextRunTime()).toBeNull();
    await other.addTask({ id: 'a', nextRunTime: 5_000, revision: 1, payload: '{}' });
    // Well before the whole directory is listed again (2 s): the watch's notice did it.
    await vi.waitFor(async () => expect(await dispatcher.getNextRunTime()).toBe(5_000), { timeout: 1_000, interval: 20 });
    await other.addTask({ id: 'b', nextRunTime: 10, revision: 1, payload: '{}' });
    await vi.waitFor(async () => expect((await dispatcher.claimDueTasks({ now: 20, limit: 10, owner: 'd', duration: 60_000 })).map((task) => task.id)).toEqual(['b']), {
      timeout: 1_000,
      interval: 20,
    });
    // Listings for people (not the dispatcher) always read the directory.
    await other.addTask({ id: 'c', nextRunTime: null, revision: 1, payload: '{}' });
    expect((await dispatcher.getAllTasks()).map((task) => task.id)).toEqual(['b', 'a', 'c']);
  });

  it('enforces maxInstances against run leases it never listed', async () => {
    const directory = await sharedDirectory();
    const first = await open(directory);
    const second = await open(directory);
    expect(await first.acquireRunLease(run('t', 'r1', 'first'), 1, 60_000)).toBe(true);
    // The second instance has not seen the run-lease directory yet: its slot 0 is taken all the same.
    expect(await second.acquireRunLease(run('t', 'r2', 'second'), 1, 60_000)).toBe(false);
    expect(await second.acquireRunLease(run('t', 'r2', 'second'), 2, 60_000)).toBe(true);
    expect(await first.acquireRunLease(run('t', 'r3', 'first'), 2, 60_000)).toBe(false);
    // Released by the process that did not take it last: each finds the slot its run holds.
    await first.releaseRunLease('t', 'r1');
    expect(await second.acquireRunLease(run('t', 'r4', 'second'), 2, 60_000)).toBe(true);
    expect(await first.acquireRunLease(run('t', 'r5', 'first'), 2, 60_000)).toBe(false);
    await second.releaseRunLease('t', 'r2');
    await second.releaseRunLease('t', 'r4');
    expect((await first.getRunLeases()).map((lease) => lease.runId)).toEqual([]);
    expect(await first.acquireRunLease(run('t', 'r6', 'first'), 1, 60_000)).toBe(true);
  });
});
