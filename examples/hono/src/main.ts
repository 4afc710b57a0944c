/**
 * The app on Node with @hono/node-server: `pnpm start`, then
 *   curl -X POST 'localhost:3000/reminders?in=5&text=tea'   # a task added at run time
 *   curl localhost:3000/tasks                               # every task with its next run
 * Ctrl-C (or SIGTERM) drains it: requests in flight finish, running handlers get 10 s.
 * Tasks live in ./.horae (a FileStore) and survive a restart; with REDIS_URL set they live in
 * Redis, shared by every replica of the app.
 *
 * The dashboard is at http://localhost:3000/horae/: without an authorize hook it answers this
 * machine only (loopback) and refuses every change. HORAE_DASHBOARD_TOKEN=<secret> gives it one
 * that lets requests bearing the token do everything, from any address, and refuses all others
 * (a browser sends no bearer token: in an app, authorize checks the user's session, see
 * docs/dashboard.md):
 *   curl -X POST -H "Authorization: Bearer $HORAE_DASHBOARD_TOKEN" localhost:3000/horae/api/tasks/housekeeping:report/run
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FileStore, Scheduler, type TaskStore } from '@horae/core';
import { dashboard } from '@horae/dashboard';
import { listen } from '@horae/hono/node';
import { RedisStore } from '@horae/redis';
import { createApp } from './app.js';

const store: TaskStore = process.env.REDIS_URL ? new RedisStore({ url: process.env.REDIS_URL, prefix: 'example-hono' }) : new FileStore({ directory: '.horae' });
const scheduler = new Scheduler({ stores: { default: store } });
const app = await createApp(scheduler);

// The dashboard and its access (see above), on Node only: worker.ts serves the app without it.
// The token is compared as digests, in constant time.
const token = process.env.HORAE_DASHBOARD_TOKEN;
const digest = (text: string) => createHash('sha256').update(text).digest();
const bearsToken = (request: Request) => timingSafeEqual(digest(request.headers.get('authorization') ?? ''), digest(`Bearer ${token}`));
app.mount('/horae', dashboard(scheduler, {
  basePath: '/horae',
  authorize: token ? (request) => (bearsToken(request) ? { identity: 'token holder' } : false) : undefined,
  onAudit: (entry) => console.log(`dashboard: ${entry.identity ?? 'someone'} ${entry.outcome === 'succeeded' ? 'did' : 'failed to do'} ${entry.action} on ${entry.taskId}`),
}).fetch, { replaceRequest: false });

const port = Number(process.env.PORT ?? 3000);
await listen(app, scheduler, { port, onShutdown: () => console.log('drained; bye') });
console.log(`listening on http://localhost:${port} (POST /reminders?in=5&text=tea, GET /tasks, the dashboard at /horae/)`);
