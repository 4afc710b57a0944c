/**
 * The run history when another process's sweep removes a task's (empty) directory between this
 * process making it and writing a run into it.
 */
import type * as FsPromises from 'node:fs/promises';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '../../../test/harness.js';
import { FileStore } from './file-store.js';

/** Runs before each `writeFile`, with its path: lets a test act as another process would. */
const hooks = vi.hoisted(() => ({ beforeWrite: undefined as ((path: string) => Promise<void>) | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const writeFile = async (...args: Parameters<typeof actual.writeFile>) => {
    if (typeof args[0] === 'string') await hooks.beforeWrite?.(args[0]);
    return actual.writeFile(...args);
  };
  return { ...actual, writeFile };
});

const directories: string[] = [];
afterEach(async () => {
  hooks.beforeWrite = undefined;
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

describe('FileStore: the run history beside other processes', () => {
  it("makes a task's directory again when another process's sweep removed it, and records the run", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'horae-history-race-'));
    directories.push(directory);
    const logger = recordingLogger();
    const store = new FileStore({ directory });
    const quiet = () => undefined;
    await store.start({ alias: 'files', instanceId: 'test', logger, wake: quiet, quarantined: quiet });
    const removed: string[] = [];
    hooks.beforeWrite = async (path) => {
      // Twice, as two sweeps in a row might: the write still lands at the third attempt.
      if (path.includes(join('history', 'report')) && removed.length < 2) {
        removed.push(path);
        await rmdir(dirname(path));
      }
    };
    await store.addRuns([{ taskId: 'report', runId: 'r1', endedAt: 9_000, payload: '{}' }], { perTask: 10, maxAge: 3_600_000, now: 10_000 });
    expect(removed).toHaveLength(2);
    expect((await store.getRuns('report', { limit: 10 })).map((run) => run.runId)).toEqual(['r1']);
  });
});
