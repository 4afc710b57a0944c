/**
 * The same app as a Cloudflare Worker (`wrangler dev` / `wrangler deploy` with wrangler.toml):
 * the cron trigger of wrangler.toml calls `scheduled`, which runs every task's fires since the
 * trigger's previous tick. Nothing persists between invocations: tasks are those the app
 * declares (here the @Scheduled one), plus those routes add while the isolate lives.
 */
import { Scheduler } from '@horae/core';
import { scheduled } from '@horae/hono';
import { createApp } from './app.js';

const scheduler = new Scheduler({ timezone: 'UTC' });
const app = await createApp(scheduler);

export default { fetch: app.fetch, scheduled: scheduled(scheduler) };
