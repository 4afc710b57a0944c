/**
 * The shared store both replicas use, chosen by the scheme of its URL: `redis://` (or
 * `rediss://`) for a RedisStore, `mongodb://` (or `mongodb+srv://`) for a MongoDBStore,
 * `postgres://` (or `postgresql://`) for a PostgresStore. The rest of the example does not care
 * which one it is.
 */
import type { TaskStore } from '@horae/core';

/** Where the example keeps its tasks: a key prefix in Redis, a database in MongoDB, a schema in PostgreSQL. */
const PLACE = 'horae-example';

export type StoreKind = 'redis' | 'mongodb' | 'postgres';

/** The store's URL: STORE_URL names any of the three; an application whose database is PostgreSQL has DATABASE_URL. */
export function storeUrl(): string {
  return process.env.STORE_URL ?? process.env.DATABASE_URL ?? '';
}

/** Which store a URL is for, or `undefined` when it is none of them. */
export function storeKind(url: string): StoreKind | undefined {
  if (/^rediss?:\/\//.test(url)) return 'redis';
  if (/^mongodb(\+srv)?:\/\//.test(url)) return 'mongodb';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  return undefined;
}

/** A store on the example's place; each replica opens its own. */
export async function openStore(url: string): Promise<TaskStore> {
  if (storeKind(url) === 'redis') {
    const { RedisStore } = await import('@horae/redis');
    return new RedisStore({ url, prefix: PLACE });
  }
  if (storeKind(url) === 'postgres') {
    const { PostgresStore } = await import('@horae/postgres');
    return new PostgresStore({ connectionString: url, schema: PLACE });
  }
  const { MongoDBStore } = await import('@horae/mongodb');
  return new MongoDBStore({ url, database: PLACE });
}

/** Removes what earlier runs of the example left (its own keys, database or schema, nothing else). */
export async function clearStore(url: string): Promise<void> {
  if (storeKind(url) === 'redis') {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url);
    // Every key of a RedisStore sits under its hash tag, `{prefix}`.
    const keys = await redis.keys(`{${PLACE}}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    return;
  }
  if (storeKind(url) === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // The store's tables, functions and run history all live in the example's schema.
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(PLACE)} CASCADE`);
    await client.end();
    return;
  }
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  await client.db(PLACE).dropDatabase();
  await client.close();
}
