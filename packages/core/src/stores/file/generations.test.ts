import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GenerationFiles, type Head } from './generations.js';

interface Doc {
  readonly value: number;
}

const directories: string[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-generations-'));
  directories.push(directory);
  return directory;
}

/** One process's view of a directory of versioned files (two of them stand for two processes). */
function files(directory: string): GenerationFiles<Doc> {
  return new GenerationFiles<Doc>({
    directory,
    suffix: '.doc',
    maxFileSize: 64 * 1024,
    isKey: (key) => /^[a-z]+$/.test(key),
    validate: (value) => value as Doc,
    collectable: () => false,
    unreadable: () => Promise.resolve(undefined),
  });
}

const values = (heads: readonly Head<Doc>[]): Record<string, number | undefined> => Object.fromEntries(heads.map((head) => [head.key, head.doc?.value]));

async function publishNext(set: GenerationFiles<Doc>, key: string, value: number): Promise<string> {
  const head = await set.head(key);
  expect(await set.publish(head, { value })).toBe(true);
  return set.fileName(key, head.generation + 1);
}

describe('GenerationFiles: a kept listing', () => {
  it('is refreshed key by key from change notices, and listed whole again after a while', async () => {
    const directory = await freshDirectory();
    const mine = files(directory);
    const other = files(directory);
    mine.keepListing(true);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({});

    // Another process adds a key: without a notice, the kept listing does not know it yet...
    const added = await publishNext(other, 'a', 1);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({});
    // ...while a call that does not ask for the kept listing lists the directory.
    expect(values(await mine.heads())).toEqual({ a: 1 });
    mine.noteChange(added);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 1 });

    // A lost notice hides a change until the directory is listed whole again, 2 s later at most.
    const start = Date.now();
    await publishNext(other, 'a', 2);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 1 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start + 2_000);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 2 });
  });

  it("shows this process's own changes at once, and looks again at a key after losing a race on it", async () => {
    const directory = await freshDirectory();
    const mine = files(directory);
    const other = files(directory);
    mine.keepListing(true);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({});
    await publishNext(mine, 'a', 1);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 1 });

    const [seen] = await mine.heads(undefined, { kept: true });
    await publishNext(other, 'a', 2);
    // Built on an outdated view: refused, and the key is read again without any notice.
    expect(await mine.publish(seen!, { value: 3 })).toBe(false);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 2 });
    expect((await readdir(directory)).filter((name) => !name.startsWith('.')).sort()).toEqual([mine.fileName('a', 1), mine.fileName('a', 2)]);
  });

  it('is dropped on a notice without a name, and not kept unless asked to', async () => {
    const directory = await freshDirectory();
    const mine = files(directory);
    const other = files(directory);
    mine.keepListing(true);
    await mine.heads(undefined, { kept: true });
    await publishNext(other, 'a', 1);
    mine.noteChange(null);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 1 });

    mine.keepListing(false);
    await publishNext(other, 'b', 1);
    expect(values(await mine.heads(undefined, { kept: true }))).toEqual({ a: 1, b: 1 });
  });
});
