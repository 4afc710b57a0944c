import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const APP = fileURLToPath(new URL('./fixtures/sigterm-app.ts', import.meta.url));
const NEST_FROM = fileURLToPath(new URL('./fixtures/nest-from.mjs', import.meta.url));
const nestPackage = inject('nestPackage');

/** Starts the app, sends SIGTERM once its handler has started, and collects what it printed. */
function terminateWhileRunning(kind: 'finishing' | 'stuck'): Promise<{ lines: string[]; signal: NodeJS.Signals | null; code: number | null }> {
  // In the nestjs@nest12 project the child resolves Nest as that project does (nest-from.mjs).
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', NEST_FROM, APP, kind], {
    cwd: PACKAGE,
    env: { ...process.env, HORAE_NEST_PACKAGE: nestPackage ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout.on('data', (data: Buffer) => {
    buffered += data.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      if (line === 'started') child.kill('SIGTERM');
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not exit; it printed ${JSON.stringify(lines)}`));
    }, 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, signal, code });
    });
  });
}

describe(`SIGTERM with app.enableShutdownHooks(), on Nest ${inject('nestMajor')}`, () => {
  const nest = `nest ${inject('nestMajor')}`;

  it('lets a running handler finish before the application shuts down', async () => {
    const { lines, signal, code } = await terminateWhileRunning('finishing');
    expect(lines).toEqual([nest, 'started', 'finished', 'shutdown SIGTERM']);
    // Nest re-raises the signal once the application is closed.
    expect({ signal, code }).toEqual({ signal: 'SIGTERM', code: null });
  });

  it('aborts a stuck handler through ctx.signal at the shutdown timeout, then shuts down', async () => {
    const { lines, signal } = await terminateWhileRunning('stuck');
    expect(lines).toEqual([nest, 'started', 'aborted', 'shutdown SIGTERM']);
    expect(signal).toBe('SIGTERM');
  });
});
