/**
 * The two contenders as the Redis benchmarks set them up, in one place so that every benchmark
 * measures the same configuration: Horae is a `Scheduler` on a `RedisStore`, BullMQ a `Queue`
 * and `Worker`, both on the same Redis (`REDIS_URL`) under prefixes of their own.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Scheduler, type TaskHandler } from '@horae/core';
import { RedisStore } from '@horae/redis';
import { schedulerDrainer, type Drainer } from '../lib/drain.js';
import { BULLMQ_CONNECTION, BULLMQ_PREFIX, HANDLER, HORAE_CONNECTION, chunks, redisUrl } from './lib.js';

/** What every benchmark task carries: its index, as the handler's args or the job's data. */
export interface Payload {
  i: number;
}

/** How many tasks / jobs one `addTasks`, `Promise.all` or `addBulk` call takes, when adding in chunks. */
export const CHUNK = 1_000;

// ------------------------------------------------------------------ Horae

export interface HoraeOptions {
  /** The RedisStore prefix, `horaePrefix(tag)`: a fresh one per run (see lib.ts). */
  prefix: string;
  instanceId: string;
  /** The scheduler's `batchSize` (due tasks claimed per store call); default 100. */
  batchSize?: number;
  /**
   * `false` turns the run history off (`runHistory: false`); left out, the scheduler's default:
   * every run recorded in the store (a task's only run in `{prefix}:lone-runs:<0|1>`, its runs in
   * `{prefix}:history:<task id>` once it has more), in batches every 200 ms.
   */
  runHistory?: false;
  onFire?: (payload: Payload) => void;
}

/**
 * A scheduler as the `@horae/redis` README sets one up: a `RedisStore` as the default store,
 * the default `AsyncExecutor`, a handler defined by name (persistent stores keep names). No
 * encryption key (BullMQ does not encrypt either), whatever the environment says. The store's
 * connections are named (CLIENT SETNAME, once per connection) so benchmark 4 can tell them apart.
 */
export function horaeScheduler(options: HoraeOptions): Scheduler {
  const scheduler = new Scheduler({
    stores: { default: new RedisStore({ url: redisUrl(), prefix: options.prefix, redisOptions: { connectionName: HORAE_CONNECTION } }) },
    encryptionKey: null,
    instanceId: options.instanceId,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.runHistory === undefined ? {} : { runHistory: options.runHistory }),
  });
  const onFire = options.onFire ?? (() => undefined);
  const handler: TaskHandler<Payload> = (payload) => onFire(payload);
  scheduler.define(HANDLER, handler);
  return scheduler;
}

/**
 * Puts `count` tasks that are already due into a Horae store and stops: date triggers at the
 * time of loading, `misfireGraceTime: null` so they run however long the draining takes (as a
 * waiting BullMQ job does). The scheduler is started paused, so nothing is dispatched here.
 * Added with `addTasks` in chunks of {@link CHUNK}. Resolves to the time it took, ms.
 */
export async function loadDueHorae(prefix: string, count: number): Promise<number> {
  const scheduler = horaeScheduler({ prefix, instanceId: 'bench-loader' });
  await scheduler.start({ paused: true });
  const started = performance.now();
  const runAt = Date.now();
  const indices = Array.from({ length: count }, (_, i) => i);
  for (const chunk of chunks(indices, CHUNK)) {
    await scheduler.addTasks(chunk.map((i) => ({ handler: HANDLER, args: { i }, trigger: { type: 'date', runAt }, misfireGraceTime: null })));
  }
  const took = performance.now() - started;
  await scheduler.shutdown();
  return took;
}

// ------------------------------------------------------------------ BullMQ

export interface BullmqOptions {
  queue: string;
  /** Worker concurrency; BullMQ's default is 1. */
  concurrency?: number;
  onFire?: (payload: Payload) => void;
}

/** A queue with BullMQ's defaults, on the benchmark's Redis and prefix. */
export function bullmqQueue(name: string): Queue<Payload> {
  return new Queue<Payload>(name, { connection: { url: redisUrl(), connectionName: BULLMQ_CONNECTION }, prefix: BULLMQ_PREFIX });
}

/**
 * A worker with BullMQ's defaults (concurrency 1 unless given, completed jobs kept, 30 s locks),
 * not running until `run()`; its processor does nothing but call `onFire`.
 */
export function bullmqWorker(options: BullmqOptions): Worker<Payload> {
  const onFire = options.onFire ?? (() => undefined);
  const processor = (job: Job<Payload>): Promise<void> => {
    onFire(job.data);
    return Promise.resolve();
  };
  return new Worker<Payload>(options.queue, processor, {
    connection: { url: redisUrl(), connectionName: BULLMQ_CONNECTION },
    prefix: BULLMQ_PREFIX,
    autorun: false,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
}

/** Puts `count` waiting jobs into a BullMQ queue: `addBulk` in chunks of {@link CHUNK}. Resolves to ms. */
export async function loadDueBullmq(queueName: string, count: number): Promise<number> {
  const queue = bullmqQueue(queueName);
  await queue.waitUntilReady();
  const started = performance.now();
  const indices = Array.from({ length: count }, (_, i) => i);
  for (const chunk of chunks(indices, CHUNK)) await queue.addBulk(chunk.map((i) => ({ name: HANDLER, data: { i } })));
  const took = performance.now() - started;
  await queue.close();
  return took;
}

// ------------------------------------------------------------------ draining

export function horaeDrainer(prefix: string, instanceId: string, onFire: (payload: Payload) => void, batchSize?: number, runHistory?: false): Drainer {
  return schedulerDrainer(horaeScheduler({ prefix, instanceId, onFire, ...(batchSize === undefined ? {} : { batchSize }), ...(runHistory === undefined ? {} : { runHistory }) }));
}

export function bullmqDrainer(queue: string, onFire: (payload: Payload) => void, concurrency?: number): Drainer {
  const worker = bullmqWorker({ queue, onFire, ...(concurrency === undefined ? {} : { concurrency }) });
  return {
    setup: () => worker.waitUntilReady(),
    go: () => {
      worker.run().catch((error: unknown) => console.error('BullMQ worker failed:', error));
    },
    stop: () => worker.close(),
  };
}
