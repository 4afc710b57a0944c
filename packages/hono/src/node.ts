/**
 * `@horae/hono/node`: a Hono app served by `@hono/node-server`, with the scheduler bound to the
 * server's life.
 *
 * @packageDocumentation
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { bindLifecycle, listenWithLifecycle, type Lifecycle, type LifecycleOptions, type NodeServerLike, type Scheduler } from '@horae/core';
import type { Hono } from 'hono';

/**
 * Binds the scheduler to a server from `@hono/node-server`'s `serve()` or
 * `createAdaptorServer()`: started when it listens, drained when it closes. Signals are handled
 * only if `signals` says so.
 *
 * @example
 * ```ts
 * const server = serve({ fetch: app.fetch, port: 3000 });
 * bindScheduler(scheduler, server, { signals: true });
 * ```
 * @public
 */
export function bindScheduler(scheduler: Scheduler, server: ServerType, options: LifecycleOptions = {}): Lifecycle {
  return bindLifecycle(scheduler, server as NodeServerLike, options);
}

/** Options of {@link listen}: where to listen, and the lifecycle's options. @public */
export interface ListenOptions extends LifecycleOptions {
  /** Port to listen on; default 3000, 0 for any free one. */
  port?: number;
  /** Host to bind (as `serve()` names it); default all interfaces. */
  hostname?: string;
}

/**
 * Serves the app with `@hono/node-server` and binds the scheduler to the server: it starts once
 * the server listens and drains on SIGTERM/SIGINT (on by default here) or when the server closes.
 * Resolves once the server listens.
 *
 * @example
 * ```ts
 * const app = new Hono().use(horae(scheduler));
 * const { info } = await listen(app, scheduler, { port: 3000 });
 * ```
 * @public
 */
export async function listen(
  app: Pick<Hono, 'fetch'>,
  scheduler: Scheduler,
  options: ListenOptions = {},
): Promise<{ server: ServerType; lifecycle: Lifecycle; info: AddressInfo }> {
  const { hostname, ...rest } = options;
  const server = createAdaptorServer({ fetch: app.fetch });
  const lifecycle = await listenWithLifecycle(scheduler, server as Server, { ...rest, ...(hostname === undefined ? {} : { host: hostname }) });
  return { server, lifecycle, info: server.address() as AddressInfo };
}
