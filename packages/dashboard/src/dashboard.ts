import { OpenAPIHono } from '@hono/zod-openapi';
import type { Scheduler } from '@horae/core';
import { secureHeaders } from 'hono/secure-headers';
import { guard, type AccessVariables } from './access.js';
import type { DashboardApp } from './api/app.js';
import { clusterEndpoints } from './api/cluster.js';
import { errorResponse, validationHook } from './api/errors.js';
import { eventEndpoints } from './api/events.js';
import { overviewEndpoints } from './api/overview.js';
import { taskEndpoints } from './api/tasks.js';
import { messages } from './messages.js';
import { resolveOptions, type DashboardOptions } from './options.js';
import { serveAsset } from './ui/serve.js';

/**
 * The dashboard: a Fetch API handler, to mount in any framework (see the adapters'
 * `fetchHandler`) or serve as it is.
 * @public
 */
export interface Dashboard {
  /** Answers a request whose URL path starts with {@link Dashboard.basePath}; `env` is what the server passes along (on Node, `@hono/node-server`'s `{ incoming, outgoing }`). A bound function. */
  readonly fetch: (request: Request, env?: unknown) => Promise<Response>;
  /** The path it is mounted at, without a trailing slash (`''` at the root). */
  readonly basePath: string;
}

/** The allowed keys of each route's query and body, for the nearest-key hint on an unknown one. */
function keysOf(schema: unknown): readonly string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/**
 * Creates the Horae dashboard for a scheduler: a web UI and a JSON API (described at
 * `<basePath>/api/openapi.json`) over every task of every replica sharing its stores, with run
 * history, run now, pause, resume, reschedule with a preview, delete, the quarantine, the
 * instances alive and live updates.
 *
 * Safe by default: without `authorize` it answers loopback clients only and refuses every change;
 * `readOnly` refuses changes whatever `authorize` says; changes must come from the dashboard's own
 * origin; every change is audited (the scheduler's logger, and `onAudit`).
 *
 * @example
 * ```ts
 * // Express, with @horae/express's fetchHandler:
 * app.use('/horae', fetchHandler(dashboard(scheduler, {
 *   basePath: '/horae',
 *   authorize: (request, action) => {
 *     const user = sessionUser(request);
 *     if (user === undefined) return false;
 *     return action === 'read' || user.isAdmin ? { identity: user.email } : false;
 *   },
 * })));
 * ```
 * @public
 */
export function dashboard(scheduler: Scheduler, options: DashboardOptions = {}): Dashboard {
  const resolved = resolveOptions(options);
  const root = new OpenAPIHono<{ Variables: AccessVariables }>();
  const app: DashboardApp = resolved.basePath === '' ? root : root.basePath(resolved.basePath);

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // The dashboard is never framed, and its pages need no referrer beyond this origin.
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      // HSTS binds the whole host (and its subdomains) to HTTPS: the app's decision, not a mounted page's.
      strictTransportSecurity: false,
    }),
  );
  app.use('*', async (c, next) => {
    c.set('options', resolved);
    await next();
    if (c.req.path.includes('/api/') && !c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  // Every route validates with the hook that names the parameter at fault. Set per route, not as
  // OpenAPIHono's defaultHook: the hint of the nearest known key needs the route's own schemas.
  const openapi = app.openapi.bind(app);
  app.openapi = ((route: Parameters<typeof openapi>[0], handler: Parameters<typeof openapi>[1]) =>
    openapi(route, handler, validationHook({ query: keysOf(route.request?.query), json: keysOf((route.request?.body?.content['application/json'] as { schema?: unknown } | undefined)?.schema) }) as never));

  overviewEndpoints(app, scheduler);
  taskEndpoints(app, scheduler);
  clusterEndpoints(app, scheduler);
  eventEndpoints(app, scheduler);

  app.use('/api/openapi.json', guard('read'));
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Horae dashboard API', version: '1', description: 'The JSON API behind the Horae dashboard. Errors are `{ error: { code, message } }`.' },
  });

  // The web UI: index.html at the base path with a trailing slash (its links are relative to
  // it), files under assets/. Registered on the root app with full paths: under a base path,
  // Hono's '/' is the base path without the slash.
  const home = `${resolved.basePath}/`;
  root.get(home, guard('read'), (c) => serveAsset(c, 'index.html')!);
  if (resolved.basePath !== '') root.get(resolved.basePath, guard('read'), (c) => c.redirect(`${resolved.basePath.split('/').at(-1)}/`, 308));
  app.get('/assets/*', guard('read'), (c) => serveAsset(c, c.req.path.slice(`${resolved.basePath}/assets/`.length)) ?? c.notFound());

  // On the root app: the one that answers (basePath gives a copy sharing its routes, not its handlers).
  root.notFound((c) => errorResponse(messages.noRoute(c.req.method, new URL(c.req.url).pathname), c, scheduler.logger));
  root.onError((error, c) => errorResponse(error, c, scheduler.logger));

  return {
    basePath: resolved.basePath,
    fetch: async (request, env) => root.fetch(request, env),
  };
}
