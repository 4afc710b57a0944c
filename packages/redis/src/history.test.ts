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
    it('keeps the run of a task written once (a one-shot task) in the shared hash: no set and no command per task', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const now = Date.now();
      const runs = Array.from({ length: 20 }, (_, i) => run(`once-${i}`, now + i));
      // One EXISTS for the whole batch (whether any of these tasks has a set after all), nothing per task.
      expect(await historyCommands(prefix, () => store.addRuns(runs, { perTask: 5, maxAge: HOUR, now }))).toEqual({ exists: 1 });
      expect(await admin.exists(...runs.map((written) => history(written.taskId)))).toBe(0);
      for (const written of runs) expect(await store.getRuns(written.taskId, { limit: 5 })).toEqual([written]);
      const [current, other] = store.keys.loneRuns;
      expect(await admin.hlen(current)).toBe(20);
      expect(await admin.exists(other)).toBe(0);
      // until the other hash takes over (after maxAge + maxAge / 10), and as long again
      expect(await admin.pttl(current)).toSatisfy((ttl: number) => ttl > 2 * HOUR && ttl <= 2.2 * HOUR);
      // A second run moves the first to the task's set, which a third joins.
      await store.addRuns([run('once-3', now + 100)], { perTask: 5, maxAge: HOUR, now });
      await store.addRuns([run('once-3', now + 200)], { perTask: 5, maxAge: HOUR, now });
      expect((await store.getRuns('once-3', { limit: 5 })).map((found) => found.endedAt)).toEqual([now + 200, now + 100, now + 3]);
      expect(await admin.zcard(history('once-3'))).toBe(3);
      expect(await admin.hget(current, 'once-3')).toBe('');
      // A new task given more than perTask runs at once gets a set of the newest.
      await store.addRuns([run('burst', now + 3), run('burst', now + 1), run('burst', now + 2)], { perTask: 2, maxAge: HOUR, now });
      expect((await store.getRuns('burst', { limit: 10 })).map((found) => found.endedAt)).toEqual([now + 3, now + 2]);
      expect(await admin.pttl(history('burst'))).toSatisfy((ttl: number) => ttl > HOUR - 10 * SECOND && ttl <= 1.1 * HOUR);
    });

    it('keeps a lone run at least maxAge and at most about twice, the two hashes taking turns', async () => {
      const { prefix } = freshPrefix();
      const store = open(prefix);
      const maxAge = 1_000;
      const started = Date.now();
      await store.addRuns([run('once', started), run('twice', started)], { perTask: 5, maxAge, now: started });
      let seen = 0;
      for (let i = 0; Date.now() - started < 2.6 * maxAge; i++) {
        // other one-shot tasks keep the history written
        await store.addRuns([run(`other-${i}`, Date.now())], { perTask: 5, maxAge, now: Date.now() });
        const found = await store.getRuns('once', { limit: 5 });
        if (found.length > 0) seen = Date.now() - started;
        // a task whose second run comes after the hashes turned: its first moves from the other hash
        if (i === 0) await sleep(1.2 * maxAge);
        if (i === 1) {
          await store.addRuns([run('twice', Date.now())], { perTask: 5, maxAge, now: Date.now() });
          expect(await store.getRuns('twice', { limit: 5 })).toHaveLength(2);
          for (const key of store.keys.loneRuns) expect(await admin.hget(key, 'twice')).toBe(key === store.keys.loneRuns[1] ? '' : null);
        }
        await sleep(50);
      }
      expect(seen).toBeGreaterThanOrEqual(maxAge);
      expect(seen).toBeLessThan(2.4 * maxAge);
      expect(await store.getRuns('once', { limit: 5 })).toEqual([]);
      for (const key of store.keys.loneRuns) expect(await admin.hexists(key, 'once')).toBe(0);
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
      // lone, then a new set, then a set that was there: the store takes its expiry to last
      for (let i = 0; i < 3; i++) await store.addRuns([run('a', retention.now + i)], retention);
      await admin.del(history('a'));
      await store.addRuns([run('a', retention.now + 10)], retention);
      expect(await admin.zcard(history('a'))).toBe(1);
      expect(await admin.pttl(history('a'))).toBeGreaterThan(HOUR - 10 * SECOND);
      // Also when the runs written at once are more than perTask (the trim then removes some).
      await admin.del(history('a'));
      await store.addRuns([11, 12, 13, 14, 15].map((i) => run('a', retention.now + i)), retention);
      expect(await admin.zcard(history('a'))).toBe(3);
      expect(await admin.pttl(history('a'))).toBeGreaterThan(HOUR - 10 * SECOND);
    });

    it('adds to the set of a task that has one though neither hash says so (an earlier version wrote it)', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const now = Date.now();
      await admin.zadd(history('old'), now - 2, `2:o1{"n":0}`, now - 1, `2:o2{"n":0}`);
      await admin.pexpire(history('old'), HOUR);
      await store.addRuns([run('old', now), run('new', now)], { perTask: 2, maxAge: HOUR, now });
      expect((await store.getRuns('old', { limit: 5 })).map((found) => found.endedAt)).toEqual([now, now - 1]);
      expect(await admin.zcard(history('old'))).toBe(2);
      expect(await admin.exists(history('new'))).toBe(0);
      expect(await admin.hget(store.keys.loneRuns[0], 'old')).toBe('');
    });

    it('keeps a set written without pause alive for maxAge after every write, beyond its first expiry', async () => {
      const { prefix, history } = freshPrefix();
      const store = open(prefix);
      const maxAge = 1_000;
      const started = Date.now();
      let i = 0;
      while (Date.now() - started < 2.5 * maxAge) {
        await store.addRuns([run('busy', Date.now())], { perTask: 2, maxAge, now: Date.now() });
        // Never lost on the way (the set full all along), never lasting less than maxAge (less what this takes).
        expect(await store.getRuns('busy', { limit: 5 })).toHaveLength(Math.min(++i, 2));
        if (i >= 2) expect(await admin.pttl(history('busy'))).toBeGreaterThan(maxAge - 100);
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
      await admin.hset(store.keys.loneRuns[1], 'b', 'no end here');
      expect(await store.getRuns('b', { limit: 10 })).toEqual([]);
      expect(warnings[1]).toContain('a run in ');
      expect(warnings[1]).toContain('(task "b") cannot be read and is left out of the history: no end here');
    });
  });
});
