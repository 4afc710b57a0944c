import { HoraeError } from '@horae/core';

/** Shows a value in a message: strings quoted, the rest by type or value. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' && value !== null ? `a value of type ${Array.isArray(value) ? 'array' : 'object'}` : String(value);
}

const HOW_TO_OPEN =
  'give dashboard(scheduler, { authorize: (request, action) => ... }) a hook that checks who is asking (your session, a token) and returns true, false or { identity }';

/** Every error the dashboard makes, each a HoraeError with a code. */
export const messages = {
  invalidOption: (option: string, value: unknown, allowed: string) =>
    new HoraeError('INVALID_OPTION', `Dashboard: invalid ${option} ${show(value)}: ${allowed}.`),
  invalidRequest: (where: string, problem: string) => new HoraeError('INVALID_OPTION', `Invalid ${where}: ${problem}.`),
  notLoopback: (address: string | undefined) =>
    new HoraeError(
      'FORBIDDEN',
      `The Horae dashboard answers clients on this machine only (loopback), and this request came from ${address ?? 'an unknown address'}. To open it to others, ${HOW_TO_OPEN}.`,
    ),
  proxied: (header: string) =>
    new HoraeError(
      'FORBIDDEN',
      `The Horae dashboard answers clients on this machine only (loopback), and this request came through a proxy (it has a ${header} header): the proxy's address says nothing of the client's. To open it behind a proxy, ${HOW_TO_OPEN}.`,
    ),
  mutationsClosed: (action: string) =>
    new HoraeError('FORBIDDEN', `The Horae dashboard refuses "${action}": without an authorize hook it is read-only. To allow changes, ${HOW_TO_OPEN}.`),
  readOnly: (action: string) =>
    new HoraeError('FORBIDDEN', `The Horae dashboard refuses "${action}": it was created with readOnly: true, which refuses every change whatever authorize says.`),
  notAuthorized: (action: string) => new HoraeError('FORBIDDEN', `Not authorized to "${action}": the dashboard's authorize hook refused this request.`),
  crossOrigin: (action: string, origin: string) =>
    new HoraeError(
      'FORBIDDEN',
      `The Horae dashboard refuses "${action}" from another origin (${origin}): changes must come from the dashboard's own pages (same-origin requests), which protects them from cross-site request forgery.`,
    ),
  deletedWhileRead: (id: string) => new HoraeError('TASK_NOT_FOUND', `Task "${id}" was deleted while the dashboard read it.`, { taskId: id }),
  noRoute: (method: string, path: string) => new HoraeError('NOT_FOUND', `No dashboard endpoint answers ${method} ${path}: see the OpenAPI document at api/openapi.json.`),
  internal: () => new HoraeError('INTERNAL', 'The dashboard could not answer: an unexpected error occurred (it was logged).'),
};
