import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { contractRoutes, type ContractAppOptions, type FetchHandler, type ServedApp } from '@horae/testkit';
import type { Scheduler } from '@horae/core';
import { Hono } from 'hono';
import { horae } from '../src/index.js';
import { listen } from '../src/node.js';

/** The Hono version this process loaded (hono exports no ./package.json: read beside its entry). */
function honoVersion(): string {
  for (let dir = dirname(createRequire(import.meta.url).resolve('hono')); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'hono') return manifest.version;
    } catch {
      // no package.json at this level
    }
  }
  throw new Error('hono/package.json not found');
}
export const frameworkVersion = honoVersion();

/** The adapter contract's app (see @horae/testkit's AdapterFixture), on Hono. */
export function contractApp(scheduler: Scheduler, handler: FetchHandler): Hono {
  const app = new Hono();
  app.use(horae(scheduler));
  // Hono mounts Fetch handlers itself; replaceRequest: false keeps the full URL.
  app.mount('/fetch', handler, { replaceRequest: false });
  app.get('/scheduler', (c) => c.json(contractRoutes.info(c.var.scheduler)));
  app.post('/tasks/:id', async (c) => c.json(await contractRoutes.addTask(c.get('scheduler'), c.req.param('id'), c.req.query('delay')), 201));
  app.get('/tasks', async (c) => c.json(await contractRoutes.listTasks(c.var.scheduler)));
  app.get('/slow', async (c) => c.text(await contractRoutes.slow(c.req.query('ms'))));
  return app;
}

/** Serves the contract app with @hono/node-server through `listen`. */
export async function serve({ scheduler, lifecycle, fetchHandler }: ContractAppOptions): Promise<ServedApp> {
  const { info, lifecycle: bound } = await listen(contractApp(scheduler, fetchHandler), scheduler, { port: 0, hostname: '127.0.0.1', ...lifecycle });
  return { port: info.port, lifecycle: bound };
}

/** Asks the contract app without a socket, through `app.request()`. */
export function inject({ scheduler, fetchHandler }: ContractAppOptions, path: string): Promise<Response> {
  return Promise.resolve(contractApp(scheduler, fetchHandler).request(path));
}
