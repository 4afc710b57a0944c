/**
 * What a FileStore says at start about its directory: typed errors naming the path and the fix
 * instead of raw EEXIST/EACCES, a warning when anyone on the host may write there, and options
 * it does not know refused.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHoraeError } from '../../errors/index.js';
import type { Logger } from '../../logger/logger.js';
import { FileStore, type FileStoreOptions } from './file-store.js';
import type { StoreContext } from '../store.js';

const directories: string[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-file-start-'));
  directories.push(directory);
  return directory;
}

function recorder() {
  const warnings: string[] = [];
  const quiet = () => undefined;
  const logger: Logger = { debug: quiet, info: quiet, warn: (message: string) => void warnings.push(message), error: quiet };
  const context: StoreContext = { alias: 'files', logger, instanceId: 'test', wake: quiet, quarantined: quiet };
  return { warnings, context };
}

async function start(options: FileStoreOptions): Promise<{ store: FileStore; warnings: string[] }> {
  const { warnings, context } = recorder();
  const store = new FileStore({ pollInterval: 60_000, ...options });
  await store.start(context);
  await store.shutdown();
  return { store, warnings };
}

/** Whether `error` is a HoraeError with `code` whose message contains every one of `parts`. */
const typed = (code: string, ...parts: string[]) => (error: unknown) =>
  isHoraeError(error, code as never) && parts.every((part) => (error as Error).message.includes(part));

/**
 * Makes `directory` refuse new entries, as a directory without write permission does. Permission
 * bits do not stop root (the tests may run as root), so there the immutable attribute does it,
 * which stops root too (with EPERM rather than EACCES). Resolves to the error code expected, or
 * `undefined` when neither works here (not root, or a file system without attributes).
 */
async function refuseWrites(directory: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    await chmod(directory, 0o500);
    cleanups.push(() => execFileSync('chmod', ['700', directory]));
    return 'EACCES';
  }
  try {
    execFileSync('chattr', ['+i', directory], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  cleanups.push(() => execFileSync('chattr', ['-i', directory]));
  return 'EPERM';
}

describe('FileStore: its directory at start', () => {
  it('refuses a directory path that is a file, or lies under one, as an invalid option naming the path and the fix', async () => {
    const base = await freshDirectory();
    const file = join(base, 'tasks');
    await writeFile(file, 'not a directory');
    const fix = 'Give the path of a directory (it is created when missing), or move the file that is in the way.';
    await expect(start({ directory: file })).rejects.toSatisfy(typed('INVALID_OPTION', `"${file}"`, 'it is a file, not a directory', fix));
    await expect(start({ directory: join(file, 'below') })).rejects.toSatisfy(typed('INVALID_OPTION', join(file, 'below'), 'a part of the path is a file, not a directory', fix));
    // The error comes from the first operation too, not only from start().
    await expect(new FileStore({ directory: file }).getAllTasks()).rejects.toSatisfy(typed('INVALID_OPTION', 'it is a file'));
  });

  it('turns a permission error into STORE_UNAVAILABLE naming the path and the fix', async ({ skip }) => {
    const base = await freshDirectory();
    const locked = join(base, 'locked');
    await mkdir(locked);
    const code = await refuseWrites(locked);
    if (code === undefined) {
      console.warn('[horae] SKIPPED: this machine lets root write anywhere and has no immutable attribute, so a permission error cannot be made here.');
      skip();
    }
    const directory = join(locked, 'tasks');
    await expect(start({ directory })).rejects.toSatisfy(
      typed('STORE_UNAVAILABLE', `Store "files" cannot use ${directory}: permission denied (${code})`, 'read, write and search permission on it', 'or choose another directory'),
    );
  });

  it('refuses run-lease and quarantine folders that are links or files, rather than writing through them', async () => {
    const directory = await freshDirectory();
    const elsewhere = await freshDirectory();
    await symlink(elsewhere, join(directory, 'runs'));
    await expect(start({ directory })).rejects.toSatisfy(
      typed('STORE_UNAVAILABLE', `cannot use ${join(directory, 'runs')}: it is a symbolic link; the store follows no links inside its directory`, 'run leases'),
    );
    await rm(join(directory, 'runs'));
    await writeFile(join(directory, 'quarantine'), 'a file');
    await expect(start({ directory })).rejects.toSatisfy(typed('STORE_UNAVAILABLE', `cannot use ${join(directory, 'quarantine')}: it is not a directory`, 'quarantined records'));
    await rm(join(directory, 'quarantine'));
    await start({ directory });
    expect((await readdir(directory)).sort()).toEqual(['history', 'instances', 'quarantine', 'runs']);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('warns when anyone on the host may write to its directory, the sticky bit notwithstanding', async () => {
    const base = await freshDirectory();
    const open = join(base, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const { warnings } = await start({ directory: open });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^Store "files": ${open} is writable by every user of this host, so anyone here can add tasks.*chmod o-w ${open}`))]);

    const sticky = join(base, 'sticky');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    expect((await stat(sticky)).mode & 0o1777).toBe(0o1777);
    expect((await start({ directory: sticky })).warnings).toEqual([expect.stringContaining(`${sticky} is writable by every user`)]);

    // Made by the store with a mode that lets everyone write: all three are named.
    const made = join(base, 'made');
    expect((await start({ directory: made, mode: 0o777 })).warnings).toEqual([
      expect.stringContaining(`${made}, ${join(made, 'runs')}, ${join(made, 'quarantine')}, ${join(made, 'history')}, ${join(made, 'instances')} are writable by every user`),
    ]);
    expect((await start({ directory: join(base, 'private') })).warnings).toEqual([]);
  });
});

describe('FileStore: options', () => {
  it('refuses options it does not know, naming the nearest one it does', () => {
    const unknown = (options: object) => () => new FileStore(options as FileStoreOptions);
    expect(unknown({ directory: 'x', pollIntervall: 100 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('unknown option "pollIntervall" in the FileStore options; did you mean "pollInterval"?') }),
    );
    expect(unknown({ directory: 'x', maxFileSise: 1 })).toThrow(expect.objectContaining({ message: expect.stringContaining('did you mean "maxFileSize"?') }));
    expect(unknown({ directroy: 'x' })).toThrow(expect.objectContaining({ message: expect.stringContaining('did you mean "directory"?') }));
  });

  it('checks maxFileSize', () => {
    for (const maxFileSize of [0, 1024, 1.5 * 1024 * 1024 + 0.5, Number.NaN, '1MB', 2 ** 31]) {
      expect(() => new FileStore({ directory: 'x', maxFileSize: maxFileSize as number })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('invalid FileStore option "maxFileSize"') }),
      );
    }
    expect(() => new FileStore({ directory: 'x', maxFileSize: 16 * 1024 })).not.toThrow();
  });
});
