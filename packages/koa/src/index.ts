/**
 * `@horae/koa`: the Horae scheduler inside a Koa 2 or 3 app.
 *
 * @packageDocumentation
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { bindLifecycle, listenWithLifecycle, restoreParsedBody, type Lifecycle, type LifecycleOptions, type ListenOptions as CoreListenOptions, type Scheduler } from '@horae/core';
// Named imports only: a default import of koa's `export =` types fails for apps without esModuleInterop.
import type { Middleware } from 'koa';

declare module 'koa' {
  interface DefaultContext {
    /** The Horae scheduler, set by `horae(scheduler)`. */
    scheduler: Scheduler;
  }
  interface DefaultState {
    /** The Horae scheduler, set by `horae(scheduler)` (also on `ctx.scheduler`). */
    scheduler: Scheduler;
  }
}

/**
 * Middleware that makes the scheduler reachable in every middleware after it: `ctx.scheduler`
 * and `ctx.state.scheduler`.
 *
 * @example
 * ```ts
 * app.use(horae(scheduler));
 * router.post('/reminders', async (ctx) => {
 *   await ctx.scheduler.addTask({ handler: 'remind', args: { text: 'hello' }, trigger: { type: 'date', runAt: Date.now() + 60_000 } });
 *   ctx.status = 201;
 * });
 * ```
 * @public
 */
export function horae(scheduler: Scheduler): Middleware {
  return (ctx, next) => {
    ctx.scheduler = scheduler;
    // ctx.state is what templates and many Koa libraries read (koa-views renders with it).
    ctx.state.scheduler = scheduler;
    return next();
  };
}

/**
 * Binds the scheduler to a server's life: started when it listens, drained when it closes (see
 * `bindLifecycle` in `@horae/core`). Signals are handled only if `signals` says so.
 *
 * @example
 * ```ts
 * const server = app.listen(3000);
 * bindScheduler(scheduler, server, { signals: true });
 * ```
 * @public
 */
export function bindScheduler(scheduler: Scheduler, server: Server, options: LifecycleOptions = {}): Lifecycle {
  return bindLifecycle(scheduler, server, options);
}

/** Options of {@link listen}: `port` (default 3000), `host`, and the lifecycle's options. @public */
export type ListenOptions = CoreListenOptions;

/** What {@link listen} needs of a Koa app (2 or 3, whatever its state and context types): its request handler. @public */
export interface KoaApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Listens with the app and binds the scheduler to the server: it starts once the server listens
 * and drains on SIGTERM/SIGINT (on by default here) or when the server closes. Resolves once the
 * server listens, with the server and the binding.
 *
 * @example
 * ```ts
 * const app = new Koa();
 * app.use(horae(scheduler));
 * await listen(app, scheduler, { port: 3000 });
 * ```
 * @public
 */
export async function listen(app: KoaApp, scheduler: Scheduler, options: ListenOptions = {}): Promise<{ server: Server; lifecycle: Lifecycle }> {
  const callback = app.callback();
  // What app.listen() does, without listening yet. Koa's callback settles its own errors
  // (ctx.onerror answers 500), so nothing waits on the promise it returns.
  const server = createServer((req, res) => void callback(req, res));
  return { server, lifecycle: await listenWithLifecycle(scheduler, server, options) };
}

/** A Fetch API handler, such as the Horae dashboard's `fetch`. @public */
export type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Middleware that hands the request to a Fetch API handler (`(request: Request) => Response`, or
 * an object with such a `fetch`), such as the Horae dashboard. The handler sees the request's
 * full URL (any mount prefix included) and a JSON body a body parser already read, and answers
 * it itself; Koa does not touch the response.
 *
 * @example
 * ```ts
 * router.all('/horae{/*path}', fetchHandler(dashboard(scheduler, { basePath: '/horae' })));
 * ```
 * @public
 */
export function fetchHandler(handler: FetchHandler | { readonly fetch: FetchHandler }): Middleware {
  const listener = getRequestListener(typeof handler === 'function' ? handler : handler.fetch);
  return async (ctx) => {
    // Mounting (koa-mount) rewrites req.url; the Fetch handler is given the URL as it came.
    ctx.req.url = ctx.originalUrl;
    // After a body parser (koa-bodyparser, koa-body) the body was read already: the handler gets
    // it back, as the raw text the parser kept or else as what it parsed.
    const parsed = ctx.request as { body?: unknown; rawBody?: unknown };
    restoreParsedBody(ctx.req, { body: parsed.body, text: parsed.rawBody });
    ctx.respond = false;
    // Awaited so that middleware upstream runs after the response, and reads its status in ctx.status.
    await listener(ctx.req, ctx.res);
  };
}
