import { execFileSync } from 'node:child_process';
import type * as NodeFsPromises from 'node:fs/promises';
import { appendFile, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonProblem, readRegularFile } from './safe-read.js';

/**
 * Lets a test swap an entry right after the reader's `lstat` looked at it: the race that checking
 * the opened descriptor (O_NOFOLLOW, O_NONBLOCK, fstat) must win.
 */
const race = vi.hoisted(() => ({ afterLstat: undefined as ((path: string) => Promise<void>) | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeFsPromises>();
  const lstatThenSwap = async (...args: Parameters<typeof actual.lstat>) => {
    const stats = await actual.lstat(...args);
    const swap = race.afterLstat;
    race.afterLstat = undefined;
    await swap?.(String(args[0]));
    return stats;
  };
  return { ...actual, lstat: lstatThenSwap };
});

const directories: string[] = [];

afterEach(async () => {
  race.afterLstat = undefined;
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function fileToSwap(): Promise<{ directory: string; path: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-safe-read-'));
  directories.push(directory);
  const path = join(directory, 'x.000000000001.task');
  await writeFile(path, '{"id":"x"}');
  return { directory, path };
}

describe('readRegularFile', () => {
  it('reads a regular file within the limit', async () => {
    const { path } = await fileToSwap();
    expect(await readRegularFile(path, 1024)).toEqual({ raw: Buffer.from('{"id":"x"}') });
    expect(await readRegularFile(join(path, '..', 'missing'), 1024)).toBeUndefined();
  });

  it('does not follow a link swapped in after the lstat', async () => {
    const { directory, path } = await fileToSwap();
    await writeFile(join(directory, 'secret'), 'not for the store');
    race.afterLstat = async (swapped) => {
      await unlink(swapped);
      await symlink(join(directory, 'secret'), swapped);
    };
    expect(await readRegularFile(path, 1024)).toEqual({ refused: 'is a symbolic link, not a regular file' });
  });

  it('does not wait on a FIFO swapped in after the lstat', async () => {
    const { path } = await fileToSwap();
    race.afterLstat = async (swapped) => {
      await unlink(swapped);
      execFileSync('mkfifo', [swapped]);
    };
    expect(await readRegularFile(path, 1024)).toEqual({ refused: 'is a named pipe (FIFO), not a regular file' });
  });

  it('does not read a file that grew past the limit after the lstat', async () => {
    const { path } = await fileToSwap();
    race.afterLstat = (grown) => appendFile(grown, 'x'.repeat(2048));
    expect(await readRegularFile(path, 1024)).toEqual({ refused: expect.stringMatching(/^is 2058 bytes, more than the 1024 allowed/) });
  });
});

describe('jsonProblem', () => {
  it('says why text is not JSON without quoting the text', () => {
    const problem = (text: string) => {
      try {
        JSON.parse(text);
      } catch (error) {
        return jsonProblem(error);
      }
      return 'parsed';
    };
    expect(problem('root:s3cr3t:19000')).toBe('it is not valid JSON');
    // V8's wording varies between versions; the position stays.
    expect(problem('{"a":1}x')).toMatch(/^it is not valid JSON \(.*position 7/);
    expect(problem('{a}')).toMatch(/^it is not valid JSON \(.*position 1/);
    expect(problem('{a}')).not.toContain("'}'");
  });
});
