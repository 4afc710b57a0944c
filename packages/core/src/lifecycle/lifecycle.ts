import { constants } from 'node:os';
import { errors } from '../errors/index.js';
import { checkKeys } from '../options/keys.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { isNodeServer, nodeServerHost, type NodeServerLike, type ServerHost } from './server-host.js';

/** Options of {@link bindLifecycle}. @public */
export interface LifecycleOptions {
  /**
   * Drain and exit on these signals: `true` for SIGTERM and SIGINT, or a list. The first signal
   * closes the server and drains the scheduler, then the process exits with code 0 (1 if the drain
   * failed); a second one exits at once (code 128 + the signal's number). Default `false` in
   * `bindLifecycle`, `true` in the adapters' `listen` helpers.
   */
  signals?: boolean | readonly NodeJS.Signals[];
  /**
   * How long closing may wait, ms: for requests in flight to finish, then for running handlers,
   * which are aborted through `ctx.signal` when it is over. Default 10,000; `Infinity` waits as
   * long as they take.
   */
  shutdownTimeout?: number;
  /** Called once the server is closed and the scheduler drained: close pools and clients here. */
  onShutdown?: () => unknown;
  /** After a signal's drain, end the process (default `true`); `false` leaves that to the app. */
  exit?: boolean;
}

const OPTION_KEYS = ['signals', 'shutdownTimeout', 'onShutdown', 'exit'] as const;

/** The default of {@link LifecycleOptions.shutdownTimeout}, ms. @public */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/**
 * Reads a shutdown timeout option: `undefined` for the default, `Infinity` for no limit.
 * Throws an `INVALID_OPTION` error for anything else that is not milliseconds >= 0.
 */
export function readShutdownTimeout(value: unknown, option = 'shutdownTimeout'): number {
  if (value === undefined) return DEFAULT_SHUTDOWN_TIMEOUT;
  if (value === Infinity) return Infinity;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw errors.invalidOption(undefined, option, value, 'give milliseconds as a finite number >= 0, or Infinity to wait as long as it takes');
  }
  return value;
}

/**
 * A scheduler bound to a server's life by {@link bindLifecycle}.
 * @public
 */
export interface Lifecycle {
  /** Settles once the scheduler has started (rejects if it could not; that is logged too). */
  readonly started: Promise<void>;
  /**
   * Stops accepting connections, lets requests in flight finish, drains the scheduler (no new
   * fires, running handlers awaited up to the timeout, then aborted), ends the connections left
   * and calls `onShutdown`. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

function signalsOf(option: LifecycleOptions['signals']): readonly NodeJS.Signals[] {
  if (option === undefined || option === false) return [];
  if (option === true) return ['SIGTERM', 'SIGINT'];
  const given: unknown = option;
  if (!Array.isArray(given) || given.some((name) => typeof name !== 'string' || !(name in constants.signals))) {
    throw errors.invalidOption(undefined, 'signals', option, 'give true, false, or a list of signal names such as ["SIGTERM", "SIGINT"]');
  }
  return given as NodeJS.Signals[];
}

/**
 * Binds a scheduler to a server's life, as an ASGI lifespan hook does: the scheduler starts when
 * the server listens (at once if it already does) and is drained when the server closes, on
 * {@link Lifecycle.close}, or on SIGTERM/SIGINT with `signals`. Starting and closing twice, or
 * closing before the server listened, are harmless. The framework adapters call it for you.
 *
 * @example
 * ```ts
 * const server = http.createServer(handler).listen(3000);
 * const lifecycle = bindLifecycle(scheduler, server, { signals: true, shutdownTimeout: 15_000 });
 * await lifecycle.started;
 * ```
 * @public
 */
export function bindLifecycle(scheduler: Scheduler, server: NodeServerLike | ServerHost, options: LifecycleOptions = {}): Lifecycle {
  if (typeof options !== 'object' || options === null) throw errors.invalidOption(undefined, 'lifecycle options', options, 'give an object');
  checkKeys('the lifecycle options', options, OPTION_KEYS);
  const timeout = readShutdownTimeout(options.shutdownTimeout);
  const signals = signalsOf(options.signals);
  if (options.onShutdown !== undefined && typeof options.onShutdown !== 'function') {
    throw errors.invalidOption(undefined, 'onShutdown', options.onShutdown, 'give a function');
  }
  const host = isNodeServer(server) ? nodeServerHost(server) : server;
  // Guarded by the scheduler: a throwing logger cannot break a drain.
  const logger = scheduler.logger;

  let resolveStarted!: () => void;
  let rejectStarted!: (error: unknown) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  // Reported through the logger; awaiting `started` is optional.
  started.catch(() => undefined);

  let closing: Promise<void> | undefined;
  let serverClosed = false;

  const start = (): void => {
    if (closing !== undefined) return;
    scheduler.start().then(resolveStarted, (error: unknown) => {
      logger.error('The scheduler could not start with the server; no task will run in this process.', error);
      rejectStarted(error);
    });
  };

  const drain = async (): Promise<void> => {
    const deadline = Date.now() + timeout;
    // No new fires from now on (other replicas take them), while requests in flight may still
    // add or change tasks through the running stores.
    if (scheduler.state === 'running') scheduler.pause();
    if (!serverClosed) await withDeadline(host.stopAccepting(), deadline);
    const left = Math.max(0, deadline - Date.now());
    await scheduler.shutdown(left === Infinity ? {} : { timeout: left });
    await host.closeAll();
    await options.onShutdown?.();
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribeListening();
      unsubscribeClosed();
      try {
        await drain();
      } finally {
        for (const signal of signals) process.off(signal, onSignal);
      }
    })();
    return closing;
  };

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.error(`${signal} received again while draining: exiting now.`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    signalled = true;
    // Closed before saying so: whoever reads the line can rely on the port refusing connections.
    const closed = close();
    logger.info(`${signal} received: closing the server and draining the scheduler.`);
    closed.then(
      () => {
        if (options.exit !== false) process.exit(0);
      },
      (error: unknown) => {
        logger.error(`Draining after ${signal} failed.`, error);
        if (options.exit !== false) process.exit(1);
      },
    );
  };

  const unsubscribeListening = host.onListening(start);
  const unsubscribeClosed =
    host.onClosed?.(() => {
      serverClosed = true;
      void close().catch((error: unknown) => logger.error('Draining the scheduler after the server closed failed.', error));
    }) ?? (() => undefined);
  // Registered for the second signal too: without a listener, a signal kills the process outright.
  for (const signal of signals) process.on(signal, onSignal);

  return { started, close };
}

/** Waits for `work`, but no later than `deadline` (epoch ms). */
async function withDeadline(work: Promise<void>, deadline: number): Promise<void> {
  if (deadline === Infinity) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
