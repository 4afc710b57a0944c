/**
 * `@horae/mongodb`: a Horae task store on MongoDB, for applications whose replicas share one schedule.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { MongoDBStore } from '@horae/mongodb';
 *
 * const scheduler = new Scheduler({ stores: { default: new MongoDBStore({ url: process.env.MONGODB_URL }) } });
 * scheduler.define('report', async () => sendReport());
 * await scheduler.start();
 * await scheduler.addTask({ id: 'nightly', handler: 'report', trigger: { type: 'cron', expression: '0 3 * * *' }, replaceExisting: true });
 * ```
 *
 * @packageDocumentation
 */
export { MongoDBStore, type MongoDBStoreCollections, type MongoDBStoreOptions } from './mongodb-store.js';
export { missingIndexes } from './diagnostics.js';
