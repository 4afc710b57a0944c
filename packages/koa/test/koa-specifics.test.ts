import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { isHoraeError, Scheduler } from '@horae/core';
import Koa from 'koa';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { bindScheduler, fetchHandler, horae, listen, type KoaApp, type ListenOptions } from '../src/index.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const newScheduler = () => new Scheduler({ timezone: 'UTC', logger: quiet });
/** Answers after a timer, as a real handler would: an adapter that does not wait for it is seen. */
const echo = async (request: Request) => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return Response.json({ url: request.url.replace(/^http:\/\/[^/]+/, '') }, { status: 202 });
};

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Listens on a free port with the adapter's `listen`, closed after the test. */
async function served(app: Koa, scheduler: Scheduler, options: ListenOptions = {}): Promise<string> {
  const { server, lifecycle } = await listen(app, scheduler, { port: 0, host: '127.0.0.1', signals: false, ...options });
  closers.push(() => lifecycle.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Koa specifics', () => {
  it('puts the scheduler on ctx.scheduler and ctx.state.scheduler, typed, for every middleware after horae()', async () => {
    const scheduler = newScheduler();
    const app = new Koa();
    const seen: { before: unknown; context: unknown; state: unknown }[] = [];
    app.use(async (ctx, next) => {
      const before: unknown = ctx.state.scheduler;
      await next();
      seen.push({ before, context: ctx.scheduler, state: ctx.state.scheduler });
    });
    app.use(horae(scheduler));
    app.use((ctx) => {
      expectTypeOf(ctx.scheduler).toEqualTypeOf<Scheduler>();
      expectTypeOf(ctx.state.scheduler).toEqualTypeOf<Scheduler>();
      ctx.body = ctx.state.scheduler === ctx.scheduler ? ctx.scheduler.instanceId : 'different';
    });
    const base = await served(app, scheduler);
    expect(await (await fetch(`${base}/`)).text()).toBe(scheduler.instanceId);
    // Middleware before horae() runs first: it sees the scheduler only once next() has returned.
    expect(seen).toEqual([{ before: undefined, context: scheduler, state: scheduler }]);
  });

  it('types an app with a state of its own: ctx.scheduler always, ctx.state.scheduler when the state extends DefaultState', () => {
    interface AppState extends Koa.DefaultState {
      user?: string;
    }
    const app = new Koa<AppState>();
    app.use(horae(newScheduler()));
    app.use((ctx) => {
      expectTypeOf(ctx.scheduler).toEqualTypeOf<Scheduler>();
      expectTypeOf(ctx.state.scheduler).toEqualTypeOf<Scheduler>();
      expectTypeOf(ctx.state.user).toEqualTypeOf<string | undefined>();
    });
    expectTypeOf(app).toExtend<KoaApp>();
    const plain = new Koa<{ user?: string }>();
    plain.use(horae(newScheduler()));
    plain.use((ctx) => {
      expectTypeOf(ctx.scheduler).toEqualTypeOf<Scheduler>();
      // @ts-expect-error a state type that does not extend Koa's DefaultState leaves the scheduler out
      expectTypeOf(ctx.state.scheduler).toEqualTypeOf<Scheduler>();
    });
  });

  it('lets middleware upstream of a Fetch handler read its status, and Koa leaves the response alone', async () => {
    const app = new Koa();
    const statuses: number[] = [];
    const errors: unknown[] = [];
    app.on('error', (error) => errors.push(error));
    app.use(async (ctx, next) => {
      await next();
      statuses.push(ctx.status);
    });
    app.use(fetchHandler(echo));
    const base = await served(app, newScheduler());
    const response = await fetch(`${base}/anything?x=1`);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ url: '/anything?x=1' });
    expect(statuses).toEqual([202]);
    expect(errors).toEqual([]);
  });

  it('gives a Fetch handler the full URL under a router prefix and after a mount rewrote the path', async () => {
    const app = new Koa();
    const admin = new Router({ prefix: '/admin' });
    admin.all('/horae{/*path}', fetchHandler(echo));
    app.use(admin.routes());
    // What koa-mount does: strip the mount path from ctx.path (and so from req.url).
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith('/mounted/')) return next();
      ctx.path = ctx.path.slice('/mounted'.length);
      return fetchHandler(echo)(ctx, next);
    });
    const base = await served(app, newScheduler());
    expect(await (await fetch(`${base}/admin/horae/tasks?page=2`)).json()).toEqual({ url: '/admin/horae/tasks?page=2' });
    expect(await (await fetch(`${base}/mounted/tasks?page=3`)).json()).toEqual({ url: '/mounted/tasks?page=3' });
  });

  it('refuses a misspelt listen option, naming the nearest one, before opening a port', async () => {
    const scheduler = newScheduler();
    const error = await listen(new Koa(), scheduler, { prot: 0 } as ListenOptions).catch((caught: unknown) => caught);
    expect(isHoraeError(error, 'INVALID_OPTION')).toBe(true);
    expect((error as Error).message).toContain('did you mean "port"?');
    expect(scheduler.state).toBe('stopped');
  });

  it('handles SIGTERM and SIGINT by default in listen, and not with signals: false', async () => {
    const counts = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const before = counts();
    const { lifecycle } = await listen(new Koa(), newScheduler(), { port: 0, host: '127.0.0.1' });
    expect(counts()).toEqual(before.map((count) => count + 1));
    await lifecycle.close();
    expect(counts()).toEqual(before);
    await served(new Koa(), newScheduler(), { signals: false });
    expect(counts()).toEqual(before);
  });

  it('rejects a listen that fails (port taken) with the cause, and leaves no signal handler behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => taken.close(resolve)));
    const scheduler = newScheduler();
    const before = process.listenerCount('SIGTERM');
    await expect(listen(new Koa(), scheduler, { port: (taken.address() as AddressInfo).port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(scheduler.state).toBe('stopped');
  });

  it('binds the scheduler to a server from app.listen() with bindScheduler', async () => {
    const scheduler = newScheduler();
    const app = new Koa();
    app.use(horae(scheduler));
    const server: Server = app.listen(0, '127.0.0.1');
    const lifecycle = bindScheduler(scheduler, server);
    await lifecycle.started;
    expect(scheduler.state).toBe('running');
    await new Promise((resolve) => server.close(resolve));
    // Closing the server drains the scheduler; close() then returns the same drain.
    await lifecycle.close();
    expect(scheduler.state).toBe('stopped');
  });
});
