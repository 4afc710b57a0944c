/** Small helpers shared by the benchmark programs: statistics, tables, child processes. */
import { fork } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';

/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** A number with a fixed count of decimals, or an en dash for "not measured". */
export function fmt(value: number | undefined, decimals = 2): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `value / base` as "1.23x". */
export function ratio(value: number, base: number): string {
  return base > 0 && Number.isFinite(value) ? `${(value / base).toFixed(2)}x` : '–';
}

/** Prints rows as a Markdown table, so the output can be pasted into the README as is. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((width, i) => (i === 0 ? ':' : '-') + '-'.repeat(width) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

export function printGoal(goal: string, met: boolean, detail: string): void {
  console.log(`\nGoal: ${goal}\nResult: ${met ? 'MET' : 'NOT MET'} (${detail})\n`);
}

/** A seeded PRNG (mulberry32), so every contender gets the same "random" schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs this same program again in a fresh child process with `args` and resolves with the one
 * message it sends back. A fresh process per measurement keeps contenders from disturbing each
 * other (leftover timers, garbage, JIT state). The child gets the same Node flags
 * (`--import tsx`, `--expose-gc`). Bounded by `timeoutMs`.
 */
export function runChild<T>(script: string, args: string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: T | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message) => (result = message as T));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result);
      else reject(new Error(`child ${args.join(' ')} exited with code ${code} without a result`));
    });
  });
}

/** Sends a result to the parent process (see {@link runChild}) and lets the child exit. */
export function sendToParent(result: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(result));
      resolve();
      return;
    }
    process.send(result, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

export function header(title: string): void {
  console.log(`\n## ${title}\n`);
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  // Shows which Horae is measured: it must be the build (dist/), not the sources.
  const horae = import.meta.resolve('@horae/core');
  console.log(`@horae/core under test: ${horae.replace(/^file:\/\/.*?\/(packages\/)/, '$1')}\n`);
  if (!horae.includes('/dist/')) console.log('WARNING: @horae/core resolves to its sources, not its build; run through register.mjs (see README).\n');
}

/** The heap in use after two full collections (the first may only finalise what the second frees); needs `--expose-gc`. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
