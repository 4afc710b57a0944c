import { checkTriggerKeys } from './options.js';
import type { Trigger, TriggerContext, TriggerJSON, TriggerSpec } from './trigger.js';

/**
 * Fires once each time the scheduler shuts down, before it waits for running handlers: for
 * clean-up work (flush a buffer, close a connection).
 *
 * @example
 * ```ts
 * await scheduler.addTask({ handler: 'flush-metrics', trigger: 'shutdown' });
 * ```
 * @public
 */
export class ShutdownTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'shutdown' {
    return 'shutdown';
  }
  readonly firesOnShutdown = true;

  getNextFireTime(): number | null {
    return null;
  }

  toJSON(): TriggerJSON {
    return { type: 'shutdown' };
  }

  describe(): string {
    return 'shutdown';
  }
}

export function createShutdownTrigger(options: TriggerSpec, context: TriggerContext): ShutdownTrigger {
  checkTriggerKeys(options, context, []);
  return new ShutdownTrigger();
}
