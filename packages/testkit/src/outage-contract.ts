/**
 * What a store on a network server does while the server is unreachable: calls fail fast instead
 * of hanging for the whole outage, a store started during one catches up once the server answers,
 * and a scheduler on it keeps firing through one and logs it once. The server stays up: a
 * {@link TcpProxy} in front of it cuts the stores off and lets them back.
 */
import { Scheduler, type StoreContext, type StoredTask, type TaskStore } from '@horae/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TcpProxy } from './tcp-proxy.js';

const SECOND = 1_000;
/** A poll interval long enough that only the change feed can wake a store during a test. */
const NO_POLL = 3_600 * SECOND;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** A fresh, empty place on the server (a key prefix, a collection) for one test. */
export interface OutagePlace {
  /** A store on this place, connected straight to the server. */
  open(options: { pollInterval: number }): TaskStore;
  /** A store on this place, connected through `proxy`, which forwards to the server. */
  openThrough(proxy: TcpProxy, options: { pollInterval: number }): TaskStore;
  /** Removes everything the place holds (the suite shuts its stores down first). */
  cleanup(): Promise<void>;
}

/** How the outage suite gets at a store on a real server; `TPlace` is what its places carry. */
export interface OutageFixture<TPlace extends OutagePlace = OutagePlace> {
  /** Shown in test names, e.g. `'RedisStore'`. */
  name: string;
  /** The server as the store's messages name it, e.g. `'Redis'`. */
  server: string;
  /** How the store hears of other instances' changes, for a test name, e.g. `'subscription'`. */
  changeFeed: string;
  /** What a store started during an outage does once the server answers, for a test name, e.g. `'subscribes'`. */
  catchUp: string;
  /** A proxy in front of the server, listening. */
  proxy(): Promise<TcpProxy>;
  place(): TPlace;
  /**
   * Resolves once `store`, cut off and back, hears of other instances' changes again, while
   * `listeners` stores are open on its place.
   */
  hearsChanges(store: TaskStore, listeners: number): Promise<void>;
  /** Resolves once a store started during an outage has done what its start could not (say, create its indexes). */
  caughtUp?(place: TPlace): Promise<void>;
  /** How long the scheduler test keeps the server away, ms; default 1,500. */
  outage?: number;
  /** How long a scheduler may take to fire again after an outage, ms; default 15,000. */
  recovery?: number;
  /** How long news of a change may take to arrive once a store is back, ms; default 5,000. */
  rewake?: number;
}

const row = (id: string, nextRunTime: number | null, revision = 1): StoredTask => ({ id, nextRunTime, revision, payload: JSON.stringify({ id }) });

const context = (instanceId: string, wake: () => void = quiet, logger = silent): StoreContext => ({ alias: 'default', instanceId, logger, wake, quarantined: quiet });

/**
 * Runs the outage tests against a store on a real server.
 *
 * @example
 * ```ts
 * outageSuite({
 *   name: 'MyStore', server: 'MyDB', changeFeed: 'subscription', catchUp: 'subscribes',
 *   proxy: () => TcpProxy.to('127.0.0.1', 7000),
 *   place: () => {
 *     const prefix = randomUUID();
 *     return {
 *       open: ({ pollInterval }) => new MyStore({ url: 'mydb://127.0.0.1:7000', prefix, pollInterval }),
 *       openThrough: (proxy, { pollInterval }) => new MyStore({ url: `mydb://127.0.0.1:${proxy.port}`, prefix, pollInterval }),
 *       cleanup: () => dropPrefix(prefix),
 *     };
 *   },
 *   hearsChanges: () => sleep(1_000),
 * });
 * ```
 * @public
 */
export function outageSuite<TPlace extends OutagePlace>(fixture: OutageFixture<TPlace>): void {
  const { server } = fixture;
  const rewake = fixture.rewake ?? 5 * SECOND;

  describe(`${fixture.name}: outages of ${server}`, () => {
    const stores: TaskStore[] = [];
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      vi.restoreAllMocks();
      for (const store of stores.splice(0).reverse()) await store.shutdown();
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    const proxy = async (): Promise<TcpProxy> => {
      const opened = await fixture.proxy();
      cleanups.push(() => opened.close());
      return opened;
    };
    const place = (): TPlace => {
      const opened = fixture.place();
      cleanups.push(() => opened.cleanup());
      return opened;
    };
    /** A store that the suite shuts down after the test. */
    const kept = (store: TaskStore): TaskStore => (stores.push(store), store);
    const started = async (opened: TPlace, instanceId: string, wake?: () => void): Promise<TaskStore> => {
      const store = kept(opened.open({ pollInterval: NO_POLL }));
      await store.start(context(instanceId, wake));
      return store;
    };

    it(`fails calls fast while ${server} is unreachable and recovers when it answers again, ${fixture.changeFeed} included`, async () => {
      const cut = await proxy();
      const opened = place();
      const through = kept(opened.openThrough(cut, { pollInterval: NO_POLL }));
      const wake = vi.fn();
      await through.start(context('through', wake));
      const writer = await started(opened, 'writer');
      await writer.addTask(row('a', Date.now() + 60 * SECOND));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });

      await cut.stop();
      const startedAt = Date.now();
      await expect(through.lookupTask('a')).rejects.toThrow();
      // one reconnection attempt (or one server selection) at most, not the whole outage
      expect(Date.now() - startedAt).toBeLessThan(5 * SECOND);
      await cut.resume();
      await vi.waitFor(async () => expect(await through.lookupTask('a')).not.toBeNull(), { timeout: 15 * SECOND, interval: 100 });
      await fixture.hearsChanges(through, 2);
      wake.mockClear();
      await writer.updateTask(row('a', Date.now() + 1 * SECOND, 2));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: rewake, interval: 20 });
    });

    it(`starts while ${server} is unreachable, and ${fixture.catchUp} once it answers`, async () => {
      const cut = await proxy();
      await cut.stop();
      const opened = place();
      const through = kept(opened.openThrough(cut, { pollInterval: NO_POLL }));
      const wake = vi.fn();
      const warn = vi.fn();
      await through.start(context('through', wake, { ...silent, warn }));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`cannot reach ${server} yet`));
      await expect(through.getNextRunTime()).rejects.toThrow();
      await cut.resume();
      await fixture.caughtUp?.(opened);
      await vi.waitFor(async () => expect(await through.getNextRunTime()).toBeNull(), { timeout: 15 * SECOND, interval: 100 });
      await fixture.hearsChanges(through, 1);
      // and it hears: a change by another instance wakes it
      const writer = await started(opened, 'writer');
      wake.mockClear();
      await writer.addTask(row('a', Date.now() + 60 * SECOND));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      expect(await through.getNextRunTime()).not.toBeNull();
    });

    it('keeps a scheduler firing across an outage, which it logs once', async () => {
      const cut = await proxy();
      const opened = place();
      const errors: string[] = [];
      const scheduler = new Scheduler({
        timezone: 'UTC',
        instanceId: 'survivor',
        storeRetryInterval: 200,
        leaseDuration: 2 * SECOND,
        logger: { ...silent, error: (message: string) => void errors.push(message) },
        stores: { default: opened.openThrough(cut, { pollInterval: 200 }) },
      });
      cleanups.push(() => scheduler.shutdown({ wait: false }));
      const fires: number[] = [];
      scheduler.define('tick', () => void fires.push(Date.now()));
      await scheduler.start();
      await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', milliseconds: 200 }, coalesce: true });
      await vi.waitFor(() => expect(fires.length).toBeGreaterThanOrEqual(2), { timeout: 10 * SECOND, interval: 20 });
      await cut.stop();
      await sleep(fixture.outage ?? 1_500);
      const resumedAt = Date.now();
      await cut.resume();
      await vi.waitFor(() => expect(fires.filter((time) => time > resumedAt).length).toBeGreaterThanOrEqual(2), { timeout: fixture.recovery ?? 15 * SECOND, interval: 50 });
      expect(errors.filter((message) => message.includes('retrying'))).toHaveLength(1);
    });
  });
}
