import type { Scheduler } from '@horae/core';
import type { MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    /** The Horae scheduler, set by `horae(scheduler)`. */
    scheduler: Scheduler;
  }
}

/**
 * Middleware that makes the scheduler reachable in every handler as `c.var.scheduler` (or
 * `c.get('scheduler')`), typed through Hono's `ContextVariableMap`.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.use(horae(scheduler));
 * app.get('/tasks', async (c) => c.json(await c.var.scheduler.getTaskInfos()));
 * ```
 * @public
 */
export function horae(scheduler: Scheduler): MiddlewareHandler {
  return async (c, next) => {
    c.set('scheduler', scheduler);
    await next();
  };
}
