/**
 * Waiting for a quiet machine before each measurement, shared by the benchmarks against servers:
 * other work (test runs, builds) shares this machine and its servers, and would disturb them.
 */
import { cpuTimes } from './machine.js';

/** What else ran on the machine and the server just before a measurement. */
export interface Background {
  /** Commands or operations per second the server counted (anyone's; the reading's own left out). */
  serverPerS: number;
  /** Share of all CPUs busy, 0..1. */
  cpuBusy: number;
  /** How long we waited for it to be this quiet, ms. */
  waitedMs: number;
}

/** How to read a server's activity: a counter of what it has processed, and when it is quiet. */
export interface ServerActivity<Client> {
  /** Shown in the summary, e.g. `'Redis commands/s'`. */
  unit: string;
  /** Below this many per second the server counts as quiet (a server's own bookkeeping is a few). */
  quietPerS: number;
  /** The server's running total of commands or operations; one call counts as one. */
  total(client: Client): Promise<number>;
}

const QUIET_CPU = 0.15;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until neither the server nor the CPUs are busy with other work: readings of 1 s, every
 * 5 s, for at most `BENCH_QUIET_MAX_WAIT_MS` (default 300,000 ms). Resolves to the last reading,
 * quiet or not, so that a report can show it.
 */
export async function waitForQuiet<Client>(server: ServerActivity<Client>, client: Client, maxWaitMs = Number(process.env.BENCH_QUIET_MAX_WAIT_MS ?? 300_000)): Promise<Background> {
  const started = Date.now();
  for (;;) {
    const [busy0, total0] = cpuTimes();
    const before = await server.total(client);
    await sleep(1_000);
    const after = await server.total(client);
    const [busy1, total1] = cpuTimes();
    const reading = { serverPerS: Math.max(0, after - before - 1), cpuBusy: total1 > total0 ? (busy1 - busy0) / (total1 - total0) : 0, waitedMs: Date.now() - started };
    if ((reading.serverPerS < server.quietPerS && reading.cpuBusy < QUIET_CPU) || Date.now() - started >= maxWaitMs) return reading;
    await sleep(4_000);
  }
}

/** Collects the background readings of a benchmark's runs, for one line under its table. */
export class QuietLog<Client> {
  private readonly readings: Background[] = [];

  constructor(private readonly server: ServerActivity<Client>) {}

  /** Waits for quiet (see {@link waitForQuiet}) and keeps the reading. */
  async quiet(client: Client): Promise<void> {
    this.readings.push(await waitForQuiet(this.server, client));
  }

  summary(): string {
    const r = this.readings;
    if (r.length === 0) return '';
    const max = (pick: (b: Background) => number): number => Math.max(...r.map(pick));
    const loud = r.filter((b) => b.serverPerS >= this.server.quietPerS || b.cpuBusy >= QUIET_CPU).length;
    return (
      `Background in the 1 s before each of ${r.length} runs: at most ${max((b) => b.serverPerS).toFixed(0)} ${this.server.unit} and ${(max((b) => b.cpuBusy) * 100).toFixed(0)}% CPU busy` +
      ` (waited up to ${(max((b) => b.waitedMs) / 1000).toFixed(0)} s for quiet)` +
      (loud > 0 ? `; WARNING: ${loud} run(s) started while other work was running, their figures are disturbed.` : '.')
    );
  }
}
