/**
 * `@horae/dashboard/node`: the dashboard as a Node.js request listener, for servers and
 * frameworks that take `(req, res)` (NestJS middleware, `node:http`). Express, Koa and Hono apps
 * mount it with their adapter's `fetchHandler` (or `app.mount`) instead.
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { restoreParsedBody } from '@horae/core';
import type { Dashboard } from './dashboard.js';

/**
 * A Node.js listener that answers with the dashboard. Behind a framework that mounted it at a
 * path (and stripped it from `req.url`), it reads `req.originalUrl`; a JSON body that the app's
 * body parser already read is handed over again.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(nodeListener(dashboard(scheduler, { basePath: '/horae' }))).listen(3000, '127.0.0.1');
 * ```
 * @public
 */
export function nodeListener(dashboard: Dashboard): (req: IncomingMessage, res: ServerResponse) => void {
  const listener = getRequestListener(dashboard.fetch);
  return (req, res) => {
    const mounted = req as IncomingMessage & { originalUrl?: unknown };
    if (typeof mounted.originalUrl === 'string') req.url = mounted.originalUrl;
    restoreParsedBody(req);
    void listener(req, res);
  };
}
