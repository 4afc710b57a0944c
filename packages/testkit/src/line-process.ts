import { spawn, type ChildProcess } from 'node:child_process';

/** A process whose standard output is read line by line, for tests that wait on what it prints. */
export interface LineProcess {
  /** Every line printed so far. */
  readonly lines: string[];
  /** Resolves with the first line starting with `prefix` (rejects if the process exits first). */
  waitFor(prefix: string): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Processes still running, ended by {@link killLineProcesses} whatever a test's outcome. */
const running = new Set<ChildProcess>();

/** Starts a process whose output is read line by line; its standard error goes to the test's. */
export function startLineProcess(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LineProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout.on('data', (data: Buffer) => {
    buffered += data.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exited.then(() => running.delete(child));
  return {
    lines,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then(() => reject(new Error(`the process exited before printing "${prefix}"; it printed ${JSON.stringify(lines)}`)));
      });
    },
  };
}

/** Ends every process started by {@link startLineProcess} that still runs (for `afterEach`). */
export function killLineProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}
