import { Scheduler } from '@horae/core';
import { shutdownTimeoutOf } from './horae.explorer.js';
import { toHoraeLogger } from './logger.js';
import type { HoraeModuleOptions } from './options.js';

/**
 * The scheduler for a module's options (what `HoraeModule` provides as `Scheduler`).
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ timezone: 'UTC', logger: false });
 * ```
 * @public
 */
export function createScheduler(options: HoraeModuleOptions = {}): Scheduler {
  // Checked here so that a wrong value fails at boot, not at the first shutdown.
  shutdownTimeoutOf(options);
  return new Scheduler({
    ...options.scheduler,
    ...(options.stores === undefined ? {} : { stores: options.stores }),
    ...(options.executors === undefined ? {} : { executors: options.executors }),
    ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
    ...(options.taskDefaults === undefined ? {} : { taskDefaults: options.taskDefaults }),
    logger: toHoraeLogger(options.logger),
  });
}
