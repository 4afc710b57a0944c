import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Scheduler } from '@horae/core';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduled } from '../src/index.js';
import { bundle } from './runtimes/bundle.js';

const MINUTE = 60_000;
/** The oldest compatibility date the docs promise: node:os and node:fs exist from it on. */
const COMPATIBILITY_DATE = '2025-09-15';

/** What Miniflare's worker handle offers to fire a cron trigger (its Workers types are not installed here). */
interface ScheduledWorker {
  scheduled(options: { cron: string; scheduledTime: Date }): Promise<{ outcome: string; noRetry: boolean }>;
}
const scheduledWorker = async (mf: Miniflare) => (await mf.getWorker()) as unknown as ScheduledWorker;

/** Every multiple of `step` ms in (from, to], as ISO strings. */
function grid(step: number, from: number, to: number): string[] {
  const times: string[] = [];
  for (let time = (Math.floor(from / step) + 1) * step; time <= to; time += step) times.push(new Date(time).toISOString());
  return times;
}

describe('Hono on Cloudflare Workers: the scheduled entry under workerd (Miniflare)', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    const path = await bundle('./worker.ts');
    // Listed as a module rather than given as a script: Miniflare would refuse core's dynamic
    // import() (of module handlers), which a Worker never reaches.
    mf = new Miniflare({
      modulesRoot: dirname(path),
      modules: [{ type: 'ESModule', path, contents: await readFile(path, 'utf8') }],
      compatibilityDate: COMPATIBILITY_DATE, compatibilityFlags: ['nodejs_compat'],
      cf: false,
    });
    await mf.ready;
  }, 60_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it('runs every fire of every task between two cron ticks once, none twice and none lost, with tasks added by a route', async () => {
    const worker = await scheduledWorker(mf);
    const added = await mf.dispatchFetch('http://localhost/tasks/reminder?at=2026-03-01T12:37:30Z', { method: 'POST' });
    expect(added.status).toBe(201);
    const from = Date.parse('2026-03-01T12:00:00Z');
    const to = Date.parse('2026-03-01T13:00:00Z');
    for (let tick = from + 10 * MINUTE; tick <= to; tick += 10 * MINUTE) {
      // As the runtime calls it for wrangler's `crons = ["*/10 * * * *"]`.
      expect(await worker.scheduled({ cron: '*/10 * * * *', scheduledTime: new Date(tick) })).toEqual({ outcome: 'ok', noRetry: false });
    }
    const runs = (await (await mf.dispatchFetch('http://localhost/runs')).json()) as string[];
    const ran = (taskId: string) => runs.filter((run) => run.startsWith(`ran ${taskId} `)).map((run) => run.split(' ')[2]);
    expect(runs.filter((run) => run.startsWith('error'))).toEqual([]);
    // coalesce: false: a run for each fire, every fire once.
    expect(ran('every-3-min')).toEqual(grid(3 * MINUTE, from, to));
    // Coalesced (the default): one run per invocation, for the latest of its fires (12:05 and 12:10 -> 12:10).
    expect(ran('every-5-min')).toEqual(grid(10 * MINUTE, from, to));
    expect(ran('reminder')).toEqual(['2026-03-01T12:37:30.000Z']);
  });

  it('fails the invocation when the cron it is given cannot be read', async () => {
    const worker = await scheduledWorker(mf);
    expect(await worker.scheduled({ cron: 'not a cron', scheduledTime: new Date() })).toMatchObject({ outcome: 'exception' });
  });
});

describe('scheduled(), called as the Workers runtime calls it', () => {
  it('hands its work to ctx.waitUntil and resolves when every run has ended', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const ran: string[] = [];
    scheduler.define('slow', async (_args, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ran.push(ctx.scheduledAt.toISOString());
    });
    await scheduler.addTask({ id: 'slow', handler: 'slow', trigger: { type: 'cron', expression: '0 * * * *' } });
    const waited: Promise<unknown>[] = [];
    const handler = scheduled(scheduler);
    const result = handler({ cron: '0 * * * *', scheduledTime: Date.parse('2026-03-01T12:00:00Z') }, {}, { waitUntil: (promise) => void waited.push(promise) });
    expect(waited).toHaveLength(1);
    await result;
    expect(ran).toEqual(['2026-03-01T12:00:00.000Z']);
    await scheduler.shutdown();
  });
});
