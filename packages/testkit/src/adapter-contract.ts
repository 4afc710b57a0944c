import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { isHoraeError, Scheduler, type LifecycleOptions } from '@horae/core';
import { afterEach, describe, expect, it } from 'vitest';
import { killLineProcesses, startLineProcess, type LineProcess } from './line-process.js';
import { echoFetchHandler, type AdapterFixture, type ContractAppOptions, type ServedApp } from './adapter-fixture.js';

const CHILD = fileURLToPath(new URL('./adapter-child.ts', import.meta.url));
const TESTKIT = fileURLToPath(new URL('..', import.meta.url));
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A GET (or other) request on a fresh connection, without keep-alive; rejects on a refused connection. */
export function send(port: number, path: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the next `task:executed` or `task:error` of `taskId`. */
function nextRun(scheduler: Scheduler, taskId: string): Promise<{ ok: boolean; scheduledAt: Date }> {
  return new Promise((resolve) => {
    const stops = [
      scheduler.on('task:executed', (event) => {
        if (event.taskId !== taskId) return;
        stops.forEach((stop) => stop());
        resolve({ ok: true, scheduledAt: event.scheduledAt });
      }),
      scheduler.on('task:error', (event) => {
        if (event.taskId !== taskId) return;
        stops.forEach((stop) => stop());
        resolve({ ok: false, scheduledAt: event.scheduledAt });
      }),
    ];
  });
}

function runChild(fixture: AdapterFixture, handler: 'finishing' | 'stuck' | 'deaf', shutdownTimeout: number): LineProcess {
  return startLineProcess(process.execPath, [...(fixture.nodeArgs ?? []), '--import', 'tsx', CHILD, JSON.stringify({ module: fixture.module, handler, shutdownTimeout })], {
    cwd: TESTKIT,
    env: { ...process.env, ...fixture.env },
  });
}

/**
 * The conformance suite of a framework adapter: a real app on a real socket (and, for the
 * signals, in a real child process) gets the scheduler started while it serves, reachable from
 * its routes, and drained when it stops.
 */
export function adapterConformance(fixture: AdapterFixture): void {
  describe(`${fixture.name}: adapter contract`, () => {
    const open: ServedApp[] = [];
    afterEach(async () => {
      killLineProcesses();
      await Promise.all(open.splice(0).map((app) => app.lifecycle.close()));
    });

    const serve = async (scheduler: Scheduler, lifecycle: LifecycleOptions = {}) => {
      const app = await fixture.serve({ scheduler, lifecycle, fetchHandler: echoFetchHandler });
      open.push(app);
      return app;
    };
    const newScheduler = () => {
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet });
      scheduler.define('contract:fire', ({ id }: { id: string }) => `fired ${id}`);
      return scheduler;
    };

    it.runIf(fixture.frameworkMajor !== undefined)('loads the framework major it is meant to test', () => {
      expect(Number(fixture.frameworkVersion?.split('.')[0])).toBe(fixture.frameworkMajor);
    });

    it('starts the scheduler when the server listens, and a task declared before fires while it serves', async () => {
      const scheduler = newScheduler();
      await scheduler.addTask({ id: 'declared', handler: 'contract:fire', args: { id: 'declared' }, trigger: { type: 'date', runAt: Date.now() + 50 } });
      expect(scheduler.state).toBe('stopped');
      const fired = nextRun(scheduler, 'declared');
      const app = await serve(scheduler);
      await app.lifecycle.started;
      expect(scheduler.state).toBe('running');
      expect(await fired).toMatchObject({ ok: true });
    });

    it('gives routes the scheduler through the framework, and a task added by a route fires', async () => {
      const scheduler = newScheduler();
      const app = await serve(scheduler);
      await app.lifecycle.started;
      const info = await send(app.port, '/scheduler');
      expect(info.status).toBe(200);
      expect(JSON.parse(info.body)).toEqual({ state: 'running', instanceId: scheduler.instanceId });
      const fired = nextRun(scheduler, 'from-route');
      const added = await send(app.port, '/tasks/from-route?delay=30', 'POST');
      expect(added.status).toBe(201);
      expect(JSON.parse(added.body)).toEqual({ id: 'from-route' });
      expect(JSON.parse((await send(app.port, '/tasks')).body)).toEqual(['from-route']);
      expect(await fired).toMatchObject({ ok: true });
    });

    it.runIf(fixture.inject !== undefined)('answers injected requests without a socket, with the scheduler injected', async () => {
      const scheduler = newScheduler();
      const options: ContractAppOptions = { scheduler, lifecycle: {}, fetchHandler: echoFetchHandler };
      const response = await fixture.inject!(options, '/scheduler');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ state: 'stopped', instanceId: scheduler.instanceId });
    });

    it('mounts a Fetch handler in one line: method, full path, query and body reach it', async () => {
      const app = await serve(newScheduler());
      const echoed = await send(app.port, '/fetch/deep/path?x=1', 'POST', 'hello');
      expect(echoed.status).toBe(200);
      expect(JSON.parse(echoed.body)).toEqual({ method: 'POST', url: '/fetch/deep/path?x=1', body: 'hello' });
    });

    it('closes once however often it is asked: the scheduler is drained and the port refuses connections', async () => {
      const scheduler = newScheduler();
      const app = await serve(scheduler);
      await app.lifecycle.started;
      const first = app.lifecycle.close();
      expect(app.lifecycle.close()).toBe(first);
      await first;
      await app.lifecycle.close();
      expect(scheduler.state).toBe('stopped');
      await expect(send(app.port, '/scheduler')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('lets a running handler finish, and aborts a stuck one through ctx.signal at the shutdown timeout', async () => {
      const scheduler = newScheduler();
      const seen: string[] = [];
      scheduler.define('finishing', async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen.push('finishing done');
      });
      scheduler.define('stuck', (_args: unknown, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => {
        seen.push(`stuck aborted: ${ctx.signal.reason instanceof Error ? ctx.signal.reason.name : String(ctx.signal.reason)}`);
        resolve();
      })));
      const app = await serve(scheduler, { shutdownTimeout: 300 });
      await app.lifecycle.started;
      const running = new Promise<void>((resolve) => {
        let count = 0;
        scheduler.on('task:submitted', () => ++count === 2 && resolve());
      });
      await scheduler.addTask({ id: 'finishing', handler: 'finishing', trigger: 'date' });
      await scheduler.addTask({ id: 'stuck', handler: 'stuck', trigger: 'date' });
      await running;
      await app.lifecycle.close();
      expect(seen.sort()).toEqual(['finishing done', expect.stringMatching(/^stuck aborted/)]);
    });

    it('refuses a bad option at setup with a typed error, not at the first fire', async () => {
      const scheduler = newScheduler();
      const refused = async (lifecycle: LifecycleOptions) => {
        try {
          await serve(scheduler, lifecycle);
        } catch (error) {
          return error;
        }
        throw new Error(`${JSON.stringify(lifecycle)} was accepted`);
      };
      const negative = await refused({ shutdownTimeout: -1 });
      expect(isHoraeError(negative, 'INVALID_OPTION')).toBe(true);
      expect((negative as Error).message).toContain('-1');
      const misspelt = await refused({ shutdownTimout: 5 } as LifecycleOptions);
      expect(isHoraeError(misspelt, 'INVALID_OPTION')).toBe(true);
      expect((misspelt as Error).message).toContain('did you mean "shutdownTimeout"?');
      expect(scheduler.state).toBe('stopped');
    });

    describe('SIGTERM in a real process', () => {
      it('finishes the request in flight and the running handler, refuses new connections, then exits with code 0', async () => {
        const child = runChild(fixture, 'finishing', 10_000);
        if (fixture.frameworkMajor !== undefined) expect(await child.waitFor('framework ')).toMatch(new RegExp(`^framework ${fixture.frameworkMajor}\\.`));
        const port = Number((await child.waitFor('listening ')).split(' ')[1]);
        await child.waitFor('started');
        const inFlight = send(port, '/slow?ms=400');
        // The request has reached the app once a second one on another connection is answered.
        await send(port, '/scheduler');
        child.kill('SIGTERM');
        await child.waitFor('log SIGTERM received');
        await expect(send(port, '/scheduler')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        expect(await inFlight).toEqual({ status: 200, body: 'slow done' });
        expect(await child.exited).toEqual({ code: 0, signal: null });
        expect(child.lines.filter((line) => !/^(listening|log|framework) /.test(line))).toEqual(['started', 'finished', 'scheduler shutdown', 'exit 0']);
      });

      it('aborts a stuck handler through ctx.signal at the shutdown timeout, then exits with code 0', async () => {
        const child = runChild(fixture, 'stuck', 300);
        await child.waitFor('started');
        child.kill('SIGTERM');
        expect(await child.exited).toEqual({ code: 0, signal: null });
        expect(child.lines.filter((line) => !/^(listening|log|framework) /.test(line))).toEqual(['started', 'aborted', 'finished', 'scheduler shutdown', 'exit 0']);
      });

      it('exits at once on a second SIGTERM while draining', async () => {
        const child = runChild(fixture, 'deaf', 600_000);
        await child.waitFor('started');
        child.kill('SIGTERM');
        await child.waitFor('log SIGTERM received');
        child.kill('SIGTERM');
        expect(await child.exited).toEqual({ code: 143, signal: null });
        expect(child.lines).not.toContain('scheduler shutdown');
      });
    });
  });
}
