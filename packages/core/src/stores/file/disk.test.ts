import type * as FsPromises from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { syncDirectory } from './disk.js';

/** Every flush of a directory (its `open` for reading), with a way to hold it until released. */
const flushes = vi.hoisted(() => ({
  opened: [] as string[],
  hold: undefined as Promise<void> | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const open = async (...args: Parameters<typeof actual.open>) => {
    if (args[1] === 'r') {
      flushes.opened.push(String(args[0]));
      await flushes.hold;
    }
    return actual.open(...args);
  };
  return { ...actual, open };
});

const directories: string[] = [];
afterEach(async () => {
  flushes.opened.length = 0;
  flushes.hold = undefined;
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

describe('syncDirectory', () => {
  it('shares flushes: callers during one flush wait for a single next one, which starts after they called', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'horae-disk-'));
    directories.push(directory);
    let release!: () => void;
    flushes.hold = new Promise((resolve) => (release = resolve));
    const first = syncDirectory(directory);
    await vi.waitFor(() => expect(flushes.opened).toHaveLength(1));
    // Made while the first flush runs: the first may not cover them.
    let laterDone = 0;
    const later = Array.from({ length: 20 }, () => syncDirectory(directory).then(() => laterDone++));
    await Promise.resolve();
    expect(flushes.opened).toHaveLength(1);
    release();
    await first;
    await Promise.all(later);
    expect(laterDone).toBe(20);
    // One flush for the first caller, one shared by the twenty who came during it.
    expect(flushes.opened).toEqual([directory, directory]);
    // With none running, the next caller starts its own at once.
    flushes.hold = undefined;
    await syncDirectory(directory);
    expect(flushes.opened).toHaveLength(3);
  });

  it('keeps directories apart', async () => {
    const one = await mkdtemp(join(tmpdir(), 'horae-disk-'));
    const two = await mkdtemp(join(tmpdir(), 'horae-disk-'));
    directories.push(one, two);
    await Promise.all([syncDirectory(one), syncDirectory(two), syncDirectory(one)]);
    expect(flushes.opened.filter((path) => path === one).length).toBeGreaterThanOrEqual(1);
    expect(flushes.opened.filter((path) => path === two)).toHaveLength(1);
    expect(flushes.opened.filter((path) => path === one).length).toBeLessThanOrEqual(2);
  });
});
