// Hash routes: the server serves one page, and the hash picks the view, so deep links and the
// back button work without server-side routing.

/** The route in a location hash: `{ name, id?, params }`. */
export function parseRoute(hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  // Split before decoding: an id's own slashes are encoded (%2F) and stay in one segment.
  const segments = path.split('/').filter(Boolean);
  const [first, second, ...rest] = segments;
  if (!first) return { name: 'overview', params };
  if (first === 'tasks' && second === undefined) return { name: 'tasks', params };
  if (first === 'tasks' && rest.length === 0) return { name: 'task', id: decode(second), params };
  if ((first === 'quarantine' || first === 'instances') && second === undefined) return { name: first, params };
  return { name: 'not-found', params };
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const href = {
  overview: () => '#/',
  tasks: (params) => `#/tasks${query(params)}`,
  task: (id, store) => `#/tasks/${encodeURIComponent(id)}${query({ store })}`,
  quarantine: () => '#/quarantine',
  instances: () => '#/instances',
};
