/**
 * `@horae/postgres`: a Horae task store on PostgreSQL, for applications whose replicas share one schedule.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { PostgresStore } from '@horae/postgres';
 *
 * const scheduler = new Scheduler({ stores: { default: new PostgresStore({ connectionString: process.env.DATABASE_URL }) } });
 * scheduler.define('report', async () => sendReport());
 * await scheduler.start();
 * await scheduler.addTask({ id: 'nightly', handler: 'report', trigger: { type: 'cron', expression: '0 3 * * *' }, replaceExisting: true });
 * ```
 *
 * @packageDocumentation
 */
export { PostgresStore, type PostgresStoreOptions, type PostgresStoreTables } from './postgres-store.js';
export { inspectTables, type TablesStatus } from './diagnostics.js';
