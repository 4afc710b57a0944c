import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { MongoDBStore, missingIndexes } from '@horae/mongodb';
import { inspectTables, PostgresStore } from '@horae/postgres';
import { RedisStore } from '@horae/redis';
import pg from 'pg';
import type { Scheduler } from '@horae/core';
import { EXIT } from '../exit.js';
import { colour, duration, type Output } from '../format.js';
import { unreadRecords, type Connection, type StoreOptions } from '../connect.js';

/** One finding of `horae doctor`. */
export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skipped';
  readonly detail: string;
}

/** How far apart the store's clock and this machine's may be before it matters (leases are seconds long). */
const SKEW_LIMIT = 1_000;

/** The store server's clock minus this machine's, in ms, measured at the middle of the round trip. */
async function serverSkew(url: string): Promise<number | undefined> {
  const scheme = /^([a-z+]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
    // Failures come back from the commands; without a listener ioredis also prints them.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const before = Date.now();
      const [seconds, micros] = await client.time();
      return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000) - (before + Date.now()) / 2;
    } finally {
      client.disconnect();
    }
  }
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 3_000 });
    try {
      const before = Date.now();
      const hello = (await client.db('admin').command({ hello: 1 })) as { localTime?: Date };
      return hello.localTime === undefined ? undefined : hello.localTime.getTime() - (before + Date.now()) / 2;
    } finally {
      await client.close();
    }
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const before = Date.now();
      const { rows } = await client.query<{ now: number }>('SELECT extract(epoch from clock_timestamp()) * 1000 AS now');
      return Number(rows[0]!.now) - (before + Date.now()) / 2;
    } finally {
      await client.end();
    }
  }
  return undefined;
}

async function clockCheck(url: string | undefined): Promise<Check> {
  if (url === undefined || url === '' || url.startsWith('file:')) return { name: 'clock', status: 'skipped', detail: 'the store has no clock of its own to compare (a file store, or stores from a config file)' };
  const skew = await serverSkew(url);
  if (skew === undefined) return { name: 'clock', status: 'skipped', detail: 'the server does not tell its time' };
  const detail = `the store's clock is ${duration(Math.abs(skew))} ${skew >= 0 ? 'ahead of' : 'behind'} this machine's`;
  // Claims and leases follow the store's clock; a machine whose clock is off still shows times off.
  return { name: 'clock', status: Math.abs(skew) > SKEW_LIMIT ? 'warn' : 'ok', detail };
}

function keyCheck(unreadable: readonly string[], tasks: number): Check {
  const count = unreadRecords(unreadable).size;
  const keySet = (process.env.HORAE_STORE_ENCRYPTION_KEY ?? '') !== '';
  if (count === 0) {
    return { name: 'records', status: 'ok', detail: `all ${tasks} task records read${keySet ? ' and decrypted with HORAE_STORE_ENCRYPTION_KEY' : ''}` };
  }
  const encrypted = unreadable.some((line) => /decrypt|encrypt|seal/i.test(line));
  const fix = encrypted ? (keySet ? 'HORAE_STORE_ENCRYPTION_KEY is not the key they were written with' : 'they are encrypted and HORAE_STORE_ENCRYPTION_KEY is not set') : 'see the reasons with HORAE_DEBUG=1';
  return { name: 'records', status: 'fail', detail: `${count} task record(s) cannot be read here: ${fix}` };
}

async function handlerCheck(scheduler: Scheduler): Promise<Check> {
  const instances = await scheduler.getInstances();
  if (instances.length === 0) return { name: 'handlers', status: 'warn', detail: 'no instance alive: no task runs until one starts' };
  const defined = new Set(instances.flatMap((instance) => instance.handlers));
  const infos = await scheduler.getTaskInfos();
  const orphans = infos.filter((info) => !defined.has(info.handler));
  if (orphans.length > 0) {
    const names = [...new Set(orphans.map((info) => info.handler))].join(', ');
    return { name: 'handlers', status: 'fail', detail: `${orphans.length} task(s) have a handler no instance alive defines (${names}): ${orphans.slice(0, 5).map((info) => info.id).join(', ')}${orphans.length > 5 ? ', …' : ''}` };
  }
  // An instance that claims a task whose handler it lacks quarantines it: every instance on the
  // store should define every handler its tasks use.
  const used = [...new Set(infos.map((info) => info.handler))];
  const lacking = instances.map((instance) => ({ instance, missing: used.filter((name) => !instance.handlers.includes(name)) })).filter(({ missing }) => missing.length > 0);
  if (lacking.length > 0) {
    return { name: 'handlers', status: 'warn', detail: `instance(s) lack handlers their store's tasks use, and would quarantine a task they claim: ${lacking.map(({ instance, missing }) => `${instance.instanceId} (${missing.join(', ')})`).join('; ')}` };
  }
  return { name: 'handlers', status: 'ok', detail: `each of the ${instances.length} instance(s) alive defines every handler the tasks use` };
}

/**
 * The checks made before the store is opened: opening it repairs some of what they look for (a
 * MongoDB store creates its missing indexes when it connects).
 */
export async function checksBeforeOpening(options: StoreOptions): Promise<Check[]> {
  // The store connect() opens: --store, else HORAE_STORE unless a config file is given.
  const url = options.store ?? (options.config === undefined ? process.env.HORAE_STORE : undefined);
  if (url === undefined) return [];
  try {
    if (/^mongodb(\+srv)?:/i.test(url)) return [await mongoIndexes(url, options)];
    if (/^rediss?:/i.test(url)) return [await redisDueIndex(url, options)];
    if (/^postgres(ql)?:/i.test(url)) return [await postgresTables(url, options)];
  } catch (error) {
    // Unreachable: opening the store says so, in one line.
    const name = /^rediss?:/i.test(url) ? 'due index' : /^postgres/i.test(url) ? 'tables' : 'indexes';
    return [{ name, status: 'skipped', detail: `not read: ${(error as Error).message}` }];
  }
  return [];
}

async function mongoIndexes(url: string, options: StoreOptions): Promise<Check> {
  const store = new MongoDBStore({ url, ...(options.database === undefined ? {} : { database: options.database }), ...(options.collection === undefined ? {} : { collection: options.collection }) });
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 3_000 });
  try {
    const missing = await missingIndexes(client.db(store.database), store.collections);
    return missing.length === 0
      ? { name: 'indexes', status: 'ok', detail: `the store's ${store.database} collections have their indexes` }
      : { name: 'indexes', status: 'fail', detail: `missing: ${missing.join(', ')} (claims scan the collection without them; this doctor's connection created them again)` };
  } finally {
    await client.close();
  }
}

/**
 * Whether a PostgreSQL store's tables exist, at the version this CLI's @horae/postgres knows, with
 * every index: read before the store opens, since opening creates or migrates the tables.
 */
async function postgresTables(url: string, options: StoreOptions): Promise<Check> {
  // A store never started connects to nothing: it only names its schema and table.
  const store = new PostgresStore({ ...(options.schema === undefined ? {} : { schema: options.schema }), ...(options.table === undefined ? {} : { table: options.table }) });
  const where = `${store.schema}.${store.table}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { version, latest, missingIndexes } = await inspectTables(client, store);
    if (version === undefined) {
      return { name: 'tables', status: 'fail', detail: `no store's tables at ${where} (no store has started on them; this doctor's connection created them): check --schema and --table` };
    }
    if (version > latest) return { name: 'tables', status: 'warn', detail: `${where} is at schema version ${version}, newer than this horae knows (${latest}): upgrade @horae/cli` };
    if (missingIndexes.length > 0) {
      return { name: 'tables', status: 'fail', detail: `missing index(es) on ${where}: ${missingIndexes.join(', ')} (claims and sweeps scan the tables without them; create them again as the package README's table of indexes shows)` };
    }
    return { name: 'tables', status: 'ok', detail: `${where} at schema version ${version}, with its indexes` };
  } finally {
    await client.end();
  }
}

/**
 * Whether every task row of a Redis store is in its due index or its paused set, by counting
 * (what the store's own periodic check counts): a row missing from both never fires.
 */
async function redisDueIndex(url: string, options: StoreOptions): Promise<Check> {
  // A store never started connects to nothing: it only names the keys.
  const { tasks, due, paused } = new RedisStore(options.prefix === undefined ? {} : { prefix: options.prefix }).keys;
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true, connectTimeout: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [rows, indexed, held] = await Promise.all([client.hlen(tasks), client.zcard(due), client.scard(paused)]);
    if (rows === indexed + held) return { name: 'due index', status: 'ok', detail: `${rows} task row(s): ${indexed} in the due index, ${held} paused` };
    return {
      name: 'due index',
      status: 'fail',
      detail: `${rows} task row(s) but ${indexed} in the due index and ${held} paused: tasks missing from it never fire until a running instance repairs it (within its indexCheckInterval)`,
    };
  } finally {
    client.disconnect();
  }
}

/** `horae doctor`: the checks that would have caught real incidents; exit code 4 when one is not ok. */
export async function doctor(connection: Connection, out: Output, opened: readonly Check[] = []): Promise<number> {
  const { scheduler, logger } = connection;
  const checks: Check[] = [{ name: 'store', status: 'ok', detail: `reachable: ${connection.source}` }, ...opened];
  checks.push(await clockCheck(connection.url).catch((error: unknown): Check => ({ name: 'clock', status: 'warn', detail: `could not read the store's clock: ${(error as Error).message}` })));
  const before = logger.warnings.length;
  const tasks = await scheduler.getTaskInfos();
  checks.push(keyCheck(logger.warnings.slice(before), tasks.length));
  const quarantined = await scheduler.getQuarantinedTasks();
  checks.push(
    quarantined.length === 0
      ? { name: 'quarantine', status: 'ok', detail: 'empty' }
      : { name: 'quarantine', status: 'warn', detail: `${quarantined.length} record(s) set aside: ${quarantined.slice(0, 3).map((task) => `${task.id} (${task.reason})`).join('; ')} — see horae quarantine list` },
  );
  checks.push(await handlerCheck(scheduler));
  if (out.json) out.data({ checks });
  else {
    const mark = { ok: colour.green('ok  '), warn: colour.yellow('warn'), fail: colour.red('FAIL'), skipped: colour.dim('skip') };
    for (const check of checks) out.line(`${mark[check.status]}  ${colour.bold(check.name.padEnd(11))}${check.detail}`);
  }
  return checks.some((check) => check.status === 'warn' || check.status === 'fail') ? EXIT.problems : EXIT.ok;
}
