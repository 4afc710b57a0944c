/**
 * Benchmark 4b: scale of the shared stores. For a RedisStore and a MongoDBStore (replica set) with
 * 10,000 and 1,000,000 tasks (interval tasks, none due): the time to add them with
 * `scheduler.addTasks`, what the server keeps per task, and the p50 / p99 of a claim of 100 due
 * tasks among them (the store's `claimDueTasks`, then `dispatchTasks` releasing them as due again,
 * repeated), and the time of a `getTaskInfoPage` page of 100 and of the two after it. Each store
 * and size in a fresh child process, on a fresh key prefix or database, deleted afterwards.
 *
 * Goal (issue 17, item 4): the claim p99 at 1,000,000 tasks within 1.5x its p99 at 10,000, for
 * each store: a claim must not grow with the tasks that are not due.
 */
import { MongoClient } from 'mongodb';
import { Scheduler, type TaskStore } from '@horae/core';
import { MongoDBStore } from '@horae/mongodb';
import { RedisStore } from '@horae/redis';
import { fmt, header, printGoal, printTable, quantile, runChild, sendToParent } from './lib/report.js';
import { SCALE_HANDLER, addIdleTasks, claimRounds, pageTimes } from './lib/scale-steps.js';
import { adminClient as redisAdmin, deleteKeys, horaeKeys, horaePrefix, info, redisUrl } from './redis/lib.js';
import { DATABASE_PREFIX, replicaSetUrl } from './mongodb/lib.js';

const SIZES = [10_000, 1_000_000] as const;
const DUE = 100;
const CLAIMS = 500;
const SLICE = 10_000;

type Backend = 'redis' | 'mongodb';

interface Measured {
  backend: Backend;
  tasks: number;
  addMs: number;
  /** What the server holds per task: Redis `used_memory`, MongoDB data + index bytes. */
  serverBytesPerTask: number;
  claimP50: number;
  claimP99: number;
  /** One `getTaskInfoPage` page of 100, and the two after it, ms. */
  firstPageMs: number;
  twoPagesMs: number;
}

function storeFor(backend: Backend, tag: string): TaskStore {
  return backend === 'redis'
    ? new RedisStore({ url: redisUrl(), prefix: horaePrefix(tag) })
    : new MongoDBStore({ url: replicaSetUrl(), database: `${DATABASE_PREFIX}${tag}`.slice(0, 63) });
}

/** What the server holds now for this run: bytes. */
async function serverBytes(backend: Backend, tag: string): Promise<number> {
  if (backend === 'redis') {
    const client = redisAdmin();
    try {
      return Number((await info(client, 'memory')).get('used_memory'));
    } finally {
      client.disconnect();
    }
  }
  const client = new MongoClient(replicaSetUrl());
  try {
    const stats = await client.db(`${DATABASE_PREFIX}${tag}`.slice(0, 63)).command({ dbStats: 1 });
    return Number(stats.dataSize) + Number(stats.indexSize);
  } finally {
    await client.close();
  }
}

async function cleanUp(backend: Backend, tag: string): Promise<void> {
  if (backend === 'redis') {
    const client = redisAdmin();
    try {
      await deleteKeys(client, horaeKeys(tag));
    } finally {
      client.disconnect();
    }
    return;
  }
  const client = new MongoClient(replicaSetUrl());
  try {
    await client.db(`${DATABASE_PREFIX}${tag}`.slice(0, 63)).dropDatabase();
  } finally {
    await client.close();
  }
}

async function child(backend: Backend, tasks: number): Promise<void> {
  const tag = `scale-${backend}-${tasks}-${process.pid}`;
  const store = storeFor(backend, tag);
  const scheduler = new Scheduler({ stores: { default: store }, encryptionKey: null, runHistory: false, instanceId: `scale-${process.pid}` });
  scheduler.define(SCALE_HANDLER, () => undefined);
  try {
    const bytesBefore = backend === 'redis' ? await serverBytes(backend, tag) : 0;
    // Started paused: the claims below are the store's own, not raced by the dispatch loop.
    await scheduler.start({ paused: true });
    const addMs = await addIdleTasks(scheduler, tasks, SLICE);
    const serverBytesPerTask = ((await serverBytes(backend, tag)) - bytesBefore) / tasks;
    // 100 due tasks among them; each claim takes them, each release makes them due again.
    const claims = await claimRounds(scheduler, store, DUE, CLAIMS);
    const { firstPageMs, moreMs: twoPagesMs } = await pageTimes(scheduler, 2);
    await sendToParent({ backend, tasks, addMs, serverBytesPerTask, claimP50: quantile(claims, 0.5), claimP99: quantile(claims, 0.99), firstPageMs, twoPagesMs } satisfies Measured);
  } finally {
    await scheduler.shutdown();
    await cleanUp(backend, tag);
  }
  process.exit(0);
}

async function parent(): Promise<void> {
  header('Benchmark 4b: scale (RedisStore, MongoDBStore)');
  console.log(`Interval tasks, none due, added with scheduler.addTasks in slices of ${SLICE.toLocaleString('en-US')}; then ${DUE} due tasks among them,`);
  console.log(`claimed and released ${CLAIMS} times through the store. Each store and size in a fresh process, on a fresh prefix / database.`);
  console.log(`Redis at ${redisUrl()}; MongoDB (replica set) at ${replicaSetUrl()}.\n`);
  const rows: Measured[] = [];
  for (const backend of ['redis', 'mongodb'] as const) {
    for (const tasks of SIZES) rows.push(await runChild<Measured>(process.argv[1]!, [backend, String(tasks)], 1_800_000));
  }
  printTable(
    ['store', 'tasks', 'add s', 'add µs/task', 'server bytes/task', 'claim p50 ms', 'claim p99 ms', 'first page ms', '2 more pages ms'],
    rows.map((row) => [
      row.backend === 'redis' ? 'RedisStore' : 'MongoDBStore',
      row.tasks.toLocaleString('en-US'),
      fmt(row.addMs / 1_000, 1),
      fmt((row.addMs * 1_000) / row.tasks, 1),
      fmt(row.serverBytesPerTask, 0),
      fmt(row.claimP50, 3),
      fmt(row.claimP99, 3),
      fmt(row.firstPageMs, 0),
      fmt(row.twoPagesMs, 0),
    ]),
  );
  for (const backend of ['redis', 'mongodb'] as const) {
    const [small, large] = rows.filter((row) => row.backend === backend) as [Measured, Measured];
    printGoal(
      `${backend === 'redis' ? 'RedisStore' : 'MongoDBStore'}: claim p99 at 1,000,000 tasks within 1.5x the p99 at 10,000`,
      large.claimP99 <= 1.5 * small.claimP99,
      `${fmt(large.claimP99, 3)} ms vs ${fmt(small.claimP99, 3)} ms = ${fmt(large.claimP99 / small.claimP99, 2)}x`,
    );
  }
}

const [backend, size] = process.argv.slice(2);
if (backend === 'redis' || backend === 'mongodb') await child(backend, Number(size));
else await parent();
