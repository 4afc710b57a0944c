/**
 * `@horae/express`: the Horae scheduler inside an Express 4 or 5 app.
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { bindLifecycle, listenWithLifecycle, restoreParsedBody, type Lifecycle, type LifecycleOptions, type ListenOptions as CoreListenOptions, type Scheduler } from '@horae/core';
import type { Application, RequestHandler } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The Horae scheduler, set by `horae(scheduler)`. */
      scheduler: Scheduler;
    }
    interface Locals {
      /** The Horae scheduler, set by `horae(scheduler)` (on `res.locals` and `app.locals`). */
      scheduler: Scheduler;
    }
  }
}

/**
 * Middleware that makes the scheduler reachable in every handler: `req.scheduler`,
 * `res.locals.scheduler` and `app.locals.scheduler`.
 *
 * @example
 * ```ts
 * app.use(horae(scheduler));
 * app.post('/reminders', async (req, res) => {
 *   await req.scheduler.addTask({ handler: 'remind', args: req.body, trigger: { type: 'date', runAt: req.body.at } });
 *   res.sendStatus(201);
 * });
 * ```
 * @public
 */
export function horae(scheduler: Scheduler): RequestHandler {
  return (req, res, next) => {
    req.scheduler = scheduler;
    res.locals.scheduler = scheduler;
    req.app.locals.scheduler = scheduler;
    next();
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

/**
 * Listens with the app and binds the scheduler to the server: it starts once the server listens
 * and drains on SIGTERM/SIGINT (on by default here) or when the server closes. Resolves once the
 * server listens, with the server and the binding.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(horae(scheduler));
 * await listen(app, scheduler, { port: 3000 });
 * ```
 * @public
 */
export async function listen(app: Application, scheduler: Scheduler, options: ListenOptions = {}): Promise<{ server: Server; lifecycle: Lifecycle }> {
  const server = createServer(app);
  return { server, lifecycle: await listenWithLifecycle(scheduler, server, options) };
}

/** A Fetch API handler, such as the Horae dashboard's `fetch`. @public */
export type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Mounts a Fetch API handler (`(request: Request) => Response`, or an object with such a
 * `fetch`), such as the Horae dashboard, in Express. The handler sees the request's full URL (mount path included), and a JSON body
 * that a body parser mounted before it already read.
 *
 * @example
 * ```ts
 * app.use('/horae', fetchHandler(dashboard(scheduler, { basePath: '/horae' })));
 * ```
 * @public
 */
export function fetchHandler(handler: FetchHandler | { readonly fetch: FetchHandler }): RequestHandler {
  const listener = getRequestListener(typeof handler === 'function' ? handler : handler.fetch);
  return (req, res) => {
    // Express strips the mount path from req.url; the Fetch handler is given the whole of it.
    req.url = req.originalUrl;
    // Mounted after express.json(), the body was read already: the handler gets it back.
    restoreParsedBody(req);
    void listener(req, res);
  };
}
