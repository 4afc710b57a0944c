import type { MiddlewareHandler } from 'hono';
import { messages } from './messages.js';
import { MUTATIONS, type DashboardAction, type ResolvedOptions } from './options.js';

/** What the dashboard's middleware leave for the handlers: its options, and who asked (as `authorize` named them). */
export interface AccessVariables {
  options: ResolvedOptions;
  identity: string | null;
}

/** Whether an IP address is on the loopback interface (127.0.0.0/8, ::1, and IPv4 mapped into IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Headers a proxy adds: a request that has one came from elsewhere, whatever the socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/**
 * The origin a mutation came from when it is not the dashboard's own, else `undefined`. Browsers
 * say it in `Sec-Fetch-Site` (and in `Origin` for every POST and DELETE); a request that says
 * neither did not come from a page, so it cannot be a forged one. Hosts are compared, not
 * schemes: behind a proxy that ends TLS the request the dashboard sees is plain HTTP.
 */
function foreignOrigin(request: Request): string | undefined {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return request.headers.get('origin') ?? `a ${site} page`;
  const origin = request.headers.get('origin');
  if (origin === null) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    return origin;
  }
  return host === new URL(request.url).host ? undefined : origin;
}

/**
 * Decides whether a request may do `action`, in this order: `readOnly` refuses every mutation;
 * a mutation from another origin is refused (CSRF); without `authorize`, only loopback clients
 * not forwarded by a proxy are answered and no mutation is allowed; with it, its answer decides. Hono's own `csrf`
 * middleware is not enough here: it checks form submissions only, and a cross-site `fetch` with
 * no body and no content type would pass it.
 */
export function guard(action: DashboardAction): MiddlewareHandler<{ Variables: AccessVariables }> {
  const mutation = MUTATIONS.includes(action);
  return async (c, next) => {
    const options = c.var.options;
    const request = c.req.raw;
    if (mutation && options.readOnly) throw messages.readOnly(action);
    if (mutation) {
      const origin = foreignOrigin(request);
      if (origin !== undefined) throw messages.crossOrigin(action, origin);
    }
    const clientAddress = options.clientAddress(request, c.env);
    if (options.authorize === undefined) {
      if (!isLoopback(clientAddress)) throw messages.notLoopback(clientAddress);
      // A reverse proxy on this machine connects from loopback on behalf of anyone.
      const forwarded = FORWARDING_HEADERS.find((name) => request.headers.has(name));
      if (forwarded !== undefined) throw messages.proxied(forwarded);
      if (mutation) throw messages.mutationsClosed(action);
      c.set('identity', null);
    } else {
      const answer = await options.authorize(request, action, { clientAddress });
      if (answer === false || (answer !== true && (typeof answer !== 'object' || answer === null))) throw messages.notAuthorized(action);
      c.set('identity', answer === true ? null : String(answer.identity));
    }
    await next();
  };
}

/** Whether this request could make changes: what the pages need to show or hide their buttons. */
export async function canMutate(options: ResolvedOptions, request: Request, env: unknown): Promise<boolean> {
  if (options.readOnly || options.authorize === undefined) return false;
  const answer = await options.authorize(request, 'run', { clientAddress: options.clientAddress(request, env) });
  return answer !== false && (answer === true || (typeof answer === 'object' && answer !== null));
}
