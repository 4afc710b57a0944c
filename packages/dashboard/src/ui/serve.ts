import type { Context } from 'hono';
import { ASSETS } from './assets.generated.js';

/**
 * Answers a file of the web UI, or `undefined` when there is none by that name. Revalidated on
 * every load (`no-cache` with an entity tag): a new version of the package shows at once.
 */
export function serveAsset(c: Context, path: string): Response | undefined {
  const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
  if (asset === undefined) return undefined;
  const headers = { 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache' };
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  return c.body(asset.body, 200, headers);
}
