import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { MemoryStore } from '../stores/memory.js';
import { deferred, testScheduler } from '../../test/harness.js';
import { bindLifecycle, type Lifecycle, type LifecycleOptions } from './lifecycle.js';
import type { ServerHost } from './server-host.js';

const servers: Server[] = [];
const bindings: Lifecycle[] = [];
afterEach(async () => {
  await Promise.all(bindings.splice(0).map((binding) => binding.close()));
  for (const server of servers.splice(0)) server.closeAllConnections();
});

/** A server whose `/slow` answers after `release` is called, and which says when a request arrived. */
function appServer() {
  const arrived = deferred();
  const release = deferred();
  const responded: string[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/slow') {
      arrived.resolve();
      res.on('finish', () => responded.push('slow done'));
      void release.promise.then(() => res.end('slow done'));
    } else res.end('ok');
  });
  servers.push(server);
  return { server, arrived, release, responded };
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

function get(port: number, path: string, agent: Agent | false = false): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

function bind(...args: Parameters<typeof bindLifecycle>): Lifecycle {
  const binding = bindLifecycle(...args);
  bindings.push(binding);
  return binding;
}

describe('bindLifecycle', () => {
  it('starts the scheduler when the server listens, not before', async () => {
    const { scheduler } = testScheduler();
    const { server } = appServer();
    const binding = bind(scheduler, server);
    expect(scheduler.state).toBe('stopped');
    await listen(server);
    await binding.started;
    expect(scheduler.state).toBe('running');
  });

  it('starts at once when the server listens already, and a scheduler started by the app is left as it is', async () => {
    const { scheduler, ofType } = testScheduler();
    const { server } = appServer();
    await listen(server);
    await scheduler.start();
    await bind(scheduler, server).started;
    expect(scheduler.state).toBe('running');
    expect(ofType('scheduler:started')).toHaveLength(1);
  });

  it('closed before the server listened: nothing starts, then or later', async () => {
    const { scheduler, ofType } = testScheduler();
    const { server } = appServer();
    const binding = bind(scheduler, server);
    await binding.close();
    await listen(server);
    expect(scheduler.state).toBe('stopped');
    expect(ofType('scheduler:started')).toHaveLength(0);
  });

  it('lets a request in flight finish before the scheduler is drained, and refuses new connections meanwhile', async () => {
    const { scheduler } = testScheduler();
    const { server, arrived, release, responded: order } = appServer();
    scheduler.on('scheduler:paused', () => void order.push('paused'));
    scheduler.on('scheduler:shutdown', () => void order.push('scheduler shut down'));
    const binding = bind(scheduler, server);
    const port = await listen(server);
    await binding.started;
    const slow = get(port, '/slow');
    await arrived.promise;
    const closed = binding.close();
    await expect(get(port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    release.resolve();
    await closed;
    expect(await slow).toBe('slow done');
    expect(order).toEqual(['paused', 'slow done', 'scheduler shut down']);
  });

  it('does not wait for keep-alive connections once they are idle, also those busy when closing began', async () => {
    const { scheduler } = testScheduler();
    const { server, arrived, release } = appServer();
    server.keepAliveTimeout = 600_000;
    const binding = bind(scheduler, server, { shutdownTimeout: Infinity });
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true });
    expect(await get(port, '/', agent)).toBe('ok');
    const slow = get(port, '/slow', agent);
    await arrived.promise;
    // Without closing connections as they go idle this would wait for the keep-alive timeout
    // (10 minutes) of the connection that was busy when closing began.
    const closed = binding.close();
    release.resolve();
    expect(await slow).toBe('slow done');
    await closed;
    expect(server.listening).toBe(false);
    agent.destroy();
  });

  it('ends requests still in flight at the shutdown timeout and aborts running handlers', async () => {
    const { scheduler } = testScheduler();
    const aborted = deferred<string>();
    scheduler.define('stuck', (_args, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => {
      aborted.resolve('aborted');
      resolve();
    })));
    const { server, arrived } = appServer();
    const binding = bind(scheduler, server, { shutdownTimeout: 50 });
    const port = await listen(server);
    await binding.started;
    const submitted = new Promise<void>((resolve) => scheduler.once('task:submitted', () => resolve()));
    await scheduler.addTask({ handler: 'stuck', trigger: 'date' });
    await submitted;
    const slow = get(port, '/slow');
    await arrived.promise;
    await binding.close();
    await expect(slow).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await aborted.promise).toBe('aborted');
  });

  it('drains the scheduler when the app closes the server itself, and calls onShutdown after the drain', async () => {
    const { scheduler } = testScheduler();
    const { server } = appServer();
    const shutdown = deferred<string>();
    const binding = bind(scheduler, server, { onShutdown: () => shutdown.resolve(scheduler.state) });
    await listen(server);
    await binding.started;
    server.close();
    expect(await shutdown.promise).toBe('stopped');
    expect(binding.close()).toBe(binding.close());
  });

  it('reports a scheduler that cannot start through `started` and the logger', async () => {
    class Unreachable extends MemoryStore {
      override start(): Promise<void> {
        return Promise.reject(new Error('connection refused'));
      }
    }
    const { scheduler, logger } = testScheduler({ stores: { default: new Unreachable() } });
    const { server } = appServer();
    const binding = bind(scheduler, server);
    await listen(server);
    await expect(binding.started).rejects.toThrow('connection refused');
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('could not start') }));
  });

  it('works with any server through the ServerHost shape (Bun, Deno)', async () => {
    const { scheduler } = testScheduler();
    const calls: string[] = [];
    let listening: (() => void) | undefined;
    const host: ServerHost = {
      onListening: (start) => {
        listening = start;
        return () => calls.push('unsubscribed');
      },
      stopAccepting: async () => void calls.push('stop accepting'),
      closeAll: () => void calls.push('close all'),
    };
    const binding = bind(scheduler, host);
    listening!();
    await binding.started;
    expect(scheduler.state).toBe('running');
    await binding.close();
    expect(calls).toEqual(['unsubscribed', 'stop accepting', 'close all']);
  });

  it.each([
    [{ shutdownTimeout: -1 }, 'invalid shutdownTimeout -1'],
    [{ shutdownTimeout: Number.NaN }, 'invalid shutdownTimeout NaN'],
    [{ signals: ['SIGNOPE'] }, 'invalid signals ["SIGNOPE"]'],
    [{ onShutdown: 'close the pool' }, 'invalid onShutdown "close the pool"'],
    [{ signal: true }, 'did you mean "signals"?'],
  ])('refuses %j at once with a typed error', (options, message) => {
    const { scheduler } = testScheduler();
    let thrown: unknown;
    try {
      bindLifecycle(scheduler, appServer().server, options as LifecycleOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isHoraeError(thrown, 'INVALID_OPTION')).toBe(true);
    expect((thrown as Error).message).toContain(message);
  });
});
