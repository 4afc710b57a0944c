/**
 * The shared store both replicas use, chosen by the scheme of STORE_URL: `redis://` (or
 * `rediss://`) for a RedisStore, `mongodb://` (or `mongodb+srv://`) for a MongoDBStore. The rest
 * of the example does not care which one it is.
 */
import type { TaskStore } from '@horae/core';

/** Where the example keeps its tasks: a key prefix in Redis, a database in MongoDB. */
const PLACE = 'horae-example';

export type StoreKind = 'redis' | 'mongodb';

/** Which store a URL is for, or `undefined` when it is neither. */
export function storeKind(url: string): StoreKind | undefined {
  if (/^rediss?:\/\//.test(url)) return 'redis';
  if (/^mongodb(\+srv)?:\/\//.test(url)) return 'mongodb';
  return undefined;
}

/** A store on the example's place; each replica opens its own. */
export async function openStore(url: string): Promise<TaskStore> {
  if (storeKind(url) === 'redis') {
    const { RedisStore } = await import('@horae/redis');
    return new RedisStore({ url, prefix: PLACE });
  }
  const { MongoDBStore } = await import('@horae/mongodb');
  return new MongoDBStore({ url, database: PLACE });
}

/** Removes what earlier runs of the example left (its own keys or database, nothing else). */
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
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  await client.db(PLACE).dropDatabase();
  await client.close();
}
