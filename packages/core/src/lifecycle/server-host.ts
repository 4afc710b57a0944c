import type { Server } from 'node:http';

/**
 * What the lifecycle binding needs of a server, whatever runtime serves it: to learn when it
 * listens, to stop it accepting connections while requests in flight finish, and to end what
 * remains. Node's `http.Server` is adapted by {@link nodeServerHost}; Bun's and Deno's servers
 * by `@horae/hono`.
 *
 * @example
 * ```ts
 * const host: ServerHost = {
 *   onListening: (start) => { start(); return () => undefined; },
 *   stopAccepting: () => server.stop(),
 *   closeAll: () => server.stop(true),
 * };
 * ```
 * @public
 */
export interface ServerHost {
  /** Calls `start` once the server accepts connections (at once if it already does); returns an unsubscribe. */
  onListening(start: () => void): () => void;
  /** Calls `closed` when the server is closed by someone else than the binding; returns an unsubscribe. */
  onClosed?(closed: () => void): () => void;
  /** Stops accepting connections; resolves once the requests in flight have completed. */
  stopAccepting(): Promise<void>;
  /** Ends every connection still open, requests in flight included. */
  closeAll(): void | Promise<void>;
}

/** The part of Node's `http.Server` (or `https`, `http2`) the binding uses. @public */
export type NodeServerLike = Pick<Server, 'listening' | 'once' | 'off' | 'close'> &
  Partial<Pick<Server, 'closeIdleConnections' | 'closeAllConnections'>>;

/** Whether a value looks like a Node server rather than a {@link ServerHost}. */
export function isNodeServer(value: unknown): value is NodeServerLike {
  const candidate = value as Partial<NodeServerLike> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.once === 'function' && typeof candidate.close === 'function' && 'listening' in candidate;
}

/**
 * Keep-alive connections that went idle after their last response would hold `server.close()`
 * open until the keep-alive timeout; while closing, they are closed as soon as they are idle.
 */
const IDLE_SWEEP_INTERVAL = 25;

/**
 * A {@link ServerHost} for a Node `http.Server` (what `app.listen()` returns in Express and Koa,
 * and `serve()` in `@hono/node-server`).
 *
 * @example
 * ```ts
 * bindLifecycle(scheduler, nodeServerHost(http.createServer(handler).listen(3000)));
 * ```
 * @public
 */
export function nodeServerHost(server: NodeServerLike): ServerHost {
  let sweep: ReturnType<typeof setInterval> | undefined;
  const stopSweeping = (): void => {
    clearInterval(sweep);
    sweep = undefined;
  };
  return {
    onListening(start) {
      if (server.listening) {
        start();
        return () => undefined;
      }
      server.once('listening', start);
      return () => server.off('listening', start);
    },
    onClosed(closed) {
      server.once('close', closed);
      return () => server.off('close', closed);
    },
    stopAccepting() {
      return new Promise<void>((resolve) => {
        sweep ??= setInterval(() => server.closeIdleConnections?.(), IDLE_SWEEP_INTERVAL);
        sweep.unref();
        // An error here only says that the server was not listening: then nothing is in flight.
        server.close(() => {
          stopSweeping();
          resolve();
        });
        server.closeIdleConnections?.();
      });
    },
    closeAll() {
      stopSweeping();
      server.closeAllConnections?.();
    },
  };
}
