/**
 * A Hono app on Bun.serve or Deno.serve (whichever runtime runs it), bound to a scheduler with
 * the adapter's server host. It prints one line per thing the test waits for or checks.
 */
import { bindLifecycle, Scheduled, Scheduler, type RunContext } from '@horae/core';
import { bunServerHost, denoServerHost, horae } from '@horae/hono';
import { Hono } from 'hono';

declare const Bun: { serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): { port: number; stop(force?: boolean): Promise<void> } } | undefined;
declare const Deno:
  | {
      serve(options: { port: number; hostname: string; onListen(address: { port: number }): void }, fetch: (request: Request) => Response | Promise<Response>): { shutdown(): Promise<void>; finished: Promise<void> };
      version: { deno: string };
    }
  | undefined;

const say = (line: string) => console.log(line);
const quiet = () => undefined;
const scheduler = new Scheduler({ timezone: 'UTC', logger: { debug: quiet, info: (message: string) => say(`log ${message}`), warn: quiet, error: (message: string) => say(`error ${message}`) } });

class Jobs {
  ticks = 0;

  @Scheduled({ interval: { milliseconds: 100 }, id: 'jobs:tick' })
  tick() {
    if (++this.ticks === 1) say('tick');
  }
}
await scheduler.register(new Jobs());
scheduler.define('fire', ({ id }: { id: string }) => say(`fired ${id}`));
scheduler.define('work', async (_args: unknown, ctx: RunContext) => {
  say('started');
  await new Promise((resolve) => setTimeout(resolve, 500));
  say(ctx.signal.aborted ? 'aborted' : 'finished');
});
scheduler.on('scheduler:shutdown', () => say('scheduler shutdown'));

const app = new Hono();
app.use(horae(scheduler));
app.get('/scheduler', (c) => c.json({ state: c.var.scheduler.state, runtime: typeof Bun !== 'undefined' ? 'bun' : 'deno' }));
app.post('/tasks/:id', async (c) => {
  const id = c.req.param('id');
  const handler = c.req.query('handler') ?? 'fire';
  await c.get('scheduler').addTask({ id, handler, args: { id }, trigger: { type: 'date', runAt: Date.now() + Number(c.req.query('delay') ?? 0) } });
  return c.json({ id }, 201);
});
app.get('/slow', async (c) => {
  await new Promise((resolve) => setTimeout(resolve, Number(c.req.query('ms') ?? 0)));
  return c.text('slow done');
});

const options = { signals: true, shutdownTimeout: 10_000 } as const;
if (typeof Bun !== 'undefined') {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
  bindLifecycle(scheduler, bunServerHost(server), options);
  say(`listening ${server.port}`);
} else if (typeof Deno !== 'undefined') {
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => say(`listening ${port}`) }, app.fetch);
  bindLifecycle(scheduler, denoServerHost(server), options);
} else {
  throw new Error('run this under Bun or Deno');
}
process.on('exit', (code) => say(`exit ${code}`));
