import type { HandlerDefinition, RunContext } from '../tasks/task.js';
import { BaseExecutor, invokeHere } from './executor.js';

/**
 * Runs handlers on the event loop, concurrently: the default executor, right for I/O-bound work
 * (HTTP calls, queries, e-mail). Never blocks dispatching; shutdown waits for its runs.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ executors: { default: new AsyncExecutor() } });
 * ```
 * @public
 */
export class AsyncExecutor extends BaseExecutor {
  protected invoke(handler: HandlerDefinition, args: unknown, context: RunContext): Promise<unknown> {
    return invokeHere(handler, args, context);
  }
}
