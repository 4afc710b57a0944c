/**
 * `@horae/hono`: the Horae scheduler inside a Hono app, on Node (see `@horae/hono/node`), Bun,
 * Deno and Cloudflare Workers.
 *
 * @packageDocumentation
 */
export { horae } from './middleware.js';
export { bunServerHost, denoServerHost, type BunServerLike, type DenoServerLike } from './runtimes.js';
export { scheduled, type ExecutionContextLike, type ScheduledControllerLike } from './workers.js';
