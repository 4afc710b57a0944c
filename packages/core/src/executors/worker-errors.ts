/**
 * How errors cross a `WorkerExecutor`'s thread boundary (see `worker-thread.ts`): described as
 * data on one side, rebuilt as real errors on the other.
 */
import { HoraeError, isHoraeError, type HoraeErrorCode } from '../errors/index.js';
import type { AbortReason, ErrorDescription } from './worker-thread.js';

/** The built-in error classes, which a description names and this thread has too. */
const BUILT_IN: Readonly<Record<string, new (message: string) => Error>> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/**
 * Rebuilds an error thrown on a worker thread: a `HoraeError` (recognised as `isHoraeError` does,
 * by its name and a string code) as a `HoraeError`; a built-in error as its own class; any other
 * as an `Error` with its name, since the class lives in the handler's module on the other thread.
 * The message, the stack and a `code` (as Node's errors carry) are kept.
 */
export function reviveError(description: ErrorDescription): Error {
  const { name, message, stack, code, taskId } = description;
  let error: Error;
  if (name === 'HoraeError' && typeof code === 'string') {
    error = new HoraeError(code as HoraeErrorCode, message, typeof taskId === 'string' ? { taskId } : {});
  } else {
    const BuiltIn = Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name] : undefined;
    error = BuiltIn === undefined ? Object.assign(new Error(message), { name }) : new BuiltIn(message);
    if (code !== undefined) Object.assign(error, { code });
  }
  if (stack !== undefined) error.stack = stack;
  return error;
}

/**
 * The reason a run's signal was aborted with on this thread, as data for its worker thread,
 * which aborts the handler's signal with a `HoraeError` of the same code and message.
 */
export function describeAbortReason(reason: unknown): AbortReason {
  if (!isHoraeError(reason)) return { code: 'TASK_ABORTED', message: reason instanceof Error ? reason.message : 'The run was aborted.' };
  return reason.taskId === undefined ? { code: reason.code, message: reason.message } : { code: reason.code, message: reason.message, taskId: reason.taskId };
}
