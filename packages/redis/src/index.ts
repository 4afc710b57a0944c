/**
 * `@horae/redis`: a Horae task store on Redis, for applications whose replicas share one schedule.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 * import { RedisStore } from '@horae/redis';
 *
 * const scheduler = new Scheduler({ stores: { default: new RedisStore({ url: process.env.REDIS_URL }) } });
 * scheduler.define('report', async () => sendReport());
 * await scheduler.start();
 * await scheduler.addTask({ id: 'nightly', handler: 'report', trigger: { type: 'cron', expression: '0 3 * * *' }, replaceExisting: true });
 * ```
 *
 * @packageDocumentation
 */
export { RedisStore, type RedisStoreKeys, type RedisStoreOptions } from './redis-store.js';
