import { randomUUID } from 'node:crypto';
import type { Logger, StoredRun } from '@horae/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withRedis } from './fixtures/redis-url.js';
import { redisStoreKeys } from './keys.js';
import { RedisStore } from './redis-store.js';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const quiet = () => undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

withRedis('RedisStore run history', (url) => {
  const admin = new Redis(url, { maxRetriesPerRequest: 3 });
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await admin.quit();
  });

  /** A fresh prefix whose keys are deleted after the test, and its history key per task. */
  const freshPrefix = () => {
    const prefix = `horae-test-${randomUUID()}`;
    cleanups.push(async () => {
      const keys = await admin.keys(`{${prefix}}:*`);
      if (keys.length > 0) await admin.del(...keys);
    });
    return { prefix, history: redisStoreKeys(prefix).history };
  };

  /** A store on `prefix`, as one replica (one process) would have it. */
  const open = (prefix: string): RedisStore => {
    const store = new RedisStore({ url, prefix, pollInterval: HOUR, indexCheckInterval: HOUR });
    cleanups.push(() => store.shutdown());
    return store;
  };

  let seq = 0;
  const run = (taskId: string, endedAt: number): StoredRun => ({ taskId, runId: `r${++seq}`, endedAt, payload: `{"n":${seq}}` });

  /**
   * The commands scripts ran on the history keys of `prefix` while `act` ran, counted by name (and
   * `NX`), from MONITOR: other clients of a shared Redis do not count.
   */
  const historyCommands = async (prefix: string, act: () => Promise<void>): Promise<Record<string, number>> => {
    const monitor = await admin.monitor();
    const counts: Record<string, number> = {};
    const marker = `done-${randomUUID()}`;
    const done = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) resolve();
        if (source !== 'lua' || args[1]?.startsWith(`{${prefix}}:history:`) !== true) return;
        const name = [args[0]!.toLowerCase(), ...args.slice(2).filter((arg) => arg.toUpperCase() === 'NX')].join(' ');
        counts[name] = (counts[name] ?? 0) + 1;
      });
    });
    try {
      await act();
      await admin.echo(marker);
      await done;
    } finally {
      monitor.disconnect();
    }
    return counts;
  };

  describe('RedisStore run history', () => {
    it('gives the set of a task written once (a one-shot task) its expiry and no trim: two commands a run', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const now = Date.now();
      const runs = Array.from({ length: 20 }, (_, i) => run(`once-${i}`, now + i));
      expect(await historyCommands(prefix, () => store.addRuns(runs, { perTask: 5, maxAge: HOUR, now }))).toEqual({ zadd: 20, 'pexpire NX': 20 });
      for (let i = 0; i < 20; i++) {
        expect(await admin.zcard(history(`once-${i}`))).toBe(1);
        // maxAge, plus at most a tenth of it
        expect(await admin.pttl(history(`once-${i}`))).toSatisfy((ttl: number) => ttl > HOUR - 10 * SECOND && ttl <= 1.1 * HOUR);
      }
      // A new set given more than perTask runs at once keeps the newest.
      await store.addRuns([run('burst', now + 3), run('burst', now + 1), run('burst', now + 2)], { perTask: 2, maxAge: HOUR, now });
      expect((await store.getRuns('burst', { limit: 10 })).map((found) => found.endedAt)).toEqual([now + 3, now + 2]);
    });

    it("trims a busy task's set at every write, and leaves its expiry until it no longer lasts maxAge: two commands a run", async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const retention = { perTask: 5, maxAge: HOUR, now: Date.now() };
      for (let i = 0; i < 6; i++) await store.addRuns([run('busy', retention.now + i)], retention);
      const counts = await historyCommands(prefix, async () => {
        for (let i = 6; i < 12; i++) await store.addRuns([run('busy', retention.now + i)], retention);
      });
      expect(counts).toEqual({ zadd: 6, zremrangebyrank: 6 });
      expect(await admin.zcard(history('busy'))).toBe(5);
      expect((await store.getRuns('busy', { limit: 10 })).map((found) => found.endedAt)).toEqual([11, 10, 9, 8, 7].map((i) => retention.now + i));
      expect(await admin.pttl(history('busy'))).toBeGreaterThan(HOUR - 10 * SECOND);
    });

    it('keeps exactly the perTask newest runs with several replicas writing, restarting, and sending runs late', async () => {
      const { prefix, history } = freshPrefix();
      const retention = { perTask: 7, maxAge: HOUR, now: Date.now() };
      let replicas = [open(prefix), open(prefix), open(prefix)];
      const written: number[] = [];
      let end = retention.now;
      for (let round = 0; round < 60; round++) {
        if (round % 15 === 14) replicas = [open(prefix), ...replicas.slice(1)]; // a restart: a store that knows nothing
        const batch: StoredRun[] = [];
        for (let i = 0; i < 1 + (round % 4); i++) {
          // now and then a run that ended before the newest ones (a batch that came late)
          const endedAt = round % 5 === 3 ? end - 20 - i : (end += 3);
          batch.push(run('shared', endedAt));
          written.push(endedAt);
        }
        await replicas[round % replicas.length]!.addRuns(batch, retention);
        expect(await admin.zcard(history('shared'))).toBeLessThanOrEqual(retention.perTask);
      }
      const newest = written.sort((a, b) => b - a).slice(0, retention.perTask);
      expect((await replicas[0]!.getRuns('shared', { limit: 100 })).map((found) => found.endedAt)).toEqual(newest);
      expect(await admin.pttl(history('shared'))).toBeGreaterThan(HOUR - 10 * SECOND);
    });

    it('gives a set its expiry again when it was deleted while this store took it to last', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const retention = { perTask: 3, maxAge: HOUR, now: Date.now() };
      await store.addRuns([run('a', retention.now)], retention);
      await admin.del(history('a'));
      await store.addRuns([run('a', retention.now + 1)], retention);
      expect(await admin.pttl(history('a'))).toBeGreaterThan(HOUR - 10 * SECOND);
      // Also when the runs written at once are more than perTask (the trim then removes some).
      await admin.del(history('a'));
      await store.addRuns([1, 2, 3, 4, 5].map((i) => run('a', retention.now + i)), retention);
      expect(await admin.zcard(history('a'))).toBe(3);
      expect(await admin.pttl(history('a'))).toBeGreaterThan(HOUR - 10 * SECOND);
    });

    it('keeps a set written without pause alive for maxAge after every write, beyond its first expiry', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const maxAge = 1_000;
      const started = Date.now();
      let i = 0;
      while (Date.now() - started < 2.5 * maxAge) {
        await store.addRuns([run('busy', Date.now())], { perTask: 2, maxAge, now: Date.now() });
        const [count, ttl] = await Promise.all([admin.zcard(history('busy')), admin.pttl(history('busy'))]);
        // Never lost on the way (the set full all along), never lasting less than maxAge (less what this takes).
        expect(count).toBe(Math.min(++i, 2));
        expect(ttl).toBeGreaterThan(maxAge - 100);
        await sleep(20);
      }
      expect(i).toBeGreaterThan(20);
    });

    it('reports a key of another type also where this store wrote a set before, leaving it as it is', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const retention = { perTask: 3, maxAge: HOUR, now: Date.now() };
      await store.addRuns([run('a', retention.now)], retention);
      await admin.del(history('a'));
      await admin.set(history('a'), 'x');
      await expect(store.addRuns([run('b', retention.now), run('a', retention.now + 1)], retention)).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringContaining(`"${history('a')}"`),
      });
      expect(await admin.get(history('a'))).toBe('x');
    });

    it('leaves a run it cannot read out of the history, and says so', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const warnings: string[] = [];
      const logger: Logger = { debug: quiet, info: quiet, warn: (message: string) => void warnings.push(message), error: quiet };
      await store.start({ alias: 'default', instanceId: 'reader', logger, wake: quiet, quarantined: quiet });
      const now = Date.now();
      await store.addRuns([run('a', now - 2), run('a', now)], { perTask: 5, maxAge: HOUR, now });
      await admin.zadd(history('a'), now - 1, 'no length here');
      expect((await store.getRuns('a', { limit: 10 })).map((found) => found.endedAt)).toEqual([now, now - 2]);
      expect(warnings).toEqual([expect.stringContaining(`a run in ${history('a')} cannot be read and is left out of the history: no length here`)]);
    });
  });
});
