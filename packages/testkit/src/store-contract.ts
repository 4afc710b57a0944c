import { isHoraeError, type StoredTask, type StoreContext, type TaskStore } from '@horae/core';
import { releaseOne } from './release-one.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreBackend, StoreFixture } from './fixture.js';

const SECOND = 1_000;

/** A stored row with a payload of the right kind for the store. */
export function row(fixture: StoreFixture, id: string, nextRunTime: number | null, revision = 1): StoredTask {
  return { id, nextRunTime, revision, payload: fixture.persistent ? JSON.stringify({ id, note: 'opaque' }) : { id } };
}

export function context(alias = 'default', instanceId = 'test-instance', wake: () => void = () => undefined): StoreContext {
  const quiet = () => undefined;
  return { alias, instanceId, wake, quarantined: quiet, logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The stores one test opens on its backend: each started as instance `instanceId` (by default
 * `instance-<n>`), all shut down together after the test.
 */
export function openedStores(backend: () => StoreBackend) {
  const opened: TaskStore[] = [];
  return {
    async open(instanceId = `instance-${opened.length}`, wake?: () => void): Promise<TaskStore> {
      const store = backend().open();
      await store.start(context('default', instanceId, wake));
      opened.push(store);
      return store;
    },
    async shutdownAll(): Promise<void> {
      for (const store of opened.splice(0)) await store.shutdown();
    },
  };
}

/**
 * The store contract, call by call: what every store must do, alone and with several instances
 * sharing one backend. Each test gets a fresh backend.
 */
export function storeContractSuite(fixture: StoreFixture): void {
  describe(`${fixture.name}: the store contract`, () => {
    let backend: StoreBackend;
    const stores = openedStores(() => backend);
    const open = stores.open;

    beforeEach(async () => {
      backend = await fixture.backend();
    });
    afterEach(async () => {
      await stores.shutdownAll();
      await backend.cleanup();
    });

    it('adds, looks up, updates and deletes, with typed errors for conflicts and unknown ids', async () => {
      const store = await open();
      await store.addTask(row(fixture, 'a', 10));
      await expect(store.addTask(row(fixture, 'a', 20))).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID'));
      expect(await store.lookupTask('a')).toEqual(row(fixture, 'a', 10));
      await store.updateTask(row(fixture, 'a', 30, 2));
      expect(await store.lookupTask('a')).toMatchObject({ nextRunTime: 30, revision: 2 });
      await expect(store.updateTask(row(fixture, 'missing', 1))).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
      await store.deleteTask('a');
      expect(await store.lookupTask('a')).toBeNull();
      await expect(store.deleteTask('a')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
      // the id is free again
      await store.addTask(row(fixture, 'a', 5));
      expect((await store.lookupTask('a'))?.nextRunTime).toBe(5);
    });

    it('keeps payloads verbatim', async () => {
      const store = await open();
      const task = row(fixture, 'verbatim', 1);
      await store.addTask(task);
      expect((await store.lookupTask('verbatim'))?.payload).toEqual(task.payload);
    });

    it("keeps a task's seal beside it, replaces it on release, and keeps it through the quarantine (persistent stores)", async ({ skip }) => {
      if (!fixture.persistent) return skip(`${fixture.name} is not persistent: the scheduler never seals its records`);
      const store = await open();
      const now = Date.now();
      const sealed = (id: string, nextRunTime: number | null, seal: string, revision = 1): StoredTask => ({ ...row(fixture, id, nextRunTime, revision), seal });
      await store.addTask(sealed('a', now - 10, 'seal-a1'));
      await store.addTask(sealed('b', now - 10, 'seal-b1'));
      await store.addTask(sealed('q', now + 60 * SECOND, 'seal-q1'));
      await store.addTasks?.([sealed('many', now + 60 * SECOND, 'seal-m1')]);
      expect(await store.lookupTask('a')).toEqual(sealed('a', now - 10, 'seal-a1'));
      const all = await store.getAllTasks();
      expect(all.find((task) => task.id === 'q')).toEqual(sealed('q', now + 60 * SECOND, 'seal-q1'));
      if (store.addTasks !== undefined) expect(all.find((task) => task.id === 'many')?.seal).toBe('seal-m1');
      const claimed = await store.claimDueTasks({ now, limit: 10, owner: 'me', duration: 60 * SECOND });
      expect(claimed.map((task) => [task.id, task.seal])).toEqual([['a', 'seal-a1'], ['b', 'seal-b1']]);
      expect((await store.claimTask('q', { owner: 'me', duration: 60 * SECOND }))?.seal).toBe('seal-q1');
      // a release sets the seal it carries, and one without a seal leaves none behind
      const handBack = { owner: 'me', claimedRevision: 1, removeWhenFinished: true };
      expect(await releaseOne(store, { ...handBack, id: 'a', nextRunTime: now + 5 * SECOND, seal: 'seal-a2' })).toBe(true);
      expect(await store.lookupTask('a')).toEqual(sealed('a', now + 5 * SECOND, 'seal-a2', 2));
      expect(await releaseOne(store, { ...handBack, id: 'q', nextRunTime: now + 90 * SECOND })).toBe(true);
      expect((await store.lookupTask('q'))?.seal).toBeUndefined();
      expect(await store.dispatchTasks([{ ...handBack, id: 'b', nextRunTime: now + 7 * SECOND, seal: 'seal-b2' }])).toEqual([{ released: true, runLeased: false }]);
      expect(await store.lookupTask('b')).toEqual(sealed('b', now + 7 * SECOND, 'seal-b2', 2));
      await store.updateTask(sealed('a', now + 9 * SECOND, 'seal-a3', 3));
      expect((await store.lookupTask('a'))?.seal).toBe('seal-a3');
      await store.quarantineTask('a', 'checked by hand');
      expect((await store.getQuarantinedTasks())[0]).toMatchObject({ id: 'a', seal: 'seal-a3' });
      await store.restoreQuarantinedTask('a');
      expect(await store.lookupTask('a')).toEqual(sealed('a', now + 9 * SECOND, 'seal-a3', 3));
    });

    it('lists by next run time with paused tasks last, and reports the earliest', async () => {
      const store = await open();
      for (const [id, time] of [['c', 30], ['p', null], ['a', 10], ['b', 20]] as const) await store.addTask(row(fixture, id, time));
      expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['a', 'b', 'c', 'p']);
      expect(await store.getNextRunTime()).toBe(10);
      await store.updateTask(row(fixture, 'c', 5, 2));
      expect(await store.getNextRunTime()).toBe(5);
      await store.removeAllTasks();
      expect(await store.getAllTasks()).toEqual([]);
      expect(await store.getNextRunTime()).toBeNull();
    });

    it('claims due tasks earliest first up to the limit, and not again while the claim lives', async () => {
      const store = await open();
      const now = Date.now();
      for (const [id, offset] of [['late', 60 * SECOND], ['b', -20], ['a', -30], ['c', -10], ['paused', null]] as const) {
        await store.addTask(row(fixture, id, offset === null ? null : now + offset));
      }
      const lease = { owner: 'me', duration: 60 * SECOND };
      expect((await store.claimDueTasks({ ...lease, now, limit: 2 })).map((task) => task.id)).toEqual(['a', 'b']);
      expect((await store.claimDueTasks({ ...lease, now, limit: 10 })).map((task) => task.id)).toEqual(['c']);
      expect(await store.claimDueTasks({ ...lease, now, limit: 10 })).toEqual([]);
      expect(await store.lookupTask('a')).not.toBeNull();
      // under a live claim, a task's next chance is when its claim runs out
      expect(await store.getNextRunTime()).toBeGreaterThanOrEqual(now + 59 * SECOND);
    });

    it('releases a claim with the new schedule, and refuses a release by another owner or after a change', async () => {
      const store = await open();
      const now = Date.now();
      for (const id of ['a', 'b', 'c', 'd']) await store.addTask(row(fixture, id, now - 10));
      await store.claimDueTasks({ now, limit: 10, owner: 'me', duration: 60 * SECOND });
      const handBack = { owner: 'me', claimedRevision: 1, removeWhenFinished: true };
      expect(await releaseOne(store, { ...handBack, id: 'a', owner: 'someone-else', nextRunTime: now + 5 })).toBe(false);
      expect(await releaseOne(store, { ...handBack, id: 'a', nextRunTime: now + 5 * SECOND })).toBe(true);
      expect(await store.lookupTask('a')).toMatchObject({ nextRunTime: now + 5 * SECOND, revision: 2 });
      expect(await store.getNextRunTime()).toBe(now + 5 * SECOND);
      expect(await releaseOne(store, { ...handBack, id: 'b', nextRunTime: null })).toBe(true);
      expect(await store.lookupTask('b')).toBeNull();
      expect(await releaseOne(store, { ...handBack, id: 'c', nextRunTime: null, removeWhenFinished: false })).toBe(true);
      expect(await store.lookupTask('c')).toMatchObject({ nextRunTime: null });
      // a user's change while claimed wins over the stale release
      await store.updateTask(row(fixture, 'd', now + 500 * SECOND, 2));
      expect(await releaseOne(store, { ...handBack, id: 'd', nextRunTime: now + 1 })).toBe(false);
      expect(await store.lookupTask('d')).toMatchObject({ nextRunTime: now + 500 * SECOND, revision: 2 });
      // a release of something never claimed does nothing
      expect(await releaseOne(store, { ...handBack, id: 'a', nextRunTime: now })).toBe(false);
    });

    it('lets another instance take over a claim whose lease expired, and refuses the late release', async () => {
      const first = await open('first');
      const second = await open('second');
      await first.addTask(row(fixture, 'job', Date.now() - 10));
      expect(await first.claimDueTasks({ now: Date.now(), limit: 10, owner: 'first', duration: 300 })).toHaveLength(1);
      expect(await second.claimDueTasks({ now: Date.now(), limit: 10, owner: 'second', duration: 60 * SECOND })).toEqual([]);
      await sleep(450);
      const taken = await second.claimDueTasks({ now: Date.now(), limit: 10, owner: 'second', duration: 60 * SECOND });
      expect(taken.map((task) => task.id)).toEqual(['job']);
      const stale = { id: 'job', owner: 'first', claimedRevision: 1, nextRunTime: Date.now() + 5, removeWhenFinished: true };
      expect(await releaseOne(first, stale)).toBe(false);
      expect(await releaseOne(second, { ...stale, owner: 'second' })).toBe(true);
    });

    it('claims one task on demand whatever its next run time, unless claimed already', async () => {
      const first = await open('first');
      const second = await open('second');
      await first.addTask(row(fixture, 'later', Date.now() + 3_600 * SECOND));
      expect((await first.claimTask('later', { owner: 'first', duration: 60 * SECOND }))?.id).toBe('later');
      expect(await second.claimTask('later', { owner: 'second', duration: 60 * SECOND })).toBeNull();
      expect(await second.claimTask('missing', { owner: 'second', duration: 60 * SECOND })).toBeNull();
    });

    it('gives each due task to exactly one of several instances claiming at once', async () => {
      const instances = await Promise.all([open('a'), open('b'), open('c')]);
      const now = Date.now();
      for (let i = 0; i < 60; i++) await instances[0].addTask(row(fixture, `t${i}`, now - 1_000 + i));
      const claims = await Promise.all(
        instances.flatMap((store, index) =>
          [0, 1, 2].map(() => store.claimDueTasks({ now, limit: 25, owner: `owner-${index}`, duration: 60 * SECOND })),
        ),
      );
      const ids = claims.flat().map((task) => task.id);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    });

    it('counts runs in progress across instances against maxInstances', async () => {
      const first = await open('first');
      const second = await open('second');
      const lease = (owner: string, runId: string) => ({ taskId: 'job', runId, owner, scheduledAt: 1 });
      const results = await Promise.all([
        first.acquireRunLease(lease('first', 'r1'), 2, 60 * SECOND),
        second.acquireRunLease(lease('second', 'r2'), 2, 60 * SECOND),
        first.acquireRunLease(lease('first', 'r3'), 2, 60 * SECOND),
        second.acquireRunLease(lease('second', 'r4'), 2, 60 * SECOND),
      ]);
      expect(results.filter(Boolean)).toHaveLength(2);
      const holder = results[0] ? 'r1' : results[1] ? 'r2' : 'r3';
      await (results[0] || results[2] ? first : second).releaseRunLease('job', holder);
      expect(await second.acquireRunLease(lease('second', 'r5'), 2, 60 * SECOND)).toBe(true);
      expect(await second.acquireRunLease(lease('second', 'r6'), 2, 60 * SECOND)).toBe(false);
      // other tasks are counted apart
      expect(await first.acquireRunLease({ ...lease('first', 'r7'), taskId: 'other' }, 1, 60 * SECOND)).toBe(true);
    });

    it('keeps renewed run leases alive and hands each expired one to one instance only', async () => {
      const first = await open('first');
      const second = await open('second');
      expect(await first.acquireRunLease({ taskId: 'kept', runId: 'k1', owner: 'first', scheduledAt: 111 }, 1, 300)).toBe(true);
      expect(await first.acquireRunLease({ taskId: 'dead', runId: 'd1', owner: 'first', scheduledAt: 222 }, 1, 300)).toBe(true);
      await sleep(150);
      await first.renewRunLeases('first', ['k1'], 60 * SECOND);
      await sleep(300);
      const taken = await Promise.all([first.takeExpiredRunLeases(), second.takeExpiredRunLeases(), second.takeExpiredRunLeases()]);
      expect(taken.flat()).toEqual([{ taskId: 'dead', runId: 'd1', owner: 'first', scheduledAt: 222 }]);
      expect(await second.takeExpiredRunLeases()).toEqual([]);
      // the renewed lease still counts; the expired one no longer does
      expect(await second.acquireRunLease({ taskId: 'kept', runId: 'k2', owner: 'second', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(false);
      expect(await second.acquireRunLease({ taskId: 'dead', runId: 'd2', owner: 'second', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
    });

    it('quarantines a task: out of scheduling, listed with its reason, restorable and purgeable', async () => {
      const store = await open();
      const task = row(fixture, 'odd', Date.now() - 10);
      await store.addTask(task);
      await store.quarantineTask('odd', 'its handler is not defined');
      expect(await store.lookupTask('odd')).toBeNull();
      expect(await store.claimDueTasks({ now: Date.now(), limit: 10, owner: 'me', duration: SECOND })).toEqual([]);
      const [held] = await store.getQuarantinedTasks();
      expect(held).toMatchObject({ id: 'odd', payload: task.payload, reason: 'its handler is not defined' });
      expect(held!.quarantinedAt).toBeGreaterThan(Date.now() - 60 * SECOND);
      await store.restoreQuarantinedTask('odd');
      expect(await store.lookupTask('odd')).toMatchObject({ id: 'odd', payload: task.payload });
      expect(await store.getQuarantinedTasks()).toEqual([]);
      await store.quarantineTask('odd', 'again');
      await store.purgeQuarantinedTask('odd');
      expect(await store.getQuarantinedTasks()).toEqual([]);
      expect(await store.lookupTask('odd')).toBeNull();
      await expect(store.purgeQuarantinedTask('odd')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
    });

    // The optional batch calls: a store that offers one must keep to its contract.
    it('adds many tasks in one call, leaving existing ids as they are (optional addTasks)', async ({ skip }) => {
      const store = await open();
      if (store.addTasks === undefined) return skip(`${fixture.name} has no addTasks; the scheduler adds one task at a time`);
      await store.addTask(row(fixture, 'taken', 99));
      const tasks = [row(fixture, 'b', 20), row(fixture, 'taken', 1), row(fixture, 'p', null), row(fixture, 'a', 10)];
      expect(await store.addTasks(tasks)).toEqual(['taken']);
      expect((await store.getAllTasks()).map((task) => [task.id, task.nextRunTime])).toEqual([['a', 10], ['b', 20], ['taken', 99], ['p', null]]);
      expect(await store.lookupTask('b')).toEqual(row(fixture, 'b', 20));
      expect(await store.addTasks([])).toEqual([]);
      // more than one script's worth
      const many = Array.from({ length: 2_500 }, (_, i) => row(fixture, `m${i}`, 1_000 + i));
      expect(await store.addTasks(many)).toEqual([]);
      expect(await store.getAllTasks()).toHaveLength(2_504);
    });

    it('dispatches a claimed batch in one call: releases and run leases together, refusals change nothing', async () => {
      const first = await open('first');
      const second = await open('second');
      const now = Date.now();
      for (const id of ['runs', 'full', 'done', 'changed', 'other-owner', 'no-run']) await first.addTask(row(fixture, id, now - 10));
      expect(await first.claimDueTasks({ now, limit: 10, owner: 'first', duration: 60 * SECOND })).toHaveLength(6);
      // "full" has one run in progress elsewhere already, against maxInstances 1
      expect(await second.acquireRunLease({ taskId: 'full', runId: 'elsewhere', owner: 'second', scheduledAt: 1 }, 1, 60 * SECOND)).toBe(true);
      await first.updateTask(row(fixture, 'changed', now + 900 * SECOND, 2));
      const run = (taskId: string, runId: string) => ({ lease: { taskId, runId, owner: 'first', scheduledAt: now - 10 }, maxInstances: 1, duration: 60 * SECOND });
      const release = (id: string, nextRunTime: number | null) => ({ id, owner: 'first', claimedRevision: 1, nextRunTime, removeWhenFinished: true });
      const outcomes = await first.dispatchTasks([
        { ...release('runs', now + 60 * SECOND), run: run('runs', 'run-1') },
        { ...release('full', now + 60 * SECOND), run: run('full', 'run-2') },
        { ...release('done', null), run: run('done', 'run-3') },
        { ...release('changed', now + 60 * SECOND), run: run('changed', 'run-4') },
        { ...release('other-owner', now + 60 * SECOND), owner: 'second', run: { ...run('other-owner', 'run-5'), lease: { ...run('other-owner', 'run-5').lease, owner: 'second' } } },
        release('no-run', now + 30 * SECOND),
      ]);
      expect(outcomes).toEqual([
        { released: true, runLeased: true },
        { released: true, runLeased: false },
        { released: true, runLeased: true },
        { released: false, runLeased: false },
        { released: false, runLeased: false },
        { released: true, runLeased: false },
      ]);
      expect(await first.lookupTask('runs')).toMatchObject({ nextRunTime: now + 60 * SECOND, revision: 2 });
      expect(await first.lookupTask('full')).toMatchObject({ nextRunTime: now + 60 * SECOND, revision: 2 });
      expect(await first.lookupTask('done')).toBeNull();
      expect(await first.lookupTask('changed')).toMatchObject({ nextRunTime: now + 900 * SECOND, revision: 2 });
      expect(await first.lookupTask('other-owner')).toMatchObject({ nextRunTime: now - 10, revision: 1 });
      expect(await first.lookupTask('no-run')).toMatchObject({ nextRunTime: now + 30 * SECOND, revision: 2 });
      // the leases taken count against maxInstances; the refused ones were never recorded
      const probe = (taskId: string) => second.acquireRunLease({ taskId, runId: `probe-${taskId}`, owner: 'second', scheduledAt: 1 }, 1, 60 * SECOND);
      expect(await probe('runs')).toBe(false);
      expect(await probe('done')).toBe(false);
      expect(await probe('changed')).toBe(true);
      expect(await probe('other-owner')).toBe(true);
      expect(await first.dispatchTasks([])).toEqual([]);
    });

    it('releases several run leases in one call (optional releaseRunLeases)', async ({ skip }) => {
      const store = await open('first');
      if (store.releaseRunLeases === undefined) return skip(`${fixture.name} has no releaseRunLeases; the scheduler releases one at a time`);
      const lease = (taskId: string, runId: string) => ({ taskId, runId, owner: 'first', scheduledAt: 1 });
      for (const [taskId, runId] of [['a', 'a1'], ['b', 'b1'], ['c', 'c1']] as const) expect(await store.acquireRunLease(lease(taskId, runId), 1, 60 * SECOND)).toBe(true);
      // "c1" named with the wrong task is not released
      await store.releaseRunLeases([{ taskId: 'a', runId: 'a1' }, { taskId: 'b', runId: 'b1' }, { taskId: 'a', runId: 'c1' }]);
      expect(await store.acquireRunLease(lease('a', 'a2'), 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease(lease('b', 'b2'), 1, 60 * SECOND)).toBe(true);
      expect(await store.acquireRunLease(lease('c', 'c2'), 1, 60 * SECOND)).toBe(false);
    });

    if (fixture.persistent) {
      it('tells other instances when a task is added or moved', async () => {
        const wake = vi.fn();
        await open('watcher', wake);
        const writer = await open('writer');
        wake.mockClear();
        await writer.addTask(row(fixture, 'news', Date.now() + 60 * SECOND));
        await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5_000, interval: 20 });
        wake.mockClear();
        await writer.updateTask(row(fixture, 'news', Date.now() + 1 * SECOND, 2));
        await vi.waitFor(() => expect(wake).toHaveBeenCalled(), { timeout: 5_000, interval: 20 });
      });
    }
  });
}
