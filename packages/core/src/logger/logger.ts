/**
 * The logger Horae writes to: any object with `debug`, `info`, `warn` and `error` taking a
 * message and then details (usually the error) — `console`, winston, or Nest's `Logger`. Loggers
 * that put details first, such as pino, take a one-line adapter.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const log = pino();
 * const scheduler = new Scheduler({
 *   logger: {
 *     debug: (message, ...details) => log.debug({ details }, message),
 *     info: (message, ...details) => log.info({ details }, message),
 *     warn: (message, ...details) => log.warn({ details }, message),
 *     error: (message, error) => log.error({ err: error }, message),
 *   },
 * });
 * ```
 * @public
 */
export interface Logger {
  debug(message: string, ...meta: unknown[]): void;
  info(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

const noop = (): void => undefined;

/**
 * The default logger: silent for debug and info, `console` for warnings and errors, each line
 * prefixed with the package name so it can be told apart in an application's output.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ logger: defaultLogger });
 * ```
 * @public
 */
export const defaultLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (message, ...meta) => console.warn(`[horae] ${message}`, ...meta),
  error: (message, ...meta) => console.error(`[horae] ${message}`, ...meta),
};

const GUARDED = Symbol('horae.guarded-logger');

/**
 * The logger as the scheduler uses it: a method that throws (a broken transport, a full disk) is
 * ignored, as a throwing listener is, so that logging a failure can never crash the process,
 * keep an event from being emitted, or make a store look failed. Guarding twice does nothing more.
 */
export function guardLogger(logger: Logger): Logger {
  if ((logger as { [GUARDED]?: true })[GUARDED] === true) return logger;
  const guard =
    (level: keyof Logger) =>
    (message: string, ...meta: unknown[]): void => {
      try {
        logger[level](message, ...meta);
      } catch {
        // Nowhere left to report it: the logger is what failed.
      }
    };
  return Object.defineProperty({ debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') }, GUARDED, { value: true });
}
