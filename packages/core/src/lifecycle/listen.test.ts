import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testScheduler } from '../../test/harness.js';
import { listenWithLifecycle } from './listen.js';

describe('listenWithLifecycle', () => {
  it('listens, starts the scheduler, and handles SIGTERM until closed', async () => {
    const { scheduler } = testScheduler();
    const server = createServer((_req, res) => res.end());
    const before = process.listenerCount('SIGTERM');
    const lifecycle = await listenWithLifecycle(scheduler, server, { port: 0, host: '127.0.0.1' });
    await lifecycle.started;
    expect(server.listening).toBe(true);
    expect(scheduler.state).toBe('running');
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await lifecycle.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('refuses a bad option before any port is open', async () => {
    const { scheduler } = testScheduler();
    const server = createServer();
    await expect(listenWithLifecycle(scheduler, server, { prot: 0 } as never)).rejects.toThrow('unknown option "prot" in the listen options; did you mean "port"?');
    await expect(listenWithLifecycle(scheduler, server, { port: 0, shutdownTimeout: -5 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(server.listening).toBe(false);
  });

  it('a listen that fails (port taken) rejects with the cause and leaves no signal handler behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const { scheduler } = testScheduler();
    const before = process.listenerCount('SIGTERM');
    await expect(listenWithLifecycle(scheduler, createServer(), { port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(scheduler.state).toBe('stopped');
    taken.close();
  });
});
