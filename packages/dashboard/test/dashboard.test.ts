import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { isHoraeError, MemoryStore, Scheduler } from '@horae/core';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboard, type DashboardOptions } from '../src/index.js';
import { isLoopback } from '../src/access.js';
import { ASSETS } from '../src/ui/assets.generated.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const servers: ServerType[] = [];
const schedulers: Scheduler[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.shutdown()));
});

/** The dashboard on @hono/node-server, listening on every interface (to be reached from a non-loopback address). */
async function listening(options: DashboardOptions = {}): Promise<number> {
  const scheduler = new Scheduler({ logger: quiet, stores: { default: new MemoryStore() } });
  schedulers.push(scheduler);
  await scheduler.start();
  const server = serve({ fetch: dashboard(scheduler, options).fetch, port: 0, hostname: '0.0.0.0' });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

/** An address of this machine that is not loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && !address.internal && address.family === 'IPv4')?.address;

describe('the loopback rule, over real sockets', () => {
  it('recognises loopback addresses, IPv4 mapped into IPv6 included', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of ['10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '', undefined]) expect(isLoopback(address)).toBe(false);
  });

  // A machine with no other interface than loopback cannot make a request from elsewhere.
  it.runIf(external !== undefined || process.env.CI === 'true')(`without authorize, answers 127.0.0.1 and refuses ${external ?? 'a non-loopback address'}`, async () => {
    expect(external, 'CI needs a network interface besides loopback for this test').toBeDefined();
    const port = await listening();
    expect((await fetch(`http://127.0.0.1:${port}/api/tasks`)).status).toBe(200);
    const refused = await fetch(`http://${external!}:${port}/api/tasks`);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FORBIDDEN');
    expect(body.error.message).toContain(`came from ${external!}`);
    expect(body.error.message).toContain('authorize');
    // The page itself is refused too, not only the API.
    expect((await fetch(`http://${external!}:${port}/`)).status).toBe(403);
  });

  it.runIf(external !== undefined)('with authorize, answers whoever it allows, from anywhere', async () => {
    const port = await listening({ authorize: (request) => request.headers.get('authorization') === 'Bearer s3cret' });
    expect((await fetch(`http://${external!}:${port}/api/tasks`)).status).toBe(403);
    expect((await fetch(`http://${external!}:${port}/api/tasks`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });
});

describe('dashboard options', () => {
  const scheduler = new Scheduler({ logger: quiet });
  const refused = (options: unknown): Error => {
    try {
      dashboard(scheduler, options as DashboardOptions);
    } catch (error) {
      expect(isHoraeError(error, 'INVALID_OPTION')).toBe(true);
      return error as Error;
    }
    throw new Error('the options were accepted');
  };

  it('refuses an unknown option with the nearest known one', () => {
    expect(refused({ readonly: true }).message).toMatch(/"readonly".*did you mean "readOnly"/);
    expect(refused({ authorise: () => true }).message).toMatch(/did you mean "authorize"/);
  });

  it('refuses bad values, naming the value and what is allowed', () => {
    expect(refused({ basePath: 'horae' }).message).toBe('Dashboard: invalid basePath "horae": give a path that starts with \'/\', such as \'/horae\'.');
    expect(refused({ readOnly: 'yes' }).message).toContain('invalid readOnly "yes": give true or false');
    expect(refused({ authorize: true }).message).toContain('invalid authorize true: give a function');
    expect(refused({ refreshInterval: 5 }).message).toContain('at least 100');
    expect(refused(null).message).toContain('give an object');
  });

  it('takes the base path with or without a trailing slash', () => {
    expect(dashboard(scheduler, { basePath: '/ops/horae/' }).basePath).toBe('/ops/horae');
    expect(dashboard(scheduler, { basePath: '/' }).basePath).toBe('');
    expect(dashboard(scheduler).basePath).toBe('');
  });
});

describe('the web UI files', () => {
  it('are embedded as they are in assets/ (scripts/embed-assets.mjs --check)', async () => {
    const script = fileURLToPath(new URL('../scripts/embed-assets.mjs', import.meta.url));
    await expect(promisify(execFile)(process.execPath, [script, '--check'])).resolves.toBeDefined();
  });

  it('stay within 100 KB, load nothing from elsewhere, and carry no inline script or style', () => {
    const total = Object.values(ASSETS).reduce((sum, asset) => sum + Buffer.byteLength(asset.body), 0);
    expect(total).toBeLessThanOrEqual(100 * 1024);
    for (const [path, asset] of Object.entries(ASSETS)) {
      expect(asset.body, path).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(asset.body, path).not.toMatch(/\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write/);
    }
    const html = ASSETS['index.html']!.body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });
});
