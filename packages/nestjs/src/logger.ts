import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import type { Logger } from '@horae/core';

/**
 * What `HoraeModuleOptions.logger` accepts: a Horae {@link Logger} (console, pino through an
 * adapter, ...), a Nest `LoggerService` (Nest's `Logger`, nestjs-pino's `Logger`, ...), or `false`
 * for silence.
 * @public
 */
export type HoraeLoggerOption = Logger | LoggerService | false;

const quiet = (): void => undefined;

function isHoraeLogger(value: object): value is Logger {
  return typeof (value as Logger).info === 'function' && typeof (value as Logger).debug === 'function';
}

/**
 * Turns the `logger` option into the logger the scheduler writes to. Nest's loggers take a stack
 * (string) where Horae passes the error itself, so errors are unpacked for them.
 *
 * @example
 * ```ts
 * const logger = toHoraeLogger(new Logger('Billing'));
 * logger.error('Task "invoice" failed.', new Error('timeout'));
 * ```
 * @public
 */
export function toHoraeLogger(option: HoraeLoggerOption | undefined): Logger {
  if (option === false) return { debug: quiet, info: quiet, warn: quiet, error: quiet };
  const logger = option ?? new NestLogger('Horae');
  if (isHoraeLogger(logger) && !(logger instanceof NestLogger)) return logger;
  const nest = logger as LoggerService;
  const details = (meta: unknown[]): unknown[] =>
    meta.flatMap((item) => (item instanceof Error ? [item.stack ?? `${item.name}: ${item.message}`] : [item]));
  return {
    debug: (message, ...meta) => void nest.debug?.(message, ...meta),
    info: (message, ...meta) => void nest.log(message, ...meta),
    warn: (message, ...meta) => void nest.warn(message, ...details(meta)),
    error: (message, ...meta) => void nest.error(message, ...details(meta)),
  };
}
