/**
 * Every error Horae throws is a {@link HoraeError} with a stable `code`.
 *
 * Recognise them with {@link isHoraeError} rather than `instanceof`: an application may end up
 * with two copies of `@horae/core` (an adapter resolving its own), and `instanceof` fails across
 * copies while `name` and `code` do not.
 */

/** The codes a {@link HoraeError} can carry. @public */
export type HoraeErrorCode =
  | 'TASK_NOT_FOUND'
  | 'CONFLICTING_ID'
  | 'INVALID_TRIGGER'
  | 'INVALID_TIMEZONE'
  | 'INVALID_OPTION'
  | 'MAX_INSTANCES'
  | 'SCHEDULER_NOT_RUNNING'
  | 'STORE_UNAVAILABLE'
  | 'UNKNOWN_STORE'
  | 'UNKNOWN_EXECUTOR'
  | 'HANDLER_NOT_DEFINED'
  | 'NOT_SERIALIZABLE'
  | 'TASK_ABORTED'
  | 'DECRYPTION_FAILED'
  /** An operation refused to the one who asked (a dashboard action not authorized). */
  | 'FORBIDDEN'
  /** No such endpoint or resource (a dashboard URL that answers nothing). */
  | 'NOT_FOUND'
  /** An unexpected failure, reported without its details (they are logged). */
  | 'INTERNAL';

/**
 * Base class of every error thrown by Horae.
 *
 * @example
 * ```ts
 * try {
 *   await scheduler.pauseTask('nightly-report');
 * } catch (error) {
 *   if (isHoraeError(error, 'TASK_NOT_FOUND')) console.warn(error.message);
 *   else throw error;
 * }
 * ```
 * @public
 */
export class HoraeError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: HoraeErrorCode;
  /** The task concerned, when there is one. */
  readonly taskId: string | undefined;

  constructor(code: HoraeErrorCode, message: string, options: { taskId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HoraeError';
    this.code = code;
    this.taskId = options.taskId;
  }
}

/**
 * Whether `error` is a {@link HoraeError} (optionally with the given code), recognised by its
 * `name` and `code` so that errors from another copy of the package count too.
 *
 * @example
 * ```ts
 * if (isHoraeError(error, 'CONFLICTING_ID')) return; // already registered
 * ```
 * @public
 */
export function isHoraeError(error: unknown, code?: HoraeErrorCode): error is HoraeError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'HoraeError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}
