import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { killLineProcesses, send, startLineProcess } from '@horae/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runtimeBinaries } from './runtimes/binaries.js';
import { bundle } from './runtimes/bundle.js';

/** How each runtime runs the bundled app (Deno: only the permissions it needs). */
const runtimes = {
  bun: { binary: runtimeBinaries.bun(), args: (app: string) => ['--no-env-file', app] },
  deno: {
    binary: runtimeBinaries.deno(),
    args: (app: string) => ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', `--allow-read=${dirname(app)}`, '--allow-sys=hostname', app],
  },
} as const;

let app: string;
let home: string;
beforeAll(async () => {
  app = await bundle('./app.ts');
  home = await mkdtemp(join(tmpdir(), 'horae-runtime-home-'));
}, 60_000);
afterEach(() => killLineProcesses());

for (const [name, runtime] of Object.entries(runtimes)) {
  const missing = runtime.binary === undefined;
  if (missing) {
    const message = `The ${name} binary from the npm package "${name}" is not installed: the Hono tests under ${name} cannot run.`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! ${message} They are SKIPPED. Run pnpm install.\n`);
  }

  describe.skipIf(missing)(`Hono under ${name} (${runtime.binary ?? 'missing'})`, () => {
    const start = () =>
      startLineProcess(runtime.binary!, runtime.args(app), {
        cwd: dirname(app),
        env: { ...process.env, NO_COLOR: '1', DENO_DIR: join(home, 'deno'), BUN_INSTALL: join(home, 'bun') },
      });

    it('starts the scheduler with the server: declared and route-added tasks fire, routes see the scheduler', async () => {
      const child = start();
      const port = Number((await child.waitFor('listening ')).split(' ')[1]);
      await child.waitFor('tick');
      expect(JSON.parse((await send(port, '/scheduler')).body)).toEqual({ state: 'running', runtime: name });
      expect((await send(port, '/tasks/from-route?delay=20', 'POST')).status).toBe(201);
      await child.waitFor('fired from-route');
      child.kill('SIGTERM');
      expect(await child.exited).toEqual({ code: 0, signal: null });
    });

    it('on SIGTERM: the request in flight and the running handler finish, new connections are refused, exit code 0', async () => {
      const child = start();
      const port = Number((await child.waitFor('listening ')).split(' ')[1]);
      expect((await send(port, '/tasks/work?handler=work', 'POST')).status).toBe(201);
      await child.waitFor('started');
      const inFlight = send(port, '/slow?ms=400');
      // Handled now, asserted below: a failure before that must not surface as unhandled.
      inFlight.catch(() => undefined);
      await send(port, '/scheduler');
      child.kill('SIGTERM');
      await child.waitFor('log SIGTERM received');
      // Deno closes its listener a moment after shutdown() is called: a connection made in that
      // moment is reset rather than refused. Either way it is never served.
      await expect(send(port, '/scheduler')).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNREFUSED|ECONNRESET)$/) });
      expect(await inFlight).toEqual({ status: 200, body: 'slow done' });
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(child.lines.filter((line) => ['started', 'finished', 'aborted', 'scheduler shutdown'].includes(line) || line.startsWith('exit '))).toEqual([
        'started',
        'finished',
        'scheduler shutdown',
        'exit 0',
      ]);
    });
  });
}
