import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Scheduler } from '@horae/core';
import express from 'express';
import { expect, it } from 'vitest';
import { listen } from '../src/index.js';

it('a listen that fails (port taken) rejects with the cause and leaves no signal handler behind', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  const scheduler = new Scheduler({ timezone: 'UTC' });
  const before = process.listenerCount('SIGTERM');
  await expect(listen(express(), scheduler, { port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  expect(process.listenerCount('SIGTERM')).toBe(before);
  expect(scheduler.state).toBe('stopped');
  taken.close();
});
