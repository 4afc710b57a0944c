import { checkKeys, isHoraeError, type HoraeErrorCode, type Logger } from '@horae/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { messages } from '../messages.js';

/** The HTTP status that fits each error code. */
const STATUS: Record<HoraeErrorCode, ContentfulStatusCode> = {
  TASK_NOT_FOUND: 404,
  UNKNOWN_STORE: 404,
  NOT_FOUND: 404,
  CONFLICTING_ID: 409,
  MAX_INSTANCES: 409,
  SCHEDULER_NOT_RUNNING: 409,
  HANDLER_NOT_DEFINED: 409,
  UNKNOWN_EXECUTOR: 409,
  INVALID_TRIGGER: 422,
  INVALID_TIMEZONE: 422,
  INVALID_OPTION: 422,
  NOT_SERIALIZABLE: 422,
  FORBIDDEN: 403,
  STORE_UNAVAILABLE: 503,
  DECRYPTION_FAILED: 500,
  TASK_ABORTED: 500,
  INTERNAL: 500,
};

/** Errors in the request's shape (400), as opposed to values the scheduler refused (422). */
const malformed = new WeakSet<Error>();

/**
 * Turns a thrown error into the JSON answer: a HoraeError with its code and a status that fits
 * it; anything else is logged and answered as `INTERNAL` without its details, which may hold
 * what a client should not see.
 */
export function errorResponse(error: Error, c: Context, logger: Logger): Response {
  if (isHoraeError(error)) {
    const status = malformed.has(error) ? 400 : STATUS[error.code];
    return c.json({ error: { code: error.code, message: error.message } }, status, { 'cache-control': 'no-store' });
  }
  logger.error(`Dashboard: ${c.req.method} ${new URL(c.req.url).pathname} failed`, error);
  const internal = messages.internal();
  return c.json({ error: { code: internal.code, message: internal.message } }, 500, { 'cache-control': 'no-store' });
}

const WHERE = { query: 'query parameter', param: 'path parameter', json: 'request body field', form: 'form field', header: 'header', cookie: 'cookie' } as const;

/**
 * The validation hook of a route: a request that does not fit its schema is refused with a 400
 * naming the parameter and what is allowed; an unknown parameter with the nearest known one.
 */
export function validationHook(allowed: Partial<Record<keyof typeof WHERE, readonly string[]>>) {
  return (result: { target: keyof typeof WHERE; success: boolean; error?: ZodError }): void => {
    if (result.success || result.error === undefined) return;
    const where = WHERE[result.target];
    const [issue] = result.error.issues;
    let error: Error;
    try {
      if (issue?.code === 'unrecognized_keys') {
        checkKeys(`the ${where}s`, Object.fromEntries(issue.keys.map((key) => [key, true])), allowed[result.target] ?? []);
      }
      const name = issue === undefined || issue.path.length === 0 ? '' : ` "${issue.path.join('.')}"`;
      error = messages.invalidRequest(`${where}${name}`, issue?.message ?? 'it does not fit this endpoint');
    } catch (refused) {
      error = refused as Error;
    }
    malformed.add(error);
    throw error;
  };
}
