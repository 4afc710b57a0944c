import { runCronWindow, type Scheduler } from '@horae/core';

/** What a Cloudflare Workers `scheduled` event gives as its controller. @public */
export interface ScheduledControllerLike {
  /** The cron expression of the trigger that fired (from wrangler's `triggers.crons`). */
  readonly cron: string;
  /** The instant it fired for, epoch ms. */
  readonly scheduledTime: number;
}

/** The part of a Workers `ExecutionContext` the handler uses. @public */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * A Cloudflare Workers `scheduled` handler that runs the app's tasks: each invocation runs every
 * fire of every task that falls after the previous tick of the cron that fired (open) and at
 * its `scheduledTime` (closed), so consecutive ticks run each fire once and lose none. See
 * `runCronWindow` in `@horae/core` for the rules, and the Hono guide for which stores fit.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ timezone: 'UTC' });
 * await scheduler.register(new Reports());
 * const app = new Hono().use(horae(scheduler));
 * export default { fetch: app.fetch, scheduled: scheduled(scheduler) };
 * // wrangler.toml: [triggers] crons = ["* * * * *"]
 * ```
 * @public
 */
export function scheduled(scheduler: Scheduler): (controller: ScheduledControllerLike, env: unknown, ctx: ExecutionContextLike) => Promise<void> {
  return (controller, _env, ctx) => {
    const work = runCronWindow(scheduler, controller).then(() => undefined);
    // Keeps the invocation alive until every run has ended; returning it also reports a failure.
    ctx.waitUntil(work);
    return work;
  };
}
