/**
 * `@horae/hono/node`: a Hono app served by `@hono/node-server`, with the scheduler bound to the
 * server's life.
 *
 * @packageDocumentation
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { bindLifecycle, checkKeys, type Lifecycle, type LifecycleOptions, type NodeServerLike, type Scheduler } from '@horae/core';
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
  /** Host to bind; default all interfaces. */
  hostname?: string;
}

const LISTEN_KEYS = ['port', 'hostname', 'signals', 'shutdownTimeout', 'onShutdown', 'exit'] as const;

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
  checkKeys('the listen options', options, LISTEN_KEYS);
  const { port = 3000, hostname, ...lifecycleOptions } = options;
  const server = createAdaptorServer({ fetch: app.fetch });
  // Bound before the server opens: a bad option throws here and leaves no port open.
  const lifecycle = bindScheduler(scheduler, server, { signals: true, ...lifecycleOptions });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, hostname, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // The port is taken (or refused): unbind, so that no signal handler outlives the failure.
    await lifecycle.close();
    throw error;
  }
  return { server, lifecycle, info: server.address() as AddressInfo };
}
