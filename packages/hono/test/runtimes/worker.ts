/**
 * A Cloudflare Worker: a Hono app with a scheduler, whose `scheduled` entry runs the app's tasks.
 * It records every run it makes, for the test to read through `GET /runs`.
 */
import { Scheduled, Scheduler, type RunContext } from '@horae/core';
import { horae, scheduled } from '@horae/hono';
import { Hono } from 'hono';

const runs: string[] = [];
const record = (taskId: string, ctx: RunContext) => void runs.push(`ran ${taskId} ${ctx.scheduledAt.toISOString()}`);
const quiet = () => undefined;
const scheduler = new Scheduler({ timezone: 'UTC', logger: { debug: quiet, info: quiet, warn: quiet, error: (message: string, ...details: unknown[]) => void runs.push(`error ${message} ${details.map((detail) => (detail instanceof Error ? detail.stack : String(detail))).join(" ")}`) } });

class Jobs {
  @Scheduled({ cron: '*/5 * * * *', id: 'every-5-min' })
  everyFive(_args: unknown, ctx: RunContext) {
    record('every-5-min', ctx);
  }

  @Scheduled({ interval: { minutes: 3 }, id: 'every-3-min', coalesce: false })
  async everyThree(_args: unknown, ctx: RunContext) {
    // Work that outlives the handler's first tick: the invocation must wait for it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    record('every-3-min', ctx);
  }
}
await scheduler.register(new Jobs());
scheduler.define('once', (_args: unknown, ctx: RunContext) => record(ctx.taskId, ctx));

const app = new Hono();
app.use(horae(scheduler));
app.get('/runs', (c) => c.json(runs));
app.post('/tasks/:id', async (c) => {
  await c.var.scheduler.addTask({ id: c.req.param('id'), handler: 'once', trigger: { type: 'date', runAt: c.req.query('at')! } });
  return c.json({ id: c.req.param('id') }, 201);
});

export default { fetch: app.fetch, scheduled: scheduled(scheduler) };
