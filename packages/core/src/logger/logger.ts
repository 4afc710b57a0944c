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
