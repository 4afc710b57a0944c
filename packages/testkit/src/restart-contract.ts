/**
 * What a scheduler on a store does when the store's server restarts: it logs the outage once,
 * goes on when the server is back, and every fire time runs once, those that fell due during the
 * outage included. The server is a test's own (its data outlives the restart), so this suite can
 * stop it for real, which a shared server must not be.
 */
import { Scheduler, type RunContext, type TaskStore } from '@horae/core';
import { afterEach, describe, expect, it } from 'vitest';

const SECOND = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;

/** A server of the test's own, whose data outlives a restart. */
export interface RestartableServer {
  /** Starts it and resolves once it takes writes (the first start also sets it up). */
  start(): Promise<void>;
  /** Stops it as a restart would: a clean shutdown, then the process is gone. */
  stop(): Promise<void>;
  /** A store on it that polls every 200 ms. */
  openStore(): TaskStore;
  /** Stops it if it runs, and removes its data. */
  remove(): Promise<void>;
}

/** How the restart suite gets at servers of a store's kind. */
export interface RestartFixture {
  /** The describe block's name, e.g. `'RedisStore across a Redis restart'`. */
  name: string;
  /**
   * Why no server can be started here (no binary installed), with how to fix it: the suite then
   * skips, and fails in CI (`CI=true`) with this message.
   */
  unavailable?: string;
  /** One test per kind of server; `kind` names it in the test's name, e.g. `'replica set'`. */
  servers: { kind?: string; create(): Promise<RestartableServer> }[];
  /** How long the scheduler runs after the restart, ms; default 4,000. */
  settle?: number;
  /** Fire times within this long of the end may still be missing, ms; default 1,000. */
  margin?: number;
  /** The test's timeout, ms; default 60,000. */
  timeout?: number;
}

/**
 * Runs the restart test against each kind of server a store supports.
 *
 * @example
 * ```ts
 * restartSuite({
 *   name: 'MyStore across a MyDB restart',
 *   unavailable: hasBinary ? undefined : 'mydb-server must be installed',
 *   servers: [{ create: async () => myDbServer(await freePort()) }],
 * });
 * ```
 * @public
 */
export function restartSuite(fixture: RestartFixture): void {
  const runs = fixture.unavailable === undefined || process.env.CI === 'true' ? describe : describe.skip;
  const margin = fixture.margin ?? SECOND;

  runs(fixture.name, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    for (const { kind, create } of fixture.servers) {
      const title = `keeps the scheduler running through a restart${kind === undefined ? '' : ` of a ${kind}`}: logs it once, resumes, loses and doubles nothing`;
      it(title, { timeout: fixture.timeout ?? 60_000 }, async () => {
        expect(fixture.unavailable, fixture.unavailable).toBeUndefined();
        const server = await create();
        cleanups.push(() => server.remove());
        await server.start();

        const errors: string[] = [];
        const scheduler = new Scheduler({
          timezone: 'UTC',
          storeRetryInterval: 300,
          leaseDuration: 2_000,
          logger: { debug: quiet, info: quiet, warn: quiet, error: (message: string) => void errors.push(message) },
          stores: { default: server.openStore() },
        });
        cleanups.push(() => scheduler.shutdown({ wait: false }));
        const fires: number[] = [];
        scheduler.define('tick', (_args: unknown, ctx: RunContext) => void fires.push(ctx.scheduledAt.getTime()));
        const startAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
        await scheduler.start();
        await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt }, misfireGraceTime: null, coalesce: false });

        await sleep(startAt - Date.now() + 2_500);
        await server.stop();
        await sleep(3_000); // fires fall due while the server is gone
        await server.start();
        await sleep(fixture.settle ?? 4_000);
        const end = Date.now();
        await scheduler.shutdown();

        // Every fire time up to `margin` before the end ran, once, also those due during the outage.
        const expected: number[] = [];
        for (let time = startAt; time <= end - margin; time += 1_000) expected.push(time);
        expect(new Set(fires).size, 'a fire ran twice').toBe(fires.length);
        for (const time of expected) expect(fires, `the fire at ${new Date(time).toISOString()} was lost`).toContain(time);
        expect(
          errors.filter((message) => message.includes('retrying')),
          errors.join('\n'),
        ).toHaveLength(1);
      });
    }
  });
}
