/**
 * What runs on each thread of a `WorkerExecutor`, and the messages it exchanges with the main
 * thread. Errors cannot cross threads as themselves (structured clone keeps a built-in error's
 * class and message, but turns any other class into `Error` and drops properties such as
 * `code`), so they cross as descriptions and are rebuilt as real errors on the other side
 * (`worker-errors.ts`).
 */
import type { HoraeErrorCode } from '../errors/index.js';

/** An error thrown on a worker thread, as data: enough to rebuild it on the main thread. */
export interface ErrorDescription {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** A `code` property, as Node's errors and `HoraeError`s carry. */
  readonly code?: unknown;
  /** A `HoraeError`'s `taskId`. */
  readonly taskId?: unknown;
}

/** The reason a run is aborted with on the main thread (a `HoraeError`), as data for the thread. */
export interface AbortReason {
  readonly code: HoraeErrorCode;
  readonly message: string;
  readonly taskId?: string;
}

/** Main thread to worker: run a job, or abort the signal of one that runs. */
export type ToWorker =
  | {
      readonly id: number;
      readonly module: string;
      readonly exportName: string;
      readonly args: unknown;
      readonly context: { readonly taskId: string; readonly taskName: string; readonly scheduledAt: number };
    }
  | { readonly abort: number; readonly reason: AbortReason };

/** Worker to main thread: how a job ended, or a line its handler logged. */
export type FromWorker =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  /** The handler threw (or rejected with) this. */
  | { readonly id: number; readonly ok: false; readonly error: ErrorDescription }
  /** The run ended with the very abort reason it was given: the main thread reports its own. */
  | { readonly id: number; readonly ok: false; readonly aborted: true }
  /** The module has no function under the export name. */
  | { readonly id: number; readonly ok: false; readonly missingExport: true }
  | { readonly log: 'debug' | 'info' | 'warn' | 'error'; readonly text: string; readonly meta: readonly string[] };

/**
 * The code each worker thread runs (as `eval` source: a thread cannot load this package's
 * TypeScript modules, nor find its bundled chunks). It imports the handler's module, calls the
 * export and sends back the outcome; an abort message aborts the run's signal.
 *
 * The abort reason a handler sees must be a `HoraeError` with code `TASK_ABORTED`, as on the
 * main thread. A thread cannot share the main thread's class, so it declares its own copy of it,
 * built the same way (`errors/errors.ts`): `isHoraeError` recognises copies by name and code, as it
 * does when an application holds two copies of the package.
 */
export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
class HoraeError extends Error {
  constructor(code, message, options = {}) {
    super(message);
    this.name = 'HoraeError';
    this.code = code;
    this.taskId = options.taskId;
  }
}
const controllers = new Map();
const describe = (error) =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack, code: error.code, taskId: error.taskId }
    : { name: 'Error', message: String(error) };
parentPort.on('message', async (message) => {
  if (message.abort !== undefined) {
    const { code, message: text, taskId } = message.reason;
    controllers.get(message.abort)?.abort(new HoraeError(code, text, { taskId }));
    return;
  }
  const { id, module, exportName, args, context } = message;
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    const loaded = await import(module);
    const fn = loaded[exportName];
    if (typeof fn !== 'function') {
      parentPort.postMessage({ id, ok: false, missingExport: true });
      return;
    }
    const log = (level) => (text, ...meta) => parentPort.postMessage({ log: level, text, meta: meta.map(String) });
    const result = await fn(args, {
      taskId: context.taskId,
      taskName: context.taskName,
      scheduledAt: new Date(context.scheduledAt),
      signal: controller.signal,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    parentPort.postMessage({ id, ok: true, result });
  } catch (error) {
    if (controller.signal.aborted && error === controller.signal.reason) parentPort.postMessage({ id, ok: false, aborted: true });
    else parentPort.postMessage({ id, ok: false, error: describe(error) });
  } finally {
    controllers.delete(id);
  }
});
`;
