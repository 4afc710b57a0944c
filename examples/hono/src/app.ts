/**
 * The app, whatever serves it: a Hono app with the scheduler injected, a route that adds a task
 * at run time, one that lists the tasks, and a class whose `@Scheduled` method is a task.
 */
import { Scheduled, type RunContext, type Scheduler } from '@horae/core';
import { horae } from '@horae/hono';
import { Hono } from 'hono';

class Housekeeping {
  @Scheduled({ interval: { seconds: 30 }, id: 'housekeeping:report' })
  report(_args: unknown, ctx: RunContext) {
    console.log(`[${ctx.scheduledAt.toISOString()}] housekeeping ran`);
  }
}

/** Defines the app's handlers and tasks on a scheduler, and returns the app. */
export async function createApp(scheduler: Scheduler): Promise<Hono> {
  scheduler.define('remind', ({ text }: { text: string }, ctx) => {
    console.log(`[${ctx.scheduledAt.toISOString()}] reminder: ${text}`);
  });
  await scheduler.register(new Housekeeping());

  const app = new Hono();
  app.use(horae(scheduler));
  app.post('/reminders', async (c) => {
    const seconds = Number(c.req.query('in') ?? 10);
    const text = c.req.query('text') ?? 'something';
    const task = await c.var.scheduler.addTask({ handler: 'remind', args: { text }, trigger: { type: 'date', runAt: Date.now() + seconds * 1000 } });
    return c.json({ id: task.id, runAt: task.nextRunTime }, 201);
  });
  app.get('/tasks', async (c) => {
    const tasks = await c.var.scheduler.getTaskInfos({ sortBy: 'nextRunTime' });
    return c.json(tasks.map(({ id, handler, triggerDescription, nextRunTime, state }) => ({ id, handler, trigger: triggerDescription, nextRunTime, state })));
  });
  return app;
}
