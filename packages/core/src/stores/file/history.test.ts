/**
 * The file store's run history against what else may be found in its `history/` directory: a
 * link where a task's folder should be, a file that is not a run, names the store does not write.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../../test/harness.js';
import { FileStore } from './file-store.js';
import type { StoredRun } from '../store.js';

const directories: string[] = [];
afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

async function opened() {
  const directory = await mkdtemp(join(tmpdir(), 'horae-history-'));
  directories.push(directory);
  const logger = recordingLogger();
  const store = new FileStore({ directory });
  const quiet = () => undefined;
  await store.start({ alias: 'files', instanceId: 'test', logger, wake: quiet, quarantined: quiet });
  return { directory, store, logger };
}

const run = (taskId: string, runId: string, endedAt: number): StoredRun => ({ taskId, runId, endedAt, payload: JSON.stringify({ runId }) });
const retention = { perTask: 2, maxAge: 3_600_000, now: 10_000 };

describe('FileStore: the run history on disk', () => {
  it('follows no link put where a task\'s runs go, and writes nothing through it', async () => {
    const { directory, store, logger } = await opened();
    const elsewhere = await mkdtemp(join(tmpdir(), 'horae-elsewhere-'));
    directories.push(elsewhere);
    await symlink(elsewhere, join(directory, 'history', 'report'));
    await store.addRuns([run('report', 'r1', 9_000)], retention);
    expect(await store.getRuns('report', { limit: 10 })).toEqual([]);
    expect(await readdir(elsewhere)).toEqual([]);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('is not a directory'))).toBe(true);
  });

  it('leaves out a run file it cannot read, says so, keeps it, and never touches names it does not write', async () => {
    const { directory, store, logger } = await opened();
    await store.addRuns([run('report', 'r1', 8_000), run('report', 'r2', 9_000)], retention);
    const folder = join(directory, 'history', 'report');
    const broken = '0000000000008500-broken.run';
    await writeFile(join(folder, broken), '{not json');
    await writeFile(join(folder, 'notes.txt'), 'kept');
    await mkdir(join(folder, '0000000000008700-adir.run'));
    expect((await store.getRuns('report', { limit: 10 })).map((found) => found.runId)).toEqual(['r2', 'r1']);
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual(
      expect.arrayContaining([expect.stringContaining(broken), expect.stringContaining('is a directory, not a regular file')]),
    );
    // Trimming to two runs removes the oldest run files, the unreadable one among them, but not
    // the names it does not write (nor the directory, which unlink cannot remove).
    await store.addRuns([run('report', 'r3', 9_500)], retention);
    expect((await readdir(folder)).sort()).toEqual(['0000000000008700-adir.run', '0000000000009000-r2.run', '0000000000009500-r3.run', 'notes.txt']);
    expect((await store.getRuns('report', { limit: 10 })).map((found) => found.runId)).toEqual(['r3', 'r2']);
  });
});
