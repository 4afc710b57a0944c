/**
 * An Express app with a scheduler: `pnpm start`, then
 *   curl -X POST 'localhost:3000/reminders?in=5&text=tea'   # a task added at run time
 *   curl localhost:3000/tasks                               # every task with its next run
 * Ctrl-C (or SIGTERM) drains it: requests in flight finish, running handlers get 10 s.
 * Tasks live in ./.horae (a FileStore) and survive a restart; with REDIS_URL set they live in
 * Redis, shared by every replica of the app.
 */
import { FileStore, Scheduled, Scheduler, type RunContext, type TaskStore } from '@horae/core';
import { horae, listen } from '@horae/express';
import { RedisStore } from '@horae/redis';
import express from 'express';

const store: TaskStore = process.env.REDIS_URL ? new RedisStore({ url: process.env.REDIS_URL, prefix: 'example-express' }) : new FileStore({ directory: '.horae' });
const scheduler = new Scheduler({ stores: { default: store } });

class Housekeeping {
  @Scheduled({ interval: { seconds: 30 }, id: 'housekeeping:report' })
  async report(_args: unknown, ctx: RunContext) {
    const tasks = await scheduler.getTaskInfos();
    console.log(`[${ctx.scheduledAt.toISOString()}] housekeeping: ${tasks.length} task(s) scheduled`);
  }
}

scheduler.define('remind', ({ text }: { text: string }, ctx) => {
  console.log(`[${ctx.scheduledAt.toISOString()}] reminder: ${text}`);
});
await scheduler.register(new Housekeeping());

const app = express();
app.use(horae(scheduler));

app.post('/reminders', async (req, res) => {
  const seconds = Number(req.query.in ?? 10);
  const text = typeof req.query.text === 'string' ? req.query.text : 'something';
  const task = await req.scheduler.addTask({ handler: 'remind', args: { text }, trigger: { type: 'date', runAt: Date.now() + seconds * 1000 } });
  res.status(201).json({ id: task.id, runAt: task.nextRunTime });
});

app.get('/tasks', async (req, res) => {
  const tasks = await req.scheduler.getTaskInfos({ sortBy: 'nextRunTime' });
  res.json(tasks.map(({ id, handler, triggerDescription, nextRunTime, state }) => ({ id, handler, trigger: triggerDescription, nextRunTime, state })));
});

const port = Number(process.env.PORT ?? 3000);
await listen(app, scheduler, { port, onShutdown: () => console.log('drained; bye') });
console.log(`listening on http://localhost:${port} (POST /reminders?in=5&text=tea, GET /tasks)`);
