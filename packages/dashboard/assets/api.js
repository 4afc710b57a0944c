// The dashboard's only way to the server: every call goes through request(), so that errors have
// one shape (ApiError) whatever went wrong (an HTTP error, a non-JSON answer, a network failure).

/** Where the API lives, relative to the page, so that the app can be mounted under any base path. */
const API_ROOT = new URL('api/', document.baseURI);

/** An error answered by the API (`{ error: { code, message } }`) or met on the way to it. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = 'NETWORK_ERROR', cause } = {}) {
    super(message, { cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The API URL of `path` with the given query parameters; empty ones are left out. */
export function apiUrl(path, params = {}) {
  const url = new URL(path, API_ROOT);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

async function request(method, path, { params, body, signal } = {}) {
  const mutation = method !== 'GET';
  let response;
  try {
    response = await fetch(apiUrl(path, params), {
      method,
      headers: mutation ? { 'content-type': 'application/json' } : { accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError('The dashboard server cannot be reached.', { cause: error });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, say: reported below by its status rather than as a parse error.
  }
  if (!response.ok) {
    const message = data?.error?.message ?? `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, { status: response.status, code: data?.error?.code ?? `HTTP_${response.status}` });
  }
  return data;
}

/** One task's URL segment: ids may hold any character, a slash included. */
const taskPath = (id, suffix = '') => `tasks/${encodeURIComponent(id)}${suffix}`;
const quarantinePath = (id, suffix = '') => `quarantine/${encodeURIComponent(id)}${suffix}`;

export const api = {
  session: (signal) => request('GET', 'session', { signal }),
  overview: (signal) => request('GET', 'overview', { signal }),
  tasks: (params, signal) => request('GET', 'tasks', { params, signal }),
  task: (id, store, signal) => request('GET', taskPath(id), { params: { store }, signal }),
  runs: (id, store, { limit, before } = {}, signal) =>
    request('GET', taskPath(id, '/runs'), { params: { store, limit, before }, signal }),
  runNow: (id, store) => request('POST', taskPath(id, '/run'), { params: { store } }),
  pause: (id, store) => request('POST', taskPath(id, '/pause'), { params: { store } }),
  resume: (id, store) => request('POST', taskPath(id, '/resume'), { params: { store } }),
  previewReschedule: (id, store, trigger) =>
    request('POST', taskPath(id, '/reschedule/preview'), { params: { store }, body: { trigger } }),
  reschedule: (id, store, trigger) =>
    request('POST', taskPath(id, '/reschedule'), { params: { store }, body: { trigger } }),
  deleteTask: (id, store) => request('DELETE', taskPath(id), { params: { store } }),
  quarantine: (signal) => request('GET', 'quarantine', { signal }),
  restore: (id, store) => request('POST', quarantinePath(id, '/restore'), { params: { store } }),
  discard: (id, store) => request('DELETE', quarantinePath(id), { params: { store } }),
  instances: (signal) => request('GET', 'instances', { signal }),
};
