import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isHoraeError, Scheduler, type StoreContext, type StoredTask } from '@horae/core';
import { type OutagePlace, outageSuite, releaseOne, type StoreBackend, storeConformance, TcpProxy } from '@horae/testkit';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MongoDBStore, type MongoDBStoreOptions } from './index.js';

const replicaSetUrl = process.env.MONGODB_URL;
const standaloneUrl = process.env.MONGODB_STANDALONE_URL;
const SECOND = 1_000;
const DATABASE = 'horae-test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

const missing = [
  ...(replicaSetUrl ? [] : ['MONGODB_URL (a replica set)']),
  ...(standaloneUrl ? [] : ['MONGODB_STANDALONE_URL (a standalone server)']),
];
if (missing.length > 0) {
  const how = 'run `scripts/services.sh up && source .services/env` at the repository root (it fetches a genuine mongod and starts a one-node replica set and a standalone server), then run the tests again';
  if (process.env.CI === 'true') {
    describe('MongoDBStore', () => {
      it('runs against a real MongoDB', () => {
        throw new Error(`${missing.join(' and ')} not set: CI must run these tests against a real MongoDB; ${how}.`);
      });
    });
  } else {
    console.warn(`\n*** @horae/mongodb: ${missing.join(' and ')} not set, so the MongoDBStore tests are SKIPPED. To run them, ${how}. ***\n`);
    describe.skip('MongoDBStore (skipped: MONGODB_URL / MONGODB_STANDALONE_URL not set)', () => {
      it('runs against a real MongoDB', quiet);
    });
  }
} else {
  mongoSuites(replicaSetUrl!, standaloneUrl!);
}

function mongoSuites(replicaSetUrl: string, standaloneUrl: string): void {
  /** Plain clients for looking at documents and for what the stores never do. */
  const admins = new Map<string, MongoClient>();
  const admin = (url: string): MongoClient => {
    let client = admins.get(url);
    if (client === undefined) admins.set(url, (client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 })));
    return client;
  };
  afterAll(async () => {
    for (const client of admins.values()) await client.close();
  });

  interface Place extends StoreBackend {
    url: string;
    collection: string;
  }
  const places = new WeakMap<object, Place>();

  /** A fresh collection in the test database, dropped (with its runs and quarantine) at cleanup. */
  /** MongoDB's clock, epoch ms. */
  const serverClock = async (url: string): Promise<number> => {
    const [reading] = await admin(url).db(DATABASE).aggregate<{ now: number }>([{ $documents: [{}] }, { $project: { now: { $toLong: '$$NOW' } } }]).toArray();
    return reading!.now;
  };

  /** Drops a store's collections: its tasks, runs and quarantine. */
  const dropCollections = async (url: string, collection: string): Promise<void> => {
    for (const name of [collection, `${collection}.runs`, `${collection}.quarantine`, `${collection}.instances`]) await admin(url).db(DATABASE).collection(name).drop().catch(() => undefined);
  };

  const backend = (url: string, options: Omit<MongoDBStoreOptions, 'client' | 'url' | 'database' | 'collection'> = {}): Place => {
    const collection = `t-${randomUUID()}`;
    const stores: MongoDBStore[] = [];
    const db = () => admin(url).db(DATABASE);
    const place: Place = {
      url,
      collection,
      open: () => {
        const store = new MongoDBStore({ url, database: DATABASE, collection, pollInterval: 200, ...options });
        stores.push(store);
        return store;
      },
      // A document no reader can use (its payload is not a string), written around the store as a
      // foreign tool could, and due.
      writeCorruptRecord: async (id: string) => {
        await db().collection<Document>(collection).insertOne({ _id: id as never, nextRunTime: 0, dueAt: 0, revision: 1, seq: new ObjectId(), payload: { not: 'a string' } });
      },
      cleanup: async () => {
        for (const store of stores.splice(0)) await store.shutdown();
        await dropCollections(url, collection);
      },
    };
    places.set(place, place);
    return place;
  };

  for (const [mode, url] of [
    ['replica set, change streams', replicaSetUrl],
    ['standalone, polling', standaloneUrl],
  ] as const) {
    storeConformance({
      name: `MongoDBStore (${mode})`,
      persistent: true,
      backend: () => Promise.resolve(backend(url)),
      serverClock: () => serverClock(url),
      processes: {
        storeModule: fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url)),
        config: (opened) => ({ url, database: DATABASE, collection: places.get(opened)!.collection }),
        tasks: 50,
        runFor: mode.startsWith('replica') ? 30_000 : 20_000,
      },
    });
  }

  outageSuite<OutagePlace & { collection: string }>({
    name: 'MongoDBStore',
    server: 'MongoDB',
    changeFeed: 'change stream',
    catchUp: 'creates its indexes and watches',
    proxy: () => proxyTo(replicaSetUrl),
    place: () => {
      const collection = `t-${randomUUID()}`;
      return {
        collection,
        open: ({ pollInterval }) => new MongoDBStore({ url: replicaSetUrl, database: DATABASE, collection, pollInterval }),
        openThrough: (proxy, { pollInterval }) => new MongoDBStore({ url: proxyUrl(proxy), database: DATABASE, collection, pollInterval }),
        cleanup: () => dropCollections(replicaSetUrl, collection),
      };
    },
    caughtUp: async ({ collection }) => {
      await vi.waitFor(async () => expect((await admin(replicaSetUrl).db(DATABASE).collection(collection).indexes()).map((index) => index.name)).toContain('horae_due'), {
        timeout: 15 * SECOND,
        interval: 100,
      });
    },
    // A change stream resumes (or is opened again) without a sign outside the driver: give it time.
    hearsChanges: async () => {
      await sleep(1_500);
    },
    // The server selection timeout (2 s) and the change stream's reopening make MongoDB slower to come back.
    outage: 3 * SECOND,
    recovery: 20 * SECOND,
    rewake: 10 * SECOND,
  });

  describe('MongoDBStore on a real MongoDB', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      vi.restoreAllMocks();
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A fresh backend, cleaned up after the test. */
    const place = (options: Omit<MongoDBStoreOptions, 'client' | 'url' | 'database' | 'collection'> = {}, url = replicaSetUrl) => {
      const opened = backend(url, options);
      cleanups.push(() => opened.cleanup());
      return opened;
    };

    const context = (instanceId: string, wake: () => void = quiet, quarantined: StoreContext['quarantined'] = quiet, logger = silent): StoreContext => ({
      alias: 'default',
      instanceId,
      logger,
      wake,
      quarantined,
    });

    const started = async (opened: Place, instanceId: string, wake?: () => void, quarantined?: StoreContext['quarantined']) => {
      const store = opened.open() as MongoDBStore;
      await store.start(context(instanceId, wake, quarantined));
      return store;
    };

    const row = (id: string, nextRunTime: number | null, revision = 1, payload = JSON.stringify({ id })): StoredTask => ({ id, nextRunTime, revision, payload });
    const tasksOf = (opened: Place) => admin(opened.url).db(DATABASE).collection<Document>(opened.collection);

    /** MongoDB's clock, epoch ms. */
    const serverNow = (url = replicaSetUrl): Promise<number> => serverClock(url);

    it('keeps one document per task with its runs, indexed on its due time, and the quarantine beside it', async () => {
      const opened = place();
      const store = await started(opened, 'layout');
      expect(store.collections).toEqual({ tasks: opened.collection, quarantine: `${opened.collection}.quarantine`, runs: `${opened.collection}.runs`, instances: `${opened.collection}.instances` });
      const due = (await serverNow()) - 10;
      await store.addTask(row('a', due));
      await store.addTask(row('paused', null));
      expect(await tasksOf(opened).findOne({ _id: 'a' as never })).toEqual({ _id: 'a', nextRunTime: due, dueAt: due, revision: 1, seq: expect.any(ObjectId), payload: '{"id":"a"}' });
      expect(await tasksOf(opened).findOne({ _id: 'paused' as never })).toMatchObject({ nextRunTime: null, dueAt: null });
      const before = await serverNow();
      await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'layout', duration: 60 * SECOND });
      const after = await serverNow();
      const claimed = await tasksOf(opened).findOne({ _id: 'a' as never });
      expect(claimed).toMatchObject({ claimedBy: 'layout', claimToken: expect.any(String) });
      expect(claimed!.claimExpiresAt).toBeGreaterThanOrEqual(before + 60 * SECOND);
      expect(claimed!.claimExpiresAt).toBeLessThanOrEqual(after + 60 * SECOND);
      // under a live claim the due index holds the claim's expiry
      expect(claimed!.dueAt).toBe(claimed!.claimExpiresAt);
      await store.acquireRunLease({ taskId: 'a', runId: 'run-1', owner: 'layout', scheduledAt: 1 }, 1, 60 * SECOND);
      await store.quarantineTask('paused', 'to see its collection');
      const indexes = async (name: string) => (await admin(opened.url).db(DATABASE).collection(name).indexes()).map((index) => [index.name, index.key, index.sparse ?? false]);
      expect(await indexes(opened.collection)).toEqual([
        ['_id_', { _id: 1 }, false],
        ['horae_due', { dueAt: 1, seq: 1, _id: 1 }, false],
        ['horae_run_ids', { 'runs.runId': 1 }, true],
        ['horae_run_expiry', { runExpiry: 1 }, true],
      ]);
      expect(await tasksOf(opened).findOne({ _id: 'a' as never }, { projection: { runs: 1, runExpiry: 1 } })).toEqual({
        _id: 'a',
        runs: [{ runId: 'run-1', owner: 'layout', scheduledAt: 1, expiresAt: expect.any(Number) }],
        runExpiry: expect.any(Number),
      });
      const names = (await admin(opened.url).db(DATABASE).listCollections({ name: { $regex: `^${opened.collection}` } }).toArray()).map((info) => info.name).sort();
      expect(names).toEqual([opened.collection, `${opened.collection}.instances`, `${opened.collection}.quarantine`, `${opened.collection}.runs`]);
      // The run history: one document per task, removed by the server once it records nothing more.
      const runIndexes = (await admin(opened.url).db(DATABASE).collection(`${opened.collection}.runs`).indexes()).map((index) => [index.name, index.key, index.expireAfterSeconds]);
      expect(runIndexes).toEqual([
        ['_id_', { _id: 1 }, undefined],
        ['horae_runs_expiry', { expireAt: 1 }, 0],
      ]);
      // Starting again (a second replica, a restart) finds the indexes there: nothing changes.
      const again = await started(opened, 'again');
      expect(await again.getNextRunTime()).toBe(claimed!.dueAt);
      expect(await indexes(opened.collection)).toHaveLength(4);
    });

    it('keeps payloads verbatim through add, claim, release, quarantine and restore', async () => {
      const store = await started(place(), 'verbatim');
      const payload = 'horae:aes-256-gcm:1:AbC/+==\n{"path":"a/b\\\\c","quote":"\\"","line":"\u2028","emoji":"😀","nul":"\u0000","$set":{"x.y":1}}';
      const due = (await serverNow()) - 100.5;
      await store.addTask(row('$odd.id', due, 7, payload));
      expect(await store.lookupTask('$odd.id')).toEqual(row('$odd.id', due, 7, payload));
      const [claimed] = await store.claimDueTasks({ now: Date.now(), limit: 1, owner: '$me', duration: 60 * SECOND });
      expect(claimed).toEqual(row('$odd.id', due, 7, payload));
      expect(await releaseOne(store, { id: '$odd.id', owner: '$me', claimedRevision: 7, nextRunTime: 1_767_225_600_123.25, removeWhenFinished: true })).toBe(true);
      expect(await store.lookupTask('$odd.id')).toEqual(row('$odd.id', 1_767_225_600_123.25, 8, payload));
      await store.quarantineTask('$odd.id', 'checking');
      expect((await store.getQuarantinedTasks())[0]).toMatchObject({ id: '$odd.id', payload, nextRunTime: 1_767_225_600_123.25, revision: 8, reason: 'checking' });
      await store.restoreQuarantinedTask('$odd.id');
      expect(await store.lookupTask('$odd.id')).toEqual(row('$odd.id', 1_767_225_600_123.25, 8, payload));
      expect(await store.getNextRunTime()).toBe(1_767_225_600_123.25);
    });

    it('claims up to the limit past unreadable documents, quarantining and reporting them', async () => {
      const opened = place();
      const quarantined = vi.fn();
      const store = await started(opened, 'reader', quiet, quarantined);
      const now = await serverNow();
      for (let i = 0; i < 6; i++) await store.addTask(row(`t${i}`, now - 100 + i * 10));
      await tasksOf(opened).updateOne({ _id: 't1' as never }, { $set: { revision: 'one' } });
      await tasksOf(opened).updateOne({ _id: 't3' as never }, { $unset: { payload: '' } });
      const claimed = await store.claimDueTasks({ now, limit: 3, owner: 'reader', duration: 60 * SECOND });
      // t1 and t3 were claimed on the way, found unreadable, quarantined, and replaced by more.
      expect(claimed.map((task) => task.id)).toEqual(['t0', 't2', 't4']);
      expect(quarantined.mock.calls).toEqual([
        ['t1', 'its record in MongoDB cannot be read: its revision is not a number'],
        ['t3', 'its record in MongoDB cannot be read: its payload is not a string'],
      ]);
      expect((await store.claimDueTasks({ now, limit: 3, owner: 'reader', duration: 60 * SECOND })).map((task) => task.id)).toEqual(['t5']);
      const held = await store.getQuarantinedTasks();
      expect(held.map((task) => [task.id, task.payload, task.revision])).toEqual([
        ['t1', '{"id":"t1"}', 0],
        ['t3', expect.objectContaining({ _id: 't3', revision: 1, claimedBy: 'reader' }), 1],
      ]);
      // still unreadable when restored: it stays, with the news
      await store.restoreQuarantinedTask('t3');
      expect((await store.getQuarantinedTasks()).find((task) => task.id === 't3')?.reason).toBe('its record in MongoDB cannot be read: its payload is not a string (tried again when restored)');
      expect(await store.lookupTask('t3')).toBeNull();
      // plain reads find unreadable documents too
      await tasksOf(opened).insertOne({ _id: 'hand-made' as never, nextRunTime: 5, revision: 1, payload: 'x' });
      expect(await store.lookupTask('hand-made')).toBeNull();
      expect(quarantined).toHaveBeenLastCalledWith('hand-made', 'its record in MongoDB cannot be read: its dueAt (null) does not go with its nextRunTime (5): a number while scheduled, null while paused');
      await tasksOf(opened).insertOne({ _id: 'listed' as never, nextRunTime: 'soon', dueAt: 1, revision: 1, payload: 'x' });
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['t0', 't2', 't4', 't5']);
      expect(quarantined).toHaveBeenLastCalledWith('listed', 'its record in MongoDB cannot be read: its nextRunTime is neither a number nor null');
    });

    it('refuses to restore a missing quarantined task or over a live one, with typed errors', async () => {
      const store = await started(place(), 'restorer');
      await expect(store.restoreQuarantinedTask('nothing')).rejects.toSatisfy(
        (error) => isHoraeError(error, 'TASK_NOT_FOUND') && error.message === 'No task with id "nothing" in store "default (quarantine)". List the existing ids with scheduler.getTasks().',
      );
      await store.addTask(row('twice', 10));
      await store.quarantineTask('twice', 'first copy');
      await store.addTask(row('twice', 20));
      await expect(store.restoreQuarantinedTask('twice')).rejects.toSatisfy(
        (error) => isHoraeError(error, 'CONFLICTING_ID') && error.message === 'A task with id "twice" already exists in store "default". Pass replaceExisting: true to replace it, or choose another id.',
      );
      expect((await store.getQuarantinedTasks()).map((task) => task.id)).toEqual(['twice']);
      await expect(store.quarantineTask('absent', 'x')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
      await expect(store.addTask(row('bad', Number.NaN))).rejects.toSatisfy((error) => isHoraeError(error, 'INVALID_OPTION') && /Task "bad": invalid nextRunTime NaN/.test(error.message));
      await expect(store.addTask({ id: 'object', nextRunTime: 1, revision: 1, payload: { not: 'a string' } })).rejects.toSatisfy((error) => isHoraeError(error, 'NOT_SERIALIZABLE'));
    });

    it('lists tasks with equal run times in the order they were added, updates keeping their place', async () => {
      const store = await started(place(), 'lister');
      for (const id of ['m', 'z', 'a', 'k']) await store.addTask(row(id, 100));
      await store.updateTask(row('z', 100, 2));
      await store.addTask(row('first', 50));
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['first', 'm', 'z', 'a', 'k']);
    });

    it('ends a claim on update, so the stale release is refused and the task is free again', async () => {
      const opened = place();
      const store = await started(opened, 'updater');
      await store.addTask(row('a', (await serverNow()) - 10));
      expect(await store.claimDueTasks({ now: 0, limit: 1, owner: 'updater', duration: 60 * SECOND })).toHaveLength(1);
      await store.updateTask(row('a', (await serverNow()) - 5, 2));
      expect(await tasksOf(opened).findOne({ _id: 'a' as never }, { projection: { claimedBy: 1, claimToken: 1, claimExpiresAt: 1 } })).toEqual({ _id: 'a' });
      expect(await releaseOne(store, { id: 'a', owner: 'updater', claimedRevision: 1, nextRunTime: 1, removeWhenFinished: true })).toBe(false);
      expect((await store.claimDueTasks({ now: 0, limit: 1, owner: 'other', duration: 60 * SECOND })).map((task) => task.revision)).toEqual([2]);
    });

    it('counts run leases per task in its document, and keeps no document for runs that ended', async () => {
      const opened = place();
      const store = await started(opened, 'runner');
      const runs = tasksOf(opened);
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r1', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r2', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r3', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      // a run id of another task is not released through this one
      await store.releaseRunLease('a', 'r1');
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r4', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      // renewing is for the owner only
      await store.renewRunLeases('someone-else', ['r2'], 1);
      expect(await store.acquireRunLease({ taskId: 'a', runId: 'r5', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      // unbounded maxInstances
      for (const runId of ['u1', 'u2', 'u3']) expect(await store.acquireRunLease({ taskId: 'many', runId, owner: 'runner', scheduledAt: 1 }, Infinity, 60 * SECOND)).toBe(true);
      await store.releaseRunLease('many', 'u2');
      expect(((await runs.findOne({ _id: 'many' as never }))?.runs as { runId: string }[]).map((run) => run.runId)).toEqual(['u1', 'u3']);
      // ids without a task: documents that hold runs only, gone with their last run
      for (const runId of ['u1', 'u3']) await store.releaseRunLease('many', runId);
      await store.releaseRunLease('a', 'r2');
      expect(await runs.find({}).toArray()).toEqual([{ _id: 'ab', runsOnly: true, runs: [expect.objectContaining({ runId: 'r1' })], runExpiry: expect.any(Number) }]);
      expect(await store.getAllTasks()).toEqual([]);
      expect(await store.lookupTask('ab')).toBeNull();
      // a task added under that id takes the document over; its run still counts
      await store.addTask(row('ab', null));
      expect(await store.lookupTask('ab')).toMatchObject({ id: 'ab', nextRunTime: null });
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r6', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      await expect(store.addTask(row('ab', null))).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID'));
      // deleting (or quarantining) a task with a run in progress keeps the run until it ends
      await store.deleteTask('ab');
      expect(await store.lookupTask('ab')).toBeNull();
      await expect(store.deleteTask('ab')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
      expect(await store.acquireRunLease({ taskId: 'ab', runId: 'r7', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      await store.addTask(row('q', null));
      expect(await store.acquireRunLease({ taskId: 'q', runId: 'q1', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      await store.quarantineTask('q', 'to see the run stay');
      expect(await store.acquireRunLease({ taskId: 'q', runId: 'q2', owner: 'runner', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      await store.releaseRunLeases([{ taskId: 'ab', runId: 'r1' }, { taskId: 'q', runId: 'q1' }]);
      // "ab" went with its run (this store recorded that run in a runsOnly document); "q" became
      // runsOnly while its run went on, and is left empty: the heartbeat's sweep deletes it a minute later
      expect(await runs.find({}).toArray()).toEqual([expect.objectContaining({ _id: 'q', runsOnly: true })]);
      expect(await runs.countDocuments({ runsOnly: true, runs: { $exists: false }, runExpiry: { $gt: 0 } })).toBe(1);
      await runs.updateMany({}, { $set: { runExpiry: 0 } });
      expect(await store.takeExpiredRunLeases()).toEqual([]);
      expect(await runs.countDocuments({})).toBe(0);
    });

    it('wakes other instances through the change stream without waiting for the poll', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      const wake = vi.fn();
      const watcher = await started(opened, 'watcher', wake);
      const writer = await started(opened, 'writer');
      await watcher.addTask(row('own', Date.now() + 60 * SECOND));
      for (const write of [
        () => writer.addTask(row('marker', Date.now() + 60 * SECOND)),
        () => writer.updateTask(row('own', Date.now() + 1 * SECOND, 2)),
        async () => {
          await writer.addTask(row('released', (await serverNow()) - 1));
          await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
          await writer.claimDueTasks({ now: 0, limit: 10, owner: 'writer', duration: 60 * SECOND });
          await sleep(300);
          // a claim moves nothing earlier: no news
          wake.mockClear();
          expect(await releaseOne(writer, { id: 'released', owner: 'writer', claimedRevision: 1, nextRunTime: Date.now() + 5 * SECOND, removeWhenFinished: true })).toBe(true);
        },
        async () => {
          await writer.quarantineTask('marker', 'to restore it');
          await sleep(300);
          wake.mockClear();
          await writer.restoreQuarantinedTask('marker');
        },
      ]) {
        wake.mockClear();
        await write();
        await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      }
      // claims and deletions wake nobody: they make no work due earlier
      await writer.addTask(row('claimed', (await serverNow()) - 1));
      await sleep(500);
      wake.mockClear();
      await writer.claimDueTasks({ now: 0, limit: 10, owner: 'writer', duration: 60 * SECOND });
      await writer.deleteTask('own');
      await sleep(1_000);
      expect(wake).not.toHaveBeenCalled();
    });

    it('closes its change stream while it claims full batches and opens it again before the claim that ends the drain returns', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      const wake = vi.fn();
      const watcher = await started(opened, 'watcher', wake);
      const writer = await started(opened, 'writer');
      const due = (await serverNow()) - 1;
      for (const id of ['a', 'b', 'c']) await writer.addTask(row(id, due));
      await vi.waitFor(() => expect(wake).toHaveBeenCalledTimes(3), { timeout: 5 * SECOND, interval: 20 });

      // A full batch: the scheduler claims again at once, so news of changes is not needed.
      expect(await watcher.claimDueTasks({ now: 0, limit: 2, owner: 'watcher', duration: 60 * SECOND })).toHaveLength(2);
      wake.mockClear();
      const meanwhile = Date.now() + 30 * SECOND;
      await writer.addTask(row('while-draining', meanwhile));
      await sleep(1_000);
      expect(wake).not.toHaveBeenCalled();

      // The claim that leaves no more due tasks: the stream is open again when it returns.
      expect((await watcher.claimDueTasks({ now: 0, limit: 2, owner: 'watcher', duration: 60 * SECOND })).map((task) => task.id)).toEqual(['c']);
      await writer.addTask(row('right-after', Date.now() + 45 * SECOND));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      // What was added meanwhile is read as usual (the claimed tasks are held for 60 s).
      expect(await watcher.getNextRunTime()).toBe(meanwhile);
    });

    it('has a scheduler that drained a backlog learn of tasks added during and after the drain, with no poll to help', async () => {
      const opened = place();
      const scheduler = (instanceId: string) =>
        new Scheduler({
          timezone: 'UTC',
          instanceId,
          batchSize: 10,
          logger: silent,
          stores: { default: new MongoDBStore({ url: replicaSetUrl, database: DATABASE, collection: opened.collection, pollInterval: 3_600 * SECOND }) },
        });
      const drainer = scheduler('drainer');
      const adder = scheduler('adder');
      cleanups.push(() => drainer.shutdown({ wait: false }), () => adder.shutdown({ wait: false }));
      const ran: number[] = [];
      const late = new Map<string, { due: number; ranAt?: number }>();
      const addLate = (id: string) => {
        const due = Date.now() + 1_500;
        late.set(id, { due });
        return adder.addTask({ id, handler: 'late', args: { id }, trigger: { type: 'date', runAt: due }, misfireGraceTime: null });
      };
      let addedDuring: Promise<unknown> | undefined;
      drainer.define('work', ({ i }: { i: number }) => {
        ran.push(i);
        addedDuring ??= addLate('during');
      });
      drainer.define('late', ({ id }: { id: string }) => void (late.get(id)!.ranAt = Date.now()));
      // The adder only adds (it stays paused), but checks handler names as every scheduler does.
      for (const name of ['work', 'late']) adder.define(name, () => undefined);
      await adder.start({ paused: true });
      await drainer.start({ paused: true });
      await adder.addTasks(Array.from({ length: 300 }, (_, i) => ({ handler: 'work', args: { i }, trigger: { type: 'date' as const, runAt: Date.now() - SECOND }, misfireGraceTime: null })));
      drainer.resume();
      await vi.waitFor(() => expect(ran).toHaveLength(300), { timeout: 30 * SECOND, interval: 20 });
      expect(new Set(ran).size).toBe(300);
      await addedDuring;
      await vi.waitFor(() => expect(late.get('during')!.ranAt).toBeDefined(), { timeout: 15 * SECOND, interval: 20 });
      // Nothing left to wake the drainer but news of a change: the next task comes from the stream.
      await addLate('after');
      await vi.waitFor(() => expect(late.get('after')!.ranAt).toBeDefined(), { timeout: 15 * SECOND, interval: 20 });
      for (const [id, { due, ranAt }] of late) {
        expect(ranAt!, id).toBeGreaterThanOrEqual(due);
        expect(ranAt! - due, id).toBeLessThan(5 * SECOND);
      }
    });

    it('polls on a standalone server, saying so once at start', async () => {
      const wake = vi.fn();
      const info = vi.fn();
      const store = place({ pollInterval: 50 }, standaloneUrl).open() as MongoDBStore;
      await store.start({ ...context('poller', wake), logger: { ...silent, info } });
      expect(info).toHaveBeenCalledWith('Store "default": MongoDB is a standalone server, which has no change streams; the store polls every 50 ms.');
      await vi.waitFor(() => expect(wake.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 5 * SECOND, interval: 20 });
    });

    it('polls beside the change stream too, and not at all with changeStream: false', async () => {
      const wake = vi.fn();
      const info = vi.fn();
      const store = place({ pollInterval: 50, changeStream: false }).open() as MongoDBStore;
      await store.start({ ...context('poller', wake), logger: { ...silent, info } });
      await vi.waitFor(() => expect(wake.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 5 * SECOND, interval: 20 });
      expect(info).not.toHaveBeenCalled();
    });

    it('claims a round with a few index-backed queries among 100,000 tasks (explain and the profiler)', { timeout: 180_000 }, async () => {
      const opened = place();
      const store = await started(opened, 'big');
      const now = await serverNow();
      const tasks = tasksOf(opened);
      // 100,000 tasks: 99,000 in the future, 500 paused, 500 due (claimed in rounds of 100).
      const documents = Array.from({ length: 100_000 }, (_, i) => {
        const nextRunTime = i < 500 ? now - 60 * SECOND + i : i < 1_000 ? null : now + 3_600 * SECOND + i;
        return { _id: `task-${i}` as never, nextRunTime, dueAt: nextRunTime, revision: 1, seq: new ObjectId(), payload: `{"i":${i}}` };
      });
      for (let i = 0; i < documents.length; i += 10_000) await tasks.insertMany(documents.slice(i, i + 10_000), { ordered: false });
      expect(await tasks.countDocuments()).toBe(100_000);

      // The queries a claim round sends, explained: index scans over the due range only.
      const stages = (plan: Document): string[] => [plan.stage as string, ...(plan.inputStage ? stages(plan.inputStage as Document) : []), ...((plan.inputStages as Document[] | undefined) ?? []).flatMap(stages)];
      const due = await tasks.find({ dueAt: { $type: 'number' }, $expr: { $lte: ['$dueAt', { $toLong: '$$NOW' }] } }, { sort: { dueAt: 1, seq: 1, _id: 1 }, limit: 100 }).explain('executionStats');
      const plan = stages((due.queryPlanner as Document).winningPlan as Document);
      expect(plan).toContain('IXSCAN');
      expect(plan).not.toContain('COLLSCAN');
      expect(due.executionStats.totalKeysExamined).toBeLessThanOrEqual(101);
      // only the due documents are read (the $$NOW comparison is checked on each), no other
      expect(due.executionStats.totalDocsExamined).toBeLessThanOrEqual(100);

      // A real claim round, as the profiler saw it: every query and update uses an index and
      // examines about as many documents as it claims.
      const db = admin(opened.url).db(DATABASE);
      await db.command({ profile: 0 });
      await db.collection('system.profile').drop().catch(() => undefined);
      await db.command({ profile: 2 });
      let claimed: StoredTask[];
      try {
        claimed = await store.claimDueTasks({ now: 0, limit: 100, owner: 'big', duration: 60 * SECOND });
        await store.getNextRunTime();
        // The drain closes the change stream in the background: profile until its close is in.
        await vi.waitFor(
          async () => expect(await db.collection('system.profile').countDocuments({ ns: `${DATABASE}.${opened.collection}`, 'command.killCursors': { $exists: true } })).toBeGreaterThan(0),
          { timeout: 5 * SECOND, interval: 20 },
        );
      } finally {
        await db.command({ profile: 0 });
      }
      expect(claimed.map((task) => task.id)).toEqual(Array.from({ length: 100 }, (_, i) => `task-${i}`));
      const profile = await db
        .collection('system.profile')
        .find({ ns: `${DATABASE}.${opened.collection}` })
        .sort({ ts: 1 })
        .toArray();
      // More are due than were claimed: the instance drains, and closes its change stream meanwhile.
      const streamClosed = (entry: Document): boolean => entry.op === 'command' && (entry.command as Document | undefined)?.killCursors !== undefined;
      expect(profile.filter(streamClosed)).toHaveLength(1);
      const summary = profile.filter((entry) => !streamClosed(entry)).map((entry) => ({ op: entry.op as string, plan: entry.planSummary as string, docs: entry.docsExamined as number, keys: entry.keysExamined as number }));
      // the due documents, the update that claims them all (so they need no second read), the next run time
      expect(summary.map((entry) => entry.op)).toEqual(['query', 'update', 'query']);
      for (const entry of summary) {
        expect(entry.plan, JSON.stringify(entry)).toMatch(/IXSCAN/);
        expect(entry.plan, JSON.stringify(entry)).not.toMatch(/COLLSCAN/);
        expect(entry.docs, JSON.stringify(entry)).toBeLessThanOrEqual(100);
        expect(entry.keys, JSON.stringify(entry)).toBeLessThanOrEqual(250);
      }
    });

    it('can be started again after shutdown, with a new client of its own', async () => {
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
      const client = new MongoClient(replicaSetUrl, { serverSelectionTimeoutMS: 2_000 });
      cleanups.push(() => client.close());
      const wake = vi.fn();
      const store = new MongoDBStore({ client, database: DATABASE, collection: opened.collection, pollInterval: 3_600 * SECOND });
      await store.start(context('given', wake));
      await store.addTask(row('a', 5));
      const writer = await started(opened, 'writer');
      await writer.addTask(row('b', 6));
      await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5 * SECOND, interval: 20 });
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['a', 'b']);
      await store.shutdown();
      expect((await client.db(DATABASE).command({ ping: 1 })).ok).toBe(1);
    });

    it('checks its options, naming the option, the value and what is allowed', () => {
      const client = new MongoClient(replicaSetUrl);
      const message = (options: MongoDBStoreOptions) => {
        try {
          new MongoDBStore(options);
        } catch (error) {
          return isHoraeError(error, 'INVALID_OPTION') ? error.message : `not INVALID_OPTION: ${String(error)}`;
        }
        return 'accepted';
      };
      expect(message({ client, url: replicaSetUrl })).toMatch(/^Invalid MongoDBStore option "client" "with url or clientOptions": give either client/);
      expect(message({ url: 'redis://localhost' })).toBe('Invalid MongoDBStore option "url" "redis://localhost": a mongodb:// or mongodb+srv:// connection string.');
      expect(message({ database: 'a.b' })).toMatch(/^Invalid MongoDBStore option "database" "a.b": a MongoDB database name/);
      expect(message({ collection: 'system.x' })).toMatch(/^Invalid MongoDBStore option "collection" "system.x"/);
      expect(message({ collection: 'a$b' })).toMatch(/^Invalid MongoDBStore option "collection" "a\$b"/);
      expect(message({ pollInterval: 0 })).toBe('Invalid MongoDBStore option "pollInterval" 0: a number of milliseconds, at least 1.');
      expect(message({ changeStream: 'yes' as never })).toBe('Invalid MongoDBStore option "changeStream" "yes": true or false.');
      expect(message({ client: {} as never })).toBe('Invalid MongoDBStore option "client" "object": a MongoClient instance from the mongodb package.');
      expect(message({ colection: 'jobs' } as never)).toBe(
        'unknown option "colection" in the MongoDBStore options; did you mean "collection"? Known options: "client", "url", "clientOptions", "database", "collection", "changeStream", "pollInterval".',
      );
      expect(message({ encryptionKey: 'secret' } as never)).toMatch(/^MongoDBStore does not take "encryptionKey": the scheduler encrypts/);
      expect(message({ database: 'billing', collection: 'jobs.scheduled', pollInterval: 250 })).toBe('accepted');
      expect(new MongoDBStore({ collection: 'jobs' }).collections).toEqual({ tasks: 'jobs', quarantine: 'jobs.quarantine', runs: 'jobs.runs', instances: 'jobs.instances' });
      expect(new MongoDBStore().database).toBe('horae');
    });
  });
}

/** A proxy in front of the first host of a mongodb:// connection string. */
function proxyTo(url: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = '27017'] = (/^mongodb:\/\/([^/?]+)/.exec(url)?.[1] ?? '').split(',')[0]!.split(':');
  return TcpProxy.to(host, Number(port));
}

/** Clients connect with directConnection, so that they stay on the proxy instead of following the replica set's member list. */
function proxyUrl(proxy: TcpProxy): string {
  return `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`;
}
