import { checkKeys } from '@horae/core';
import { messages } from './messages.js';

/**
 * What a request asks the dashboard to do: `read` covers every page, the API's reads and the
 * event stream (and reschedule previews, which write nothing); each mutation has its own name.
 * @public
 */
export type DashboardAction = 'read' | 'run' | 'pause' | 'resume' | 'reschedule' | 'delete' | 'restore' | 'discard';

/** The mutations among {@link DashboardAction}s. */
export const MUTATIONS: readonly DashboardAction[] = ['run', 'pause', 'resume', 'reschedule', 'delete', 'restore', 'discard'];

/**
 * What `authorize` answers: `false` refuses (403), `true` allows, `{ identity }` allows and names
 * who asked, for the audit events.
 * @public
 */
export type Authorization = boolean | { readonly identity: string };

/**
 * One mutation made through the dashboard, for the audit trail.
 * @public
 */
export interface AuditEntry {
  readonly action: Exclude<DashboardAction, 'read'>;
  readonly taskId: string;
  /** The store alias the request named, if it named one. */
  readonly store: string | null;
  /** Who asked, as `authorize` named them; `null` when it returned `true`. */
  readonly identity: string | null;
  readonly at: Date;
  readonly outcome: 'succeeded' | 'failed';
  /** Why it failed: the HoraeError's code and message. */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * What `authorize` is told besides the request: the client's address as the socket gives it
 * (see {@link DashboardOptions.clientAddress}); behind a proxy, the proxy's.
 * @public
 */
export interface AuthorizeContext {
  readonly clientAddress: string | undefined;
}

/**
 * Options of {@link dashboard}.
 * @public
 */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted at, as the requests it is given show it (default `/`): the
   * adapters' `fetchHandler` hand it the full URL, mount path included.
   */
  basePath?: string;
  /**
   * Decides every request (see {@link DashboardAction}). Without it the dashboard answers only
   * clients on the loopback interface that did not come through a proxy, and refuses every
   * mutation.
   */
  authorize?: (request: Request, action: DashboardAction, context: AuthorizeContext) => Authorization | Promise<Authorization>;
  /** Refuse every mutation, whatever `authorize` says. */
  readOnly?: boolean;
  /** Called after every mutation, done or failed (mutations are also logged through the scheduler's logger). */
  onAudit?: (entry: AuditEntry) => void;
  /**
   * The client's IP address, for the loopback rule and `authorize`'s context. By default read
   * from the Node.js request that `@hono/node-server` passes along (every Node mount); give it on
   * other runtimes.
   */
  clientAddress?: (request: Request, env: unknown) => string | undefined;
  /** How often (ms) the event stream tells pages to refresh, to show what other replicas did. Default 5,000. */
  refreshInterval?: number;
}

const KEYS = ['basePath', 'authorize', 'readOnly', 'onAudit', 'clientAddress', 'refreshInterval'] as const;

/** Options validated, with their defaults. */
export interface ResolvedOptions {
  readonly basePath: string;
  readonly authorize: DashboardOptions['authorize'];
  readonly readOnly: boolean;
  readonly onAudit: DashboardOptions['onAudit'];
  readonly clientAddress: NonNullable<DashboardOptions['clientAddress']>;
  readonly refreshInterval: number;
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw messages.invalidOption(name, value, 'give a function, or leave it out');
}

/** The address of the Node.js socket `@hono/node-server` passes as `env.incoming`, if any. */
function nodeClientAddress(_request: Request, env: unknown): string | undefined {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}

/** Validates the options before anything is built: a bad one is an `INVALID_OPTION` error. */
export function resolveOptions(options: DashboardOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw messages.invalidOption('options', options, 'give an object such as { basePath, authorize }');
  checkKeys('dashboard options', options, KEYS);
  const { basePath = '/', readOnly = false, refreshInterval = 5_000 } = options;
  if (typeof basePath !== 'string' || !basePath.startsWith('/') || /[?#]/.test(basePath)) {
    throw messages.invalidOption('basePath', basePath, "give a path that starts with '/', such as '/horae'");
  }
  if (typeof readOnly !== 'boolean') throw messages.invalidOption('readOnly', readOnly, 'give true or false');
  if (!Number.isInteger(refreshInterval) || refreshInterval < 100) throw messages.invalidOption('refreshInterval', refreshInterval, 'give whole milliseconds, at least 100');
  optionalFunction('authorize', options.authorize);
  optionalFunction('onAudit', options.onAudit);
  optionalFunction('clientAddress', options.clientAddress);
  return {
    basePath: basePath.length > 1 ? basePath.replace(/\/+$/, '') : '',
    authorize: options.authorize,
    readOnly,
    onAudit: options.onAudit,
    clientAddress: options.clientAddress ?? nodeClientAddress,
    refreshInterval,
  };
}
