import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isHoraeError, type StoreContext, type StoredTask } from '@horae/core';
import { outageSuite, releaseOne, storeConformance, TcpProxy, type StoreBackend } from '@horae/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RedisStore, type RedisStoreOptions } from './index.js';
import { redisStoreKeys } from './keys.js';
import { DISPATCH } from './scripts/index.js';

const url = process.env.REDIS_URL;
const SECOND = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

if (url === undefined || url === '') {
  const how = 'run `scripts/services.sh up && source .services/env` at the repository root (it installs and starts a local redis-server), then run the tests again';
  if (process.env.CI === 'true') {
    describe('RedisStore', () => {
      it('runs against a real Redis', () => {
        throw new Error(`REDIS_URL is not set: CI must run these tests against a real Redis; ${how}.`);
      });
    });
  } else {
    console.warn(`\n*** @horae/redis: REDIS_URL is not set, so the RedisStore tests are SKIPPED. To run them, ${how}. ***\n`);
    describe.skip('RedisStore (skipped: REDIS_URL is not set)', () => {
      it('runs against a real Redis', quiet);
    });
  }
} else {
  redisSuites(url);
}

function redisSuites(url: string): void {
  /** A plain connection for looking at keys and for admin commands the stores never send. */
  const admin = new Redis(url, { maxRetriesPerRequest: 3 });
  const prefixes = new WeakMap<object, string>();

  afterAll(async () => {
    await admin.quit();
  });

  /** Deletes every key of a store's prefix. */
  const removeKeys = async (prefix: string): Promise<void> => {
    const keys = await admin.keys(`{${prefix}}:*`);
    if (keys.length > 0) await admin.del(...keys);
  };

  const freshPrefix = () => `horae-test-${randomUUID()}`;

  /** Redis's clock, epoch ms. */
  const redisNow = async (): Promise<number> => {
    const [seconds, micros] = await admin.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  const backend = (options: Omit<RedisStoreOptions, 'prefix' | 'client'> = {}) => {
    const prefix = freshPrefix();
    const keys = redisStoreKeys(prefix);
    const stores: RedisStore[] = [];
    const result: StoreBackend & { prefix: string } = {
      prefix,
      open: () => {
        const store = new RedisStore({ url, prefix, pollInterval: 200, ...options });
        stores.push(store);
        return store;
      },
      // A row no reader can parse, written around the store as a foreign tool could, and due.
      writeCorruptRecord: async (id: string) => {
        await admin.hset(keys.tasks, id, '\u0000{not json');
        await admin.zadd(keys.due, 0, id);
      },
      cleanup: async () => {
        for (const store of stores.splice(0)) await store.shutdown();
        await removeKeys(prefix);
      },
    };
    prefixes.set(result, prefix);
    return result;
  };

  storeConformance({
    name: 'RedisStore',
    persistent: true,
    backend: () => Promise.resolve(backend()),
    serverClock: redisNow,
    processes: {
      storeModule: fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url)),
      config: (opened) => ({ url, prefix: prefixes.get(opened) }),
      tasks: 50,
      runFor: 30_000,
    },
  });

  outageSuite({
    name: 'RedisStore',
    server: 'Redis',
    changeFeed: 'subscription',
    catchUp: 'subscribes',
    proxy: () => proxyTo(url),
    place: () => {
      const prefix = freshPrefix();
      return {
        open: ({ pollInterval }) => new RedisStore({ url, prefix, pollInterval }),
        openThrough: (proxy, { pollInterval }) => new RedisStore({ url: proxyUrl(proxy), prefix, pollInterval }),
        cleanup: () => removeKeys(prefix),
      };
    },
    // Subscribed again: Redis counts the store's subscriber among the channel's.
    hearsChanges: async (store, listeners) => {
      const { channel } = (store as RedisStore).keys;
      await vi.waitFor(async () => expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, listeners]), { timeout: 15 * SECOND, interval: 100 });
    },
  });

  describe('RedisStore on a real Redis', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      vi.restoreAllMocks();
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A fresh backend, cleaned up after the test. */
    const place = (options: Omit<RedisStoreOptions, 'prefix' | 'client'> = {}) => {
      const opened = backend(options);
      cleanups.push(() => opened.cleanup());
      return opened;
    };

    const context = (instanceId: string, wake: () => void = quiet, quarantined: StoreContext['quarantined'] = quiet): StoreContext => ({
      alias: 'default',
      instanceId,
      logger: silent,
      wake,
      quarantined,
    });

    const started = async (opened: ReturnType<typeof place>, instanceId: string, wake?: () => void, quarantined?: StoreContext['quarantined']) => {
      const store = opened.open() as RedisStore;
      await store.start(context(instanceId, wake, quarantined));
      return store;
    };

    const row = (id: string, nextRunTime: number | null, revision = 1, payload = JSON.stringify({ id })): StoredTask => ({ id, nextRunTime, revision, payload });

    it('keeps every key under one hash tag, so that one Redis Cluster slot holds the whole store', async () => {
      const opened = place();
      const store = await started(opened, 'layout');
      await store.addTask(row('a', Date.now() - 10));
      await store.addTask(row('b', null));
      await store.addTask(row('paused', null));
      await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'layout', duration: 60 * SECOND });
      await store.acquireRunLease({ taskId: 'a', runId: 'run-1', owner: 'layout', scheduledAt: 1 }, 1, 60 * SECOND);
      await store.quarantineTask('b', 'to see its key');
      await store.addTask(row('c', Date.now() - 10));
      await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'layout', duration: 60 * SECOND });
      await releaseOne(store, { id: 'c', owner: 'layout', claimedRevision: 1, nextRunTime: Date.now() + 60 * SECOND, removeWhenFinished: true });
      const keys = (await admin.keys(`*${opened.prefix}*`)).sort();
      const tag = `{${opened.prefix}}`;
      const outcomes = keys.filter((key) => key.startsWith(`${tag}:dispatched:`));
      expect(outcomes).toHaveLength(1);
      expect(keys).toEqual([
        `${tag}:claims`,
        outcomes[0],
        `${tag}:due`,
        `${tag}:paused`,
        `${tag}:quarantine`,
        `${tag}:run-expiry`,
        `${tag}:runs`,
        `${tag}:seq`,
        `${tag}:task-runs`,
        `${tag}:tasks`,
      ]);
      expect(await admin.pttl(outcomes[0]!)).toBeGreaterThan(60 * SECOND);
      // Cluster hashes only what is between the first { and }: the same for every key.
      for (const key of keys) expect(/^\{([^}]*)\}/.exec(key)?.[1]).toBe(opened.prefix);
      expect(store.keys.channel).toBe(`${tag}:changes`);
      expect(() => new RedisStore({ url, prefix: 'a{b}' })).toThrow(/hash tag/);
    });

    it('keeps payloads verbatim through add, claim, release, quarantine and restore', async () => {
      const opened = place();
      const store = await started(opened, 'verbatim');
      const payload = 'horae:aes-256-gcm:1:AbC/+==\n{"path":"a/b\\\\c","quote":"\\"","line":"\u2028","emoji":"😀","nul":"\u0000"}';
      const due = (await redisNow()) - 100.5;
      await store.addTask(row('odd', due, 7, payload));
      expect(await store.lookupTask('odd')).toEqual(row('odd', due, 7, payload));
      const [claimed] = await store.claimDueTasks({ now: Date.now(), limit: 1, owner: 'me', duration: 60 * SECOND });
      expect(claimed).toEqual(row('odd', due, 7, payload));
      // the release rewrites the row inside Redis
      expect(await releaseOne(store, { id: 'odd', owner: 'me', claimedRevision: 7, nextRunTime: 1_767_225_600_123.25, removeWhenFinished: true })).toBe(true);
      expect(await store.lookupTask('odd')).toEqual(row('odd', 1_767_225_600_123.25, 8, payload));
      await store.quarantineTask('odd', 'checking');
      expect((await store.getQuarantinedTasks())[0]).toMatchObject({ id: 'odd', payload, nextRunTime: 1_767_225_600_123.25, revision: 8 });
      await store.restoreQuarantinedTask('odd');
      expect(await store.lookupTask('odd')).toEqual(row('odd', 1_767_225_600_123.25, 8, payload));
      expect(await store.getNextRunTime()).toBe(1_767_225_600_123.25);
    });

    it('claims and dispatches rows whose payloads look like the row itself, sealed or not, and rows of an older form, keeping payloads verbatim', async () => {
      const opened = place();
      const store = await started(opened, 'fields');
      const tricky = ['","seal":"x"}', 'ends in a backslash \\', '{"nextRunTime":1,"revision":2,"seq":3,"payload":"', '"}', ''];
      const due = (await redisNow()) - 1_000;
      const tasks: StoredTask[] = tricky.flatMap((payload, index) => [
        { id: `plain-${index}`, nextRunTime: due, revision: 3, payload },
        { id: `sealed-${index}`, nextRunTime: due, revision: 3, payload, seal: `seal-${index}","seal":"` },
      ]);
      for (const task of tasks) await store.addTask(task);
      // A row as an older version wrote it (no seq, other key order).
      await admin.hset(store.keys.tasks, 'older', JSON.stringify({ payload: '{"a":"/"}', revision: 5, nextRunTime: due }));
      await admin.zadd(store.keys.due, due, 'older');
      const claimed = await store.claimDueTasks({ now: Date.now(), limit: 100, owner: 'me', duration: 60 * SECOND });
      expect(claimed.map((task) => task.id).sort()).toEqual([...tasks.map((task) => task.id), 'older'].sort());
      for (const task of tasks) expect(claimed.find((found) => found.id === task.id)).toEqual(task);
      const later = (await redisNow()) + 60 * SECOND;
      const outcomes = await store.dispatchTasks(
        claimed.map((task, index) => ({ id: task.id, owner: 'me', claimedRevision: task.revision, nextRunTime: index % 3 === 0 ? null : later, removeWhenFinished: false, ...(index % 2 === 0 ? { seal: `new-${index}` } : {}) })),
      );
      expect(outcomes.every((outcome) => outcome.released)).toBe(true);
      for (const [index, task] of claimed.entries()) {
        const { seal: _old, ...unsealed } = task;
        expect(await store.lookupTask(task.id)).toEqual({ ...unsealed, revision: task.revision + 1, nextRunTime: index % 3 === 0 ? null : later, ...(index % 2 === 0 ? { seal: `new-${index}` } : {}) });
      }
      expect(await store.getQuarantinedTasks()).toEqual([]);
    });

    it('claims up to the limit past unreadable rows, quarantining and reporting them', async () => {
      const opened = place();
      const quarantined = vi.fn();
      const store = await started(opened, 'reader', quiet, quarantined);
      const now = await redisNow();
      for (let i = 0; i < 6; i++) await store.addTask(row(`t${i}`, now - 100 + i * 10));
      await admin.hset(store.keys.tasks, 't1', '{"nextRunTime":1,"revision":"one","payload":"x"}');
      await admin.hset(store.keys.tasks, 't3', 'garbage');
      const claimed = await store.claimDueTasks({ now, limit: 3, owner: 'reader', duration: 60 * SECOND });
      expect(claimed.map((task) => task.id)).toEqual(['t0', 't2', 't4']);
      expect(quarantined.mock.calls).toEqual([
        ['t1', 'its record in Redis cannot be read: its revision is not a number'],
        ['t3', expect.stringMatching(/^its record in Redis cannot be read: it is not JSON/)],
      ]);
      const held = await store.getQuarantinedTasks();
      expect(held.map((task) => [task.id, task.payload])).toEqual([
        ['t1', '{"nextRunTime":1,"revision":"one","payload":"x"}'],
        ['t3', 'garbage'],
      ]);
      // still unreadable when restored: it stays, with the news
      await store.restoreQuarantinedTask('t3');
      expect((await store.getQuarantinedTasks()).find((task) => task.id === 't3')?.reason).toMatch(/cannot be read: it is not JSON .*\(tried again when restored\)$/);
      expect(await store.lookupTask('t3')).toBeNull();
      // a plain read finds an unreadable row too
      await admin.hset(store.keys.tasks, 'hand-made', '[]');
      expect(await store.lookupTask('hand-made')).toBeNull();
      expect(quarantined).toHaveBeenLastCalledWith('hand-made', 'its record in Redis cannot be read: it is not a JSON object');
    });

    it('refuses to restore a missing quarantined task or over a live one, with typed errors', async () => {
      const store = await started(place(), 'restorer');
      await expect(store.restoreQuarantinedTask('nothing')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
      await store.addTask(row('twice', 10));
      await store.quarantineTask('twice', 'first copy');
      await store.addTask(row('twice', 20));
      await expect(store.restoreQuarantinedTask('twice')).rejects.toSatisfy(
        (error) => isHoraeError(error, 'CONFLICTING_ID') && error.message === 'A task with id "twice" already exists in store "default". Pass replaceExisting: true to replace it, or choose another id.',
      );
      expect((await store.getQuarantinedTasks()).map((task) => task.id)).toEqual(['twice']);
      await expect(store.quarantineTask('absent', 'x')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
    });

    it('lists tasks with equal run times in the order they were added, updates keeping their place', async () => {
      const store = await started(place(), 'lister');
      for (const id of ['m', 'z', 'a', 'k']) await store.addTask(row(id, 100));
      await store.updateTask(row('z', 100, 2));
      await store.addTask(row('first', 50));
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['first', 'm', 'z', 'a', 'k']);
    });

    it('counts run leases per task, also for task ids that start alike', async () => {
      const store = await started(place(), 'runner');
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r1', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r2', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r3', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      // a run id of another task is not released through this one
      await store.releaseRunLease('a', 'r1');
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r4', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      // renewing is for the owner only
      await store.renewRunLeases('someone-else', ['r2'], 1);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r5', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
    });

    it('claims, dispatches and releases a batch as task-by-task calls would, a task twice in one batch included', async () => {
      const store = await started(place(), 'batcher');
      const past = (await redisNow()) - 1_000;
      for (const id of ['a', 'b', 'c', 'd', 'e']) await store.addTask(row(id, past));
      const claimed = await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'batcher', duration: 60 * SECOND });
      expect(claimed.map((task) => task.id).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
      // Claimed: no longer due, for this instance or another.
      expect(await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'other', duration: 60 * SECOND })).toEqual([]);
      const run = (id: string, runId: string, maxInstances = 1) => ({ lease: { taskId: id, runId, owner: 'batcher', scheduledAt: past }, maxInstances, duration: 60 * SECOND });
      const later = (await redisNow()) + 60 * SECOND;
      const outcomes = await store.dispatchTasks([
        { id: 'a', owner: 'batcher', claimedRevision: 1, nextRunTime: later, removeWhenFinished: false, run: run('a', 'ra') },
        // The same task again: the first release ended the claim, so this one is refused.
        { id: 'a', owner: 'batcher', claimedRevision: 1, nextRunTime: later + 1, removeWhenFinished: false, run: run('a', 'ra2', 2) },
        { id: 'b', owner: 'batcher', claimedRevision: 1, nextRunTime: null, removeWhenFinished: false },
        { id: 'c', owner: 'batcher', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true, run: run('c', 'rc') },
        // Not this owner's claim, and a stale revision: both refused, nothing written.
        { id: 'd', owner: 'someone-else', claimedRevision: 1, nextRunTime: later, removeWhenFinished: false, run: run('d', 'rd') },
        { id: 'e', owner: 'batcher', claimedRevision: 7, nextRunTime: later, removeWhenFinished: false, run: run('e', 're') },
      ]);
      expect(outcomes).toEqual([
        { released: true, runLeased: true },
        { released: false, runLeased: false },
        { released: true, runLeased: false },
        { released: true, runLeased: true },
        { released: false, runLeased: false },
        { released: false, runLeased: false },
      ]);
      expect(await store.lookupTask('a')).toMatchObject({ revision: 2, nextRunTime: later });
      expect(await store.lookupTask('b')).toMatchObject({ revision: 2, nextRunTime: null });
      expect(await store.lookupTask('c')).toBeNull();
      expect(await store.lookupTask('d')).toMatchObject({ revision: 1 });
      expect((await store.getRunLeases()).map((lease) => lease.runId).sort()).toEqual(['ra', 'rc']);
      expect(await admin.zcard(store.keys.due)).toBe(3);
      expect(await admin.smembers(store.keys.paused)).toEqual(['b']);
      // d and e are still claimed by the batch's claim: due again only when it expires.
      expect(await admin.hkeys(store.keys.claims)).toEqual(expect.arrayContaining(['d', 'e']));
      expect(await admin.hlen(store.keys.claims)).toBe(2);
      // Released in one call, one of them named with another task's id: that one stays.
      await store.releaseRunLeases([
        { taskId: 'a', runId: 'ra' },
        { taskId: 'b', runId: 'rc' },
      ]);
      expect((await store.getRunLeases()).map((lease) => lease.runId)).toEqual(['rc']);
    });

    it('wakes other instances by pub/sub without waiting for the poll, and not itself', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      const wake = vi.fn();
      const watcher = await started(opened, 'watcher', wake);
      const writer = await started(opened, 'writer');
      // Its own change is no news to it (a message arrives within milliseconds on one host).
      await watcher.addTask(row('own', Date.now() + 60 * SECOND));
      await sleep(500);
      expect(wake).not.toHaveBeenCalled();
      for (const write of [
        () => writer.addTask(row('marker', Date.now() + 60 * SECOND)),
        () => writer.updateTask(row('own', Date.now() + 1 * SECOND, 2)),
        () => writer.deleteTask('marker'),
        () => writer.removeAllTasks(),
      ]) {
        wake.mockClear();
        await write();
        await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      }
    });

    it('polls at pollInterval, so that a missed message delays nothing for long', async () => {
      const wake = vi.fn();
      await started(place({ pollInterval: 50 }), 'poller', wake);
      await vi.waitFor(() => expect(wake.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 5 * SECOND, interval: 20 });
    });

    it('runs its scripts again after Redis forgot them (SCRIPT FLUSH, as after a restart)', async () => {
      const store = await started(place(), 'flushed');
      await store.addTask(row('a', Date.now() - 10));
      await admin.script('FLUSH');
      expect((await store.claimDueTasks({ now: Date.now(), limit: 1, owner: 'flushed', duration: 60 * SECOND })).map((task) => task.id)).toEqual(['a']);
      expect(await releaseOne(store, { id: 'a', owner: 'flushed', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true })).toBe(true);
    });

    it('survives every connection being dropped: calls succeed after reconnecting and pub/sub resumes', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      const wake = vi.fn();
      const watcher = await started(opened, 'watcher', wake);
      const writer = await started(opened, 'writer');
      await writer.addTask(row('before', Date.now() + 60 * SECOND));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      // What a Redis restart does to clients (the admin connection is spared: SKIPME).
      wake.mockClear();
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Reconnected, the subscriber wakes its scheduler: changes may have passed unheard.
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 15 * SECOND, interval: 20 });
      await vi.waitFor(async () => expect(await watcher.lookupTask('before')).not.toBeNull(), { timeout: 15 * SECOND, interval: 100 });
      await vi.waitFor(async () => expect(await admin.pubsub('NUMSUB', watcher.keys.channel)).toEqual([watcher.keys.channel, 2]), { timeout: 15 * SECOND, interval: 100 });
      wake.mockClear();
      await vi.waitFor(() => writer.addTask(row('after', Date.now() + 60 * SECOND)), { timeout: 15 * SECOND, interval: 100 });
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      expect((await watcher.getAllTasks()).map((task) => task.id)).toEqual(['before', 'after']);
    });

    // A reply lost with its connection: the store's own connection fails the call; a client of
    // the application's, with ioredis's defaults, sends it again after reconnecting, and the
    // release must then answer as the first time (sent again and refused, the scheduler would
    // skip a fire whose schedule already moved on).
    for (const [kind, expected] of [
      ['its own connection', 'an error'],
      ['a given client that resends unanswered commands', 'resolved true'],
    ] as const) {
      it(`answers a release whose reply was lost with the connection truthfully (${kind}: ${expected})`, async () => {
        const proxy = await proxyTo(url);
        cleanups.push(() => proxy.close());
        const opened = place();
        let through: RedisStore;
        if (expected === 'an error') {
          through = new RedisStore({ url: proxyUrl(proxy), prefix: opened.prefix });
        } else {
          const client = new Redis(proxyUrl(proxy));
          cleanups.push(async () => void client.disconnect());
          through = new RedisStore({ client, prefix: opened.prefix });
        }
        cleanups.push(() => through.shutdown());
        await through.start(context('through'));
        await through.addTask(row('a', (await redisNow()) - 10));
        expect(await through.claimDueTasks({ now: Date.now(), limit: 1, owner: 'through', duration: 60 * SECOND })).toHaveLength(1);
        // Redis knows the release script now: a muted EVALSHA would otherwise get a NOSCRIPT
        // nobody hears, and the script would not run at all.
        await admin.script('LOAD', DISPATCH.lua);
        proxy.mute();
        const release = releaseOne(through, { id: 'a', owner: 'through', claimedRevision: 1, nextRunTime: Date.now() + 60 * SECOND, removeWhenFinished: true });
        const outcome = release.then((applied) => `resolved ${applied}`, () => 'an error');
        // The release ran on the server; only its reply is lost.
        await vi.waitFor(async () => expect(await admin.hget(through.keys.claims, 'a')).toBeNull(), { timeout: 5 * SECOND, interval: 20 });
        await proxy.stop();
        await proxy.resume();
        expect(await outcome).toBe(expected);
        await vi.waitFor(async () => expect(await through.lookupTask('a')).toMatchObject({ revision: 2 }), { timeout: 15 * SECOND, interval: 100 });
      });
    }

    it('can be started again after shutdown, with a new connection of its own', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      const store = await started(opened, 'again');
      await store.addTask(row('a', 1));
      await store.shutdown();
      const wake = vi.fn();
      await store.start(context('again', wake));
      expect(await store.lookupTask('a')).not.toBeNull();
      const writer = await started(opened, 'writer');
      await writer.addTask(row('b', 2));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
    });

    it('uses a client it is given and leaves it open at shutdown', async () => {
      const opened = place();
      const client = new Redis(url);
      cleanups.push(async () => void (await client.quit()));
      const wake = vi.fn();
      const store = new RedisStore({ client, prefix: opened.prefix, pollInterval: 3_600 * SECOND });
      await store.start(context('given', wake));
      await store.addTask(row('a', 5));
      const writer = await started(opened, 'writer');
      await writer.addTask(row('b', 6));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['a', 'b']);
      await store.shutdown();
      expect(await client.ping()).toBe('PONG');
      expect(() => new RedisStore({ client, url })).toThrow(/either client/);
    });
  });
}

/** A proxy in front of the Redis at `url`. */
function proxyTo(url: string): Promise<TcpProxy> {
  const parsed = new URL(url);
  return TcpProxy.to(parsed.hostname, Number(parsed.port || 6379));
}

function proxyUrl(proxy: TcpProxy): string {
  return `redis://127.0.0.1:${proxy.port}`;
}
