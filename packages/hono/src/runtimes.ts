import type { ServerHost } from '@horae/core';

/** The part of Bun's `Server` (what `Bun.serve()` returns) the lifecycle binding uses. @public */
export interface BunServerLike {
  /** `false`: stop accepting, resolve once requests in flight are done; `true`: close them all now. */
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** The part of Deno's `HttpServer` (what `Deno.serve()` returns) the lifecycle binding uses. @public */
export interface DenoServerLike {
  /** Stops accepting and resolves once requests in flight are done. */
  shutdown(): Promise<void>;
  /** Settles when the server has closed, whoever closed it. */
  readonly finished: Promise<void>;
}

/**
 * A `ServerHost` for Bun's server, for `bindLifecycle`: Bun's server listens as soon as
 * `Bun.serve()` returns, so the scheduler starts at once.
 *
 * @example
 * ```ts
 * const server = Bun.serve({ port: 3000, fetch: app.fetch });
 * bindLifecycle(scheduler, bunServerHost(server), { signals: true });
 * ```
 * @public
 */
export function bunServerHost(server: BunServerLike): ServerHost {
  return {
    onListening(start) {
      start();
      return () => undefined;
    },
    stopAccepting: async () => server.stop(false),
    closeAll: () => server.stop(true),
  };
}

/**
 * A `ServerHost` for Deno's server, for `bindLifecycle`. Deno has no way to cut requests still
 * in flight at the deadline: the process's exit ends them.
 *
 * @example
 * ```ts
 * const server = Deno.serve({ port: 3000 }, app.fetch);
 * bindLifecycle(scheduler, denoServerHost(server), { signals: true });
 * ```
 * @public
 */
export function denoServerHost(server: DenoServerLike): ServerHost {
  return {
    onListening(start) {
      start();
      return () => undefined;
    },
    onClosed(closed) {
      let subscribed = true;
      server.finished.then(
        () => subscribed && closed(),
        () => subscribed && closed(),
      );
      return () => {
        subscribed = false;
      };
    },
    stopAccepting: () => server.shutdown(),
    closeAll: () => undefined,
  };
}
