import type { Db } from 'mongodb';
import { INSTANCE_INDEXES, RUN_INDEXES, TASK_INDEXES } from './connection.js';
import type { MongoDBStoreCollections } from './options.js';

/**
 * The indexes a MongoDB store needs that its collections lack, as `<collection>.<index>`: read
 * only, for diagnostics (`horae doctor`). A store creates them when it connects; one missing
 * means nothing has connected since they were dropped, or the user lacks the right to create
 * them, and claims then scan the collection.
 *
 * @example
 * ```ts
 * const store = new MongoDBStore({ url, database: 'billing' });
 * const missing = await missingIndexes(client.db(store.database), store.collections);
 * ```
 * @public
 */
export async function missingIndexes(db: Db, collections: MongoDBStoreCollections): Promise<string[]> {
  const missing: string[] = [];
  for (const [collection, wanted] of [
    [collections.tasks, TASK_INDEXES],
    [collections.runs, RUN_INDEXES],
    [collections.instances, INSTANCE_INDEXES],
  ] as const) {
    let present: string[] = [];
    try {
      present = (await db.collection(collection).listIndexes().toArray()).map((index) => String((index as { name?: unknown }).name));
    } catch (error) {
      // A collection that does not exist yet has no indexes (NamespaceNotFound).
      if ((error as { codeName?: unknown }).codeName !== 'NamespaceNotFound') throw error;
    }
    for (const index of wanted) if (!present.includes(index.name!)) missing.push(`${collection}.${index.name!}`);
  }
  return missing;
}
