import type { HandlerDefinition, RunContext } from '../tasks/task.js';
import { BaseExecutor, invokeHere } from './executor.js';

/**
 * Runs each handler to completion before the scheduler dispatches anything else: runs happen
 * strictly one after another, in order. For tests and debugging, not for production.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ executors: { default: new InlineExecutor() } });
 * ```
 * @public
 */
export class InlineExecutor extends BaseExecutor {
  protected override readonly waitsForRuns = true;

  protected invoke(handler: HandlerDefinition, args: unknown, context: RunContext): Promise<unknown> {
    return invokeHere(handler, args, context);
  }
}
