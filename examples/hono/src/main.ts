/**
 * The app on Node with @hono/node-server: `pnpm start`, then
 *   curl -X POST 'localhost:3000/reminders?in=5&text=tea'   # a task added at run time
 *   curl localhost:3000/tasks                               # every task with its next run
 * Ctrl-C (or SIGTERM) drains it: requests in flight finish, running handlers get 10 s.
 * Tasks live in ./.horae (a FileStore) and survive a restart; with REDIS_URL set they live in
 * Redis, shared by every replica of the app.
 */
import { FileStore, Scheduler, type TaskStore } from '@horae/core';
import { listen } from '@horae/hono/node';
import { RedisStore } from '@horae/redis';
import { createApp } from './app.js';

const store: TaskStore = process.env.REDIS_URL ? new RedisStore({ url: process.env.REDIS_URL, prefix: 'example-hono' }) : new FileStore({ directory: '.horae' });
const scheduler = new Scheduler({ stores: { default: store } });
const app = await createApp(scheduler);

const port = Number(process.env.PORT ?? 3000);
await listen(app, scheduler, { port, onShutdown: () => console.log('drained; bye') });
console.log(`listening on http://localhost:${port} (POST /reminders?in=5&text=tea, GET /tasks)`);
