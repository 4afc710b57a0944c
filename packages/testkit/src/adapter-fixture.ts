import type { Lifecycle, LifecycleOptions, Scheduler } from '@horae/core';

/** A Fetch handler, the shape the dashboard will have: what an adapter's mount point takes. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** What an adapter's contract app is given. */
export interface ContractAppOptions {
  scheduler: Scheduler;
  /** The adapter's lifecycle options, passed through unchanged (bad ones must be refused). */
  lifecycle: LifecycleOptions;
  /** To mount at `/fetch` with the adapter's one-line Fetch mount. */
  fetchHandler: FetchHandler;
}

/** A contract app listening on 127.0.0.1. */
export interface ServedApp {
  readonly port: number;
  readonly lifecycle: Lifecycle;
}

/**
 * An adapter under the conformance suite. `serve` builds the contract app with the adapter's
 * middleware, mount and lifecycle binding, and listens on 127.0.0.1 port 0. Each route reads the
 * scheduler from the framework's own injection (never from a closure):
 * - `GET /scheduler`: 200, JSON `{ state, instanceId }` of the injected scheduler;
 * - `POST /tasks/:id?delay=ms`: adds a date task `id` with handler `contract:fire` and args
 *   `{ id }`, due `delay` ms from now; 201, JSON `{ id }`;
 * - `GET /tasks`: 200, JSON list of task ids;
 * - `GET /slow?ms=N`: answers 200 `slow done` after N ms;
 * - `/fetch/*`: the `fetchHandler`, mounted with the adapter's Fetch mount.
 */
export interface AdapterFixture {
  /** Shown in test names, e.g. `Express 5`. */
  readonly name: string;
  /** Absolute path of a module exporting this `serve`, for the tests in child processes. */
  readonly module: string;
  serve(options: ContractAppOptions): Promise<ServedApp>;
  /** Asks the app without a socket where the framework can (Hono's `app.request`). */
  inject?(options: ContractAppOptions, path: string): Promise<Response>;
  /** Arguments for the child-process Node (e.g. a loader that picks the framework's version). */
  readonly nodeArgs?: readonly string[];
  /** Environment variables for the child process. */
  readonly env?: Readonly<Record<string, string>>;
  /** The framework major the app must load (checked in this process and in the child). */
  readonly frameworkMajor?: number;
  /** The version of the framework the app loaded (the `module` exports it too, as `frameworkVersion`). */
  readonly frameworkVersion?: string;
}

/** The contract app's Fetch handler: echoes what it was sent. */
export const echoFetchHandler: FetchHandler = async (request) =>
  Response.json({ method: request.method, url: new URL(request.url).pathname + new URL(request.url).search, body: await request.text() });

/** What the contract app's routes do, written once; the adapters only route to them. */
export const contractRoutes = {
  info: (scheduler: Scheduler) => ({ state: scheduler.state, instanceId: scheduler.instanceId }),
  addTask: async (scheduler: Scheduler, id: string, delay: string | undefined) => {
    await scheduler.addTask({ id, handler: 'contract:fire', args: { id }, trigger: { type: 'date', runAt: Date.now() + Number(delay ?? 0) } });
    return { id };
  },
  listTasks: async (scheduler: Scheduler) => (await scheduler.getTasks()).map((task) => task.id),
  slow: (ms: string | undefined) => new Promise<string>((resolve) => setTimeout(() => resolve('slow done'), Number(ms ?? 0))),
};
