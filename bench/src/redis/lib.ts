/**
 * Helpers shared by the Redis benchmarks (Horae on `@horae/redis` vs BullMQ): the local Redis
 * they run against, key prefixes and cleanup of their own keys only, `INFO` readings, waiting for
 * a quiet machine, and a controller for contenders that run as several concurrent child processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { epochNow } from '../lib/fire-round.js';
import { localServerUrl, packageVersion } from '../lib/machine.js';
import { QuietLog, type ServerActivity } from '../lib/quiet.js';
import { header } from '../lib/report.js';

/**
 * Key namespaces. Each run of a contender gets a tag of its own (benchmark, round, process id):
 * Horae's RedisStore gets the prefix `horae-bench:<tag>` and wraps it in a hash tag, so its keys
 * are `{horae-bench:<tag>}:tasks` and so on; BullMQ gets the prefix `bullmq-bench` and the tag as
 * its queue name, so its keys are `bullmq-bench:<tag>:wait` and so on. Cleanup deletes exactly
 * those, never anything else on the server.
 */
export const horaePrefix = (tag: string): string => `horae-bench:${tag}`;
/** What every key of Horae's store for `tag` starts with. */
export const horaeKeys = (tag: string): string => `{${horaePrefix(tag)}}:`;
/** BullMQ's `prefix` option; its keys are `<prefix>:<queue name>:...`. */
export const BULLMQ_PREFIX = 'bullmq-bench';
/** What every key of BullMQ's queue `tag` starts with. */
export const bullmqKeys = (tag: string): string => `${BULLMQ_PREFIX}:${tag}:`;

/** Client names (CLIENT SETNAME) of the contenders' connections; BullMQ may rename some to `<prefix>:...`. */
export const HORAE_CONNECTION = 'horae-bench';
export const BULLMQ_CONNECTION = 'bullmq-bench';
/** Whether a CLIENT LIST name is one of a contender's connections. */
export const isContenderConnection = (name: string): boolean => name.startsWith(HORAE_CONNECTION) || name.startsWith(BULLMQ_CONNECTION);

/** The handler name the benchmark tasks refer to (persistent stores keep names, not functions). */
export const HANDLER = 'bench';

/**
 * The Redis to use: `REDIS_URL`, which must point at this machine (the benchmarks delete keys
 * and flood the server with commands; they never touch a remote one).
 */
export const redisUrl = (): string => localServerUrl('REDIS_URL', ['redis:']);

/** A plain connection for the benchmark's own bookkeeping (INFO, cleanup), failing fast. */
export function adminClient(): Redis {
  const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1, connectTimeout: 5_000, connectionName: 'bench-admin' });
  // A lost server shows up as failed commands; the connection's own error events only repeat it.
  client.on('error', () => undefined);
  return client;
}

/**
 * Deletes every key that starts with `prefix` (SCAN + UNLINK), and nothing else. Bounded: at
 * most 10,000 SCAN calls. Resolves to the number of keys deleted.
 */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  if (prefix.length < 5 || /[*?[\]\\]/.test(prefix)) throw new Error(`refusing to delete keys for the prefix ${JSON.stringify(prefix)}`);
  let cursor = '0';
  let deleted = 0;
  for (let calls = 0; calls < 10_000; calls++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) deleted += await client.unlink(...keys);
    cursor = next;
    if (cursor === '0') return deleted;
  }
  throw new Error(`deleting the keys under ${prefix} did not finish within 10,000 SCAN calls`);
}

/** Deletes the keys of both contenders' runs under `tag`. */
export async function deleteTagKeys(client: Redis, tag: string): Promise<void> {
  await deleteKeys(client, horaeKeys(tag));
  await deleteKeys(client, bullmqKeys(tag));
}

/** `INFO <section>` as a map of its `field:value` lines. */
export async function info(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `INFO commandstats`: calls per command (lower case, `cmdstat_` dropped). */
export async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [field, value] of await info(client, 'commandstats')) {
    const match = /(?:^|,)calls=(\d+)/.exec(value);
    if (field.startsWith('cmdstat_') && match !== null) calls.set(field.slice('cmdstat_'.length), Number(match[1]));
  }
  return calls;
}

/**
 * The commands run between two `commandCalls` readings, without the `INFO` call of the first
 * reading (the second one's own call is not in it yet).
 */
export function callDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, calls] of after) {
    const count = calls - (before.get(command) ?? 0) - (command === 'info' ? 1 : 0);
    if (count > 0) delta.set(command, count);
  }
  return delta;
}

/** CPU seconds the Redis server has used so far (user + system, all its threads). */
export async function serverCpuSeconds(client: Redis): Promise<number> {
  const cpu = await info(client, 'cpu');
  return Number(cpu.get('used_cpu_user') ?? NaN) + Number(cpu.get('used_cpu_sys') ?? NaN);
}

/** `redis_version` and the like, for the report. */
export async function describeServer(client: Redis): Promise<string> {
  const server = await info(client, 'server');
  return `Redis ${server.get('redis_version') ?? '?'} (${server.get('redis_mode') ?? '?'}, ${server.get('multiplexing_api') ?? '?'}, io_threads_active ${server.get('io_threads_active') ?? '?'}) at ${redisUrl()}`;
}

/** The report header: machine, builds under test, peer versions, and the Redis server. */
export async function redisHeader(title: string): Promise<void> {
  header(title);
  const store = import.meta.resolve('@horae/redis');
  console.log(`@horae/redis under test: ${store.replace(/^file:\/\/.*?\/(packages\/)/, '$1')}`);
  if (!store.includes('/dist/')) console.log('WARNING: @horae/redis resolves to its sources, not its build; run through register.mjs (see README).');
  console.log(`Peers: bullmq ${packageVersion('bullmq')}, ioredis ${packageVersion('ioredis')}`);
  const client = adminClient();
  try {
    console.log(`${await describeServer(client)}\n`);
  } finally {
    client.disconnect();
  }
}

// ------------------------------------------------------------------ a quiet machine

/** Redis's activity: commands processed (`INFO stats`). */
const REDIS_ACTIVITY: ServerActivity<Redis> = {
  unit: 'Redis commands/s',
  quietPerS: 20,
  total: async (client) => Number((await info(client, 'stats')).get('total_commands_processed')),
};

/** Waits for a quiet machine and Redis before each run, and sums up what it saw (see QuietLog). */
export class BackgroundLog extends QuietLog<Redis> {
  constructor() {
    super(REDIS_ACTIVITY);
  }
}

/** Sub-millisecond epoch time; comparable across processes on one machine. */
export { epochNow };

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits `items` into arrays of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ------------------------------------------------------------------ concurrent children

/** Messages between a group's parent and its children. */
export type GroupMessage =
  | { type: 'ready' }
  | { type: 'go' }
  | { type: 'progress'; count: number }
  | { type: 'stop' }
  | { type: 'result'; result: unknown };

export interface GroupRun<T> {
  /** Epoch ms at which `go` was sent to every child. */
  goAt: number;
  results: T[];
}

/** Steps of the parent's own between the phases of {@link runGroup} (e.g. readings of INFO). */
export interface GroupHooks {
  /** When every child is ready, before `go` is sent. */
  beforeGo?: () => Promise<void>;
  /** When the counts reached the target, before `stop` is sent. */
  beforeStop?: () => Promise<void>;
}

/**
 * Runs `args.length` copies of `script` at once (one per argument list), for contenders that are
 * several processes (scheduler instances, workers). Protocol: each child sends `ready` when set
 * up; when all are, the parent sends `go` to all at once; children report `progress` (a running
 * count); when the counts add up to `target` (or `runMs` passed) the parent sends `stop`, and
 * each child answers with its `result` and exits. Every step is bounded; on a timeout all
 * children are killed and the promise rejects.
 */
export function runGroup<T>(
  script: string,
  args: string[][],
  target: number,
  limits: { readyMs: number; runMs: number; stopMs: number },
  hooks: GroupHooks = {},
): Promise<GroupRun<T>> {
  return new Promise((resolve, reject) => {
    const children: ChildProcess[] = [];
    const counts = new Array<number>(args.length).fill(0);
    const results = new Array<T | undefined>(args.length);
    let ready = 0;
    let exited = 0;
    let goAt = 0;
    let phase: 'setup' | 'running' | 'stopping' | 'over' = 'setup';
    let timer: NodeJS.Timeout | undefined;

    const fail = (error: Error): void => {
      if (phase === 'over') return;
      phase = 'over';
      clearTimeout(timer);
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(error);
    };
    const limit = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => (what === 'run' ? stop() : fail(new Error(`children did not ${what} within ${ms} ms`))), ms);
    };
    const send = (message: GroupMessage): void => {
      for (const child of children) if (child.connected) child.send(message);
    };
    const stop = (): void => {
      if (phase !== 'running') return;
      phase = 'stopping';
      limit(limits.stopMs, 'stop');
      (hooks.beforeStop ?? (() => Promise.resolve()))().then(
        () => send({ type: 'stop' }),
        (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
      );
    };

    limit(limits.readyMs, 'get ready');
    args.forEach((childArgs, index) => {
      const child = fork(script, childArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (raw) => {
        const message = raw as GroupMessage;
        if (message.type === 'ready' && phase === 'setup' && ++ready === args.length) {
          (hooks.beforeGo ?? (() => Promise.resolve()))().then(
            () => {
              if (phase !== 'setup') return;
              phase = 'running';
              goAt = epochNow();
              send({ type: 'go' });
              limit(limits.runMs, 'run');
            },
            (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
          );
        } else if (message.type === 'progress') {
          counts[index] = message.count;
          if (counts.reduce((sum, count) => sum + count, 0) >= target) stop();
        } else if (message.type === 'result') {
          results[index] = message.result as T;
        }
      });
      child.on('exit', (code) => {
        exited++;
        if (results[index] === undefined) fail(new Error(`child ${childArgs.join(' ')} exited with code ${code} without a result`));
        else if (exited === args.length && phase !== 'over') {
          phase = 'over';
          clearTimeout(timer);
          resolve({ goAt, results: results as T[] });
        }
      });
    });
  });
}

/**
 * The child's side of {@link runGroup}: runs `setup`, says `ready`, calls `go` on the parent's
 * signal, reports `count()` every 50 ms, and on `stop` sends what `finish` returns and exits.
 */
export function joinGroup<T>(steps: { setup: () => Promise<void>; go: () => void; count: () => number; finish: () => Promise<T> }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('this step runs as a child of the benchmark, not on its own'));
      return;
    }
    let reporter: NodeJS.Timeout | undefined;
    const sendMessage = (message: GroupMessage): Promise<void> =>
      new Promise((sent, failed) => process.send!(message, (error: Error | null) => (error ? failed(error) : sent())));
    process.on('message', (raw) => {
      const message = raw as GroupMessage;
      if (message.type === 'go') {
        steps.go();
        reporter = setInterval(() => void sendMessage({ type: 'progress', count: steps.count() }).catch(() => undefined), 50);
      } else if (message.type === 'stop') {
        clearInterval(reporter);
        steps
          .finish()
          .then((result) => sendMessage({ type: 'result', result }))
          .then(() => {
            process.disconnect();
            resolve();
          }, reject);
      }
    });
    steps.setup().then(() => sendMessage({ type: 'ready' }), reject);
  });
}
