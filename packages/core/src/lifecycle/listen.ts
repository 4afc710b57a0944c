import type { Server } from 'node:http';
import { checkKeys } from '../options/keys.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { bindLifecycle, type Lifecycle, type LifecycleOptions } from './lifecycle.js';

/** Options of {@link listenWithLifecycle}: where to listen, and the lifecycle's options. @public */
export interface ListenOptions extends LifecycleOptions {
  /** Port to listen on; default 3000, 0 for any free one. */
  port?: number;
  /** Host to bind; default all interfaces. */
  host?: string;
}

const LISTEN_KEYS = ['port', 'host', 'signals', 'shutdownTimeout', 'onShutdown', 'exit'] as const;

/**
 * Binds the scheduler to a server that does not listen yet, then makes it listen: what the
 * adapters' `listen` helpers do. Signals are handled unless `signals: false`. The binding comes
 * first, so a bad option throws before a port is open; a failed listen (a port taken) unbinds,
 * so that no signal handler outlives it. Resolves with the binding once the server listens.
 *
 * @example
 * ```ts
 * const server = http.createServer(app.callback());
 * const lifecycle = await listenWithLifecycle(scheduler, server, { port: 3000 });
 * ```
 * @public
 */
export async function listenWithLifecycle(scheduler: Scheduler, server: Pick<Server, 'listen' | 'once' | 'off'> & Parameters<typeof bindLifecycle>[1], options: ListenOptions = {}, where = 'the listen options'): Promise<Lifecycle> {
  checkKeys(where, options, LISTEN_KEYS);
  const { port = 3000, host, ...lifecycleOptions } = options;
  const lifecycle = bindLifecycle(scheduler, server, { signals: true, ...lifecycleOptions });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await lifecycle.close();
    throw error;
  }
  return lifecycle;
}
