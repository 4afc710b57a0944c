import { randomUUID } from 'node:crypto';
import { isHoraeError, Scheduler, type Logger, type StoreContext, type StoredTask } from '@horae/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { withRedis } from './fixtures/redis-url.js';
import { redisStoreKeys } from './keys.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { CHECK_INDEX } from './scripts/index.js';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const quiet = () => undefined;
const silent: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

describe('RedisStore options', () => {
  it('refuses an unknown option with the nearest valid one', () => {
    const misspelt = { url: 'redis://127.0.0.1:1', prefx: 'app' } as RedisStoreOptions;
    expect(() => new RedisStore(misspelt)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('unknown option "prefx" in the RedisStore options; did you mean "prefix"?') }));
    // The scheduler encrypts; a key given to the store says so, and is not shown.
    const keyed = { url: 'redis://127.0.0.1:1', encryptionKey: 'secret' } as RedisStoreOptions;
    expect(() => new RedisStore(keyed)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/^RedisStore does not take "encryptionKey".*new Scheduler\(\{ encryptionKey/) }));
    expect(() => new RedisStore({ pollintervall: 5 } as RedisStoreOptions)).toThrow(/did you mean "pollInterval"\?/);
    expect(() => new RedisStore({ url: 'redis://127.0.0.1:1', indexCheckInterval: 0 })).toThrow(/indexCheckInterval.*at least 1/);
    expect(() => new RedisStore({ url: 'redis://127.0.0.1:1', indexCheckInterval: Number.NaN })).toThrow(/indexCheckInterval/);
  });
});

withRedis('RedisStore due index', (url) => {
  const admin = new Redis(url, { maxRetriesPerRequest: 3 });
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await admin.quit();
  });

  /** A fresh prefix whose keys are deleted after the test. */
  const freshPrefix = (): string => {
    const prefix = `horae-test-${randomUUID()}`;
    cleanups.push(async () => {
      const keys = await admin.keys(`{${prefix}}:*`);
      if (keys.length > 0) await admin.del(...keys);
    });
    return prefix;
  };

  const open = (prefix: string, options: Omit<RedisStoreOptions, 'prefix' | 'client'> = {}): RedisStore => {
    const store = new RedisStore({ url, prefix, pollInterval: HOUR, indexCheckInterval: HOUR, ...options });
    cleanups.push(() => store.shutdown());
    return store;
  };

  /** A logger that keeps what it is given, by level. */
  const recording = () => {
    const lines = { debug: [] as string[], info: [] as string[], warn: [] as string[], error: [] as string[] };
    const logger: Logger = {
      debug: (message: string) => void lines.debug.push(message),
      info: (message: string) => void lines.info.push(message),
      warn: (message: string) => void lines.warn.push(message),
      error: (message: string) => void lines.error.push(message),
    };
    return { lines, logger };
  };

  const context = (logger: Logger, extra: Partial<StoreContext> = {}): StoreContext => ({
    alias: 'default',
    instanceId: `instance-${randomUUID()}`,
    logger,
    wake: quiet,
    quarantined: quiet,
    ...extra,
  });

  const redisNow = async (): Promise<number> => {
    const [seconds, micros] = await admin.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  const row = (id: string, nextRunTime: number | null): StoredTask => ({ id, nextRunTime, revision: 1, payload: JSON.stringify({ id }) });

  const scheduler = (prefix: string, logger: Logger, options: Omit<RedisStoreOptions, 'prefix' | 'client'> = {}): Scheduler => {
    const created = new Scheduler({ timezone: 'UTC', instanceId: `scheduler-${randomUUID()}`, logger, stores: { default: open(prefix, options) } });
    cleanups.push(() => created.shutdown({ wait: false }));
    return created;
  };

  it('puts the tasks of a deleted due index back at start, so that they run again; paused tasks stay out', async () => {
    const prefix = freshPrefix();
    const keys = redisStoreKeys(prefix);
    const first = scheduler(prefix, silent);
    first.define('tick', quiet);
    await first.start({ paused: true });
    await first.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', milliseconds: 100 } });
    await first.addTask({ id: 'later', handler: 'tick', trigger: { type: 'date', runAt: new Date(Date.now() + HOUR) } });
    await first.addTask({ id: 'held', handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await first.pauseTask('held');
    await first.shutdown();
    expect(await admin.zcard(keys.due)).toBe(2);

    await admin.del(keys.due); // an operator's mistake, or an eviction

    const { lines, logger } = recording();
    const second = scheduler(prefix, logger);
    const fires: number[] = [];
    second.define('tick', () => void fires.push(Date.now()));
    await second.start();
    await vi.waitFor(() => expect(fires.length).toBeGreaterThanOrEqual(2), { timeout: 10 * SECOND, interval: 20 });
    const repaired = lines.warn.filter((message) => message.startsWith('@horae/redis'));
    expect(repaired).toEqual([expect.stringMatching(new RegExp(`^@horae/redis: store "default" repaired its due index \\{${prefix}\\}:due: indexed 2 scheduled task\\(s\\) \\(("tick", "later"|"later", "tick")\\) that were missing from it`))]);
    expect(repaired[0]).toContain("keep Redis's maxmemory-policy at noeviction");
    expect(await admin.zscore(keys.due, 'later')).not.toBeNull();
    expect(await admin.zscore(keys.due, 'held')).toBeNull();
    expect(await admin.smembers(keys.paused)).toEqual(['held']);
  });

  it('repairs the due index while running, within indexCheckInterval, and the task fires on time', async () => {
    const prefix = freshPrefix();
    const keys = redisStoreKeys(prefix);
    const { lines, logger } = recording();
    const running = scheduler(prefix, logger, { indexCheckInterval: 100 });
    const fired: string[] = [];
    running.define('note', (_args: unknown, ctx) => void fired.push(ctx.taskId));
    await running.start();
    const runAt = Date.now() + 1_500;
    await running.addTask({ id: 'soon', handler: 'note', trigger: { type: 'date', runAt: new Date(runAt) } });
    await running.addTask({ id: 'held', handler: 'note', trigger: { type: 'interval', seconds: 1 } });
    await running.pauseTask('held');
    await admin.del(keys.due);
    await vi.waitFor(() => expect(fired).toEqual(['soon']), { timeout: 10 * SECOND, interval: 20 });
    expect(lines.warn.filter((message) => message.startsWith('@horae/redis'))).toEqual([expect.stringContaining(`repaired its due index {${prefix}}:due: indexed 1 scheduled task(s) ("soon")`)]);
    expect(await admin.zscore(keys.due, 'held')).toBeNull();
    expect(await admin.sismember(keys.paused, 'held')).toBe(1);
  });

  it('repairs a partial index: missing entries, claims, paused rows, entries without rows, unreadable rows', async () => {
    const prefix = freshPrefix();
    const keys = redisStoreKeys(prefix);
    const seeder = open(prefix);
    await seeder.start(context(silent));
    const now = await redisNow();
    for (const [id, offset] of [
      ['a', 60],
      ['b', 120],
      ['c', 180],
    ] as const) {
      await seeder.addTask(row(id, now + offset * SECOND));
    }
    await seeder.addTask(row('claimed', now - 10));
    await seeder.addTask(row('d', null));
    await seeder.addTask(row('e', null));
    expect((await seeder.claimDueTasks({ now, limit: 10, owner: 'someone', duration: 60 * SECOND })).map((task) => task.id)).toEqual(['claimed']);
    const before = Object.fromEntries((await admin.zrange(keys.due, 0, -1, 'WITHSCORES')).flatMap((value, index, all) => (index % 2 === 0 ? [[value, Number(all[index + 1])]] : [])));
    await seeder.shutdown();

    // Entries lost, a paused row indexed, an entry without a row, a paused row no longer recorded
    // (as a store from before the paused set left it), an unreadable row written by another tool.
    await admin.zrem(keys.due, 'a', 'c', 'claimed');
    await admin.zadd(keys.due, now, 'd');
    await admin.zadd(keys.due, now + 5 * SECOND, 'ghost');
    await admin.srem(keys.paused, 'e');
    await admin.hset(keys.tasks, 'garbage', '{not json');

    const { lines, logger } = recording();
    const wake = vi.fn();
    const quarantined = vi.fn();
    const store = open(prefix, { indexCheckInterval: 50 });
    await store.start(context(logger, { wake, quarantined }));
    await vi.waitFor(() => expect(lines.warn).toHaveLength(1), { timeout: 5 * SECOND, interval: 20 });

    const after = Object.fromEntries((await admin.zrange(keys.due, 0, -1, 'WITHSCORES')).flatMap((value, index, all) => (index % 2 === 0 ? [[value, Number(all[index + 1])]] : [])));
    // The claimed task went back at its claim's expiry: nobody claims it again before that.
    expect(after).toEqual(before);
    expect(before.claimed).toBeGreaterThan(now + 50 * SECOND);
    expect((await admin.smembers(keys.paused)).sort()).toEqual(['d', 'e']);
    expect(quarantined).toHaveBeenCalledWith('garbage', expect.stringMatching(/^its record in Redis cannot be read: it is not JSON/));
    expect(await admin.hexists(keys.tasks, 'garbage')).toBe(0);
    expect(wake).toHaveBeenCalled();

    const [warning] = lines.warn;
    expect(warning).toMatch(/indexed 3 scheduled task\(s\) \("[a-z"]+", "[a-z"]+", "[a-z"]+"\) that were missing from it/);
    for (const id of ['a', 'c', 'claimed']) expect(warning).toContain(`"${id}"`);
    expect(warning).toContain('took 1 paused task(s) ("d") out of it');
    expect(warning).toContain('removed 1 entr(ies) ("ghost") of tasks that no longer exist');
    expect(lines.info).toEqual([`@horae/redis: store "default" brought its set of paused tasks {${prefix}}:paused up to date: recorded 1 paused task(s) ("e").`]);

    // Whole again: later checks find nothing to say.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.warn).toHaveLength(1);
    expect(lines.info).toHaveLength(1);
  });

  it('checks a whole index with one O(1) script per period and reads no rows', async () => {
    const prefix = freshPrefix();
    const client = new Redis(url);
    cleanups.push(async () => void client.disconnect());
    const store = new RedisStore({ client, prefix, pollInterval: HOUR, indexCheckInterval: 30 });
    cleanups.push(() => store.shutdown());
    for (let i = 0; i < 20; i++) await store.addTask(row(`t${i}`, i % 4 === 0 ? null : Date.now() + HOUR + i));
    const evalsha = vi.spyOn(client, 'evalsha');
    const hscan = vi.spyOn(client, 'hscan');
    await store.start(context(silent));
    await vi.waitFor(() => expect(evalsha.mock.calls.length).toBeGreaterThanOrEqual(4), { timeout: 5 * SECOND, interval: 10 });
    await store.shutdown();
    expect(new Set(evalsha.mock.calls.map(([sha]) => sha))).toEqual(new Set([CHECK_INDEX.sha]));
    expect(hscan).not.toHaveBeenCalled();
  });

  it('has one replica repair at a time: a lost index is repaired once, not once per replica', async () => {
    const prefix = freshPrefix();
    const keys = redisStoreKeys(prefix);
    const seeder = open(prefix);
    await seeder.addTasks(Array.from({ length: 1_500 }, (_, i) => row(`t${i}`, Date.now() + HOUR + i)));
    await admin.del(keys.due);
    const replicas = Array.from({ length: 3 }, () => recording());
    await Promise.all(replicas.map(({ logger }) => open(prefix, { indexCheckInterval: 20 }).start(context(logger))));
    await vi.waitFor(async () => expect(await admin.zcard(keys.due)).toBe(1_500), { timeout: 10 * SECOND, interval: 20 });
    await vi.waitFor(async () => expect(await admin.exists(keys.indexRepair)).toBe(0), { timeout: 10 * SECOND, interval: 20 });
    const warnings = replicas.flatMap(({ lines }) => lines.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('indexed 1500 scheduled task(s)');
  });

  describe('a key of the wrong type', () => {
    const typedError = (key: string, found: string, expected: string) =>
      expect.objectContaining({
        name: 'HoraeError',
        code: 'STORE_UNAVAILABLE',
        message: expect.stringContaining(`Store "default" cannot use the Redis key ${JSON.stringify(key)}: it holds ${found} where the store keeps ${expected}, so the store wrote nothing.`),
      });

    it('fails every write with a typed error naming the key and the fix, before writing anything', async () => {
      const prefix = freshPrefix();
      const keys = redisStoreKeys(prefix);
      const store = open(prefix);
      const now = await redisNow();
      await store.addTask(row('a', now - 10));
      await store.addTask(row('p', null));
      const [claimed] = await store.claimDueTasks({ now, limit: 1, owner: 'me', duration: 60 * SECOND });
      expect(claimed?.id).toBe('a');
      await store.quarantineTask('p', 'to restore it');
      await admin.del(keys.due);
      await admin.set(keys.due, 'x');
      const snapshot = async () => [await admin.hgetall(keys.tasks), await admin.hgetall(keys.claims), await admin.hgetall(keys.quarantine), await admin.smembers(keys.paused), await admin.get(keys.seq)];
      const unchanged = await snapshot();

      const dueError = typedError(keys.due, 'a string', 'a sorted set');
      const writes: [string, () => Promise<unknown>][] = [
        ['addTask', () => store.addTask(row('new', now))],
        ['addTask (paused)', () => store.addTask(row('new', null))],
        ['addTasks', () => store.addTasks([row('n1', now), row('n2', null)])],
        ['updateTask', () => store.updateTask(row('a', now + HOUR))],
        ['deleteTask', () => store.deleteTask('a')],
        ['claimDueTasks', () => store.claimDueTasks({ now, limit: 10, owner: 'me', duration: 60 * SECOND })],
        ['claimTask', () => store.claimTask('a', { owner: 'other', duration: 60 * SECOND })],
        ['dispatchTasks', () => store.dispatchTasks([{ id: 'a', owner: 'me', claimedRevision: 1, nextRunTime: now + HOUR, removeWhenFinished: true }])],
        ['dispatchTasks', () => store.dispatchTasks([{ id: 'a', owner: 'me', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true }])],
        ['quarantineTask', () => store.quarantineTask('a', 'no')],
        ['restoreQuarantinedTask', () => store.restoreQuarantinedTask('p')],
        ['getNextRunTime', () => store.getNextRunTime()],
      ];
      for (const [name, write] of writes) {
        await expect(write(), name).rejects.toEqual(dueError);
        expect(await snapshot(), name).toEqual(unchanged);
      }
      const error = await store.addTask(row('new', now)).catch((caught: unknown) => caught);
      expect(isHoraeError(error, 'STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain(`delete it (redis-cli DEL "${keys.due}") and the store puts every task back in it within indexCheckInterval (3600000 ms)`);

      // Deleted, the index comes back by itself and everything works again.
      await admin.del(keys.due);
      const { lines, logger } = recording();
      await store.start(context(logger));
      await vi.waitFor(async () => expect(await admin.zrange(keys.due, 0, -1)).toEqual(['a']), { timeout: 5 * SECOND, interval: 20 });
      expect(lines.warn).toEqual([expect.stringContaining('indexed 1 scheduled task(s) ("a")')]);
      await store.addTask(row('new', now));
    });

    it('names the other keys too, and their fix', async () => {
      const prefix = freshPrefix();
      const keys = redisStoreKeys(prefix);
      const store = open(prefix);
      await store.addTask(row('a', 5));

      await admin.set(keys.seq, 'not a number');
      await expect(store.addTask(row('b', 6))).rejects.toEqual(typedError(keys.seq, 'a string that is not an integer', 'a counter (a string holding an integer)'));
      await admin.del(keys.seq);

      await admin.set(keys.paused, 'x');
      await expect(store.addTask(row('b', null))).rejects.toEqual(typedError(keys.paused, 'a string', 'a set'));
      await admin.del(keys.paused);
      expect(await admin.hkeys(keys.tasks)).toEqual(['a']);

      await admin.set(keys.runs, 'x');
      await expect(store.acquireRunLease({ taskId: 'a', runId: 'r', owner: 'me', scheduledAt: 5 }, 1, 60 * SECOND)).rejects.toEqual(typedError(keys.runs, 'a string', 'a hash'));
      expect(await admin.exists(keys.runExpiry, keys.taskRuns)).toBe(0);
      await admin.del(keys.runs);

      await admin.set(keys.history('a'), 'x');
      const retention = { perTask: 5, maxAge: HOUR, now: Date.now() };
      await expect(store.addRuns([{ taskId: 'a', runId: 'r', endedAt: Date.now(), payload: '{}' }], retention)).rejects.toEqual(typedError(keys.history('a'), 'a string', 'a sorted set'));
      await expect(store.getRuns('a', { limit: 5 })).rejects.toEqual(typedError(keys.history('a'), 'a string', 'a sorted set'));
      expect(await admin.get(keys.history('a'))).toBe('x');
      await admin.del(keys.history('a'));

      await admin.rename(keys.tasks, `${keys.tasks}-saved`);
      await admin.rpush(keys.tasks, 'x');
      const tasksError = typedError(keys.tasks, 'a list', 'a hash');
      await expect(store.lookupTask('a')).rejects.toEqual(tasksError);
      await expect(store.getAllTasks()).rejects.toEqual(tasksError);
      await expect(store.addTask(row('b', 6))).rejects.toEqual(tasksError);
      await expect(store.addTask(row('b', 6))).rejects.toThrow(`if no other application uses it, delete it (redis-cli DEL "${keys.tasks}"); if one does, give this store a prefix of its own.`);
      expect(await admin.zrange(keys.due, 0, -1)).toEqual(['a']);
    });

    it('makes scheduler.addTask fail with it, leaving no row behind, and is logged once by the periodic check', async () => {
      const prefix = freshPrefix();
      const keys = redisStoreKeys(prefix);
      await admin.set(keys.due, 'x');
      const { lines, logger } = recording();
      const running = scheduler(prefix, logger, { indexCheckInterval: 30 });
      running.define('noop', quiet);
      await running.start();
      await expect(running.addTask({ id: 'new', handler: 'noop', trigger: { type: 'interval', seconds: 10 } })).rejects.toEqual(typedError(keys.due, 'a string', 'a sorted set'));
      expect(await admin.hlen(keys.tasks)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const checks = lines.error.filter((message) => message.includes('cannot check its due index'));
      expect(checks).toEqual([expect.stringContaining(`@horae/redis: store "default" cannot check its due index. Store "default" cannot use the Redis key "${keys.due}"`)]);
    });
  });
});
