import { Scheduler, type StoredRun } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreBackend, StoreFixture } from './fixture.js';
import { openedStores } from './store-contract.js';

const HOUR = 3_600_000;

/**
 * The run history (the optional `addRuns` / `getRuns` of the store contract): shared by every
 * instance of a backend, newest first, paged, and bounded per task and by age. A store that
 * keeps no history skips these tests, saying so.
 */
export function historyContractSuite(fixture: StoreFixture): void {
  describe(`${fixture.name}: the run history`, () => {
    let backend: StoreBackend;
    const schedulers: Scheduler[] = [];
    const stores = openedStores(() => backend);
    const open = stores.open;
    const run = (taskId: string, runId: string, endedAt: number): StoredRun => ({
      taskId,
      runId,
      endedAt,
      payload: fixture.persistent ? JSON.stringify({ runId, note: 'opaque' }) : { runId },
    });
    const ids = (runs: StoredRun[]) => runs.map((found) => found.runId);

    beforeEach(async () => {
      backend = await fixture.backend();
    });
    afterEach(async () => {
      for (const scheduler of schedulers.splice(0)) await scheduler.shutdown({ wait: false });
      await stores.shutdownAll();
      await backend.cleanup();
    });

    it('shares runs between instances, newest first, payloads verbatim, paged by limit and before', async ({ skip }) => {
      const first = await open('first');
      if (first.addRuns === undefined || first.getRuns === undefined) return skip(`${fixture.name} keeps no run history`);
      const second = await open('second');
      const now = Date.now();
      const retention = { perTask: 50, maxAge: HOUR, now };
      await first.addRuns([run('report', 'r1', now - 3_000), run('other', 'o1', now - 2_500)], retention);
      await second.addRuns!([run('report', 'r3', now - 1_000), run('report', 'r2', now - 2_000)], retention);
      const all = await first.getRuns('report', { limit: 10 });
      expect(ids(all)).toEqual(['r3', 'r2', 'r1']);
      expect(all[0]).toEqual(run('report', 'r3', now - 1_000));
      expect(ids(await second.getRuns!('report', { limit: 2 }))).toEqual(['r3', 'r2']);
      expect(ids(await second.getRuns!('report', { limit: 10, before: now - 1_000 }))).toEqual(['r2', 'r1']);
      expect(ids(await second.getRuns!('other', { limit: 10 }))).toEqual(['o1']);
      expect(await second.getRuns!('nobody', { limit: 10 })).toEqual([]);
    });

    it('keeps the newest runs per task, whatever the order they come in', async ({ skip }) => {
      const store = await open();
      if (store.addRuns === undefined || store.getRuns === undefined) return skip(`${fixture.name} keeps no run history`);
      const now = Date.now();
      const retention = { perTask: 3, maxAge: HOUR, now };
      for (let i = 1; i <= 5; i++) await store.addRuns([run('tick', `t${i}`, now - HOUR / 2 + 10 * i)], retention);
      expect(ids(await store.getRuns('tick', { limit: 10 }))).toEqual(['t5', 't4', 't3']);
      // A run that ended before the newest ones (an instance whose batch came late) takes its place among them.
      await store.addRuns([run('tick', 'late', now - HOUR / 2 + 45), run('tock', 'k1', now)], retention);
      expect(ids(await store.getRuns('tick', { limit: 10 }))).toEqual(['t5', 'late', 't4']);
      expect(ids(await store.getRuns('tock', { limit: 10 }))).toEqual(['k1']);
    });

    it('shows a run made by one scheduler to another sharing the store', async ({ skip }) => {
      const probe = backend.open();
      if (probe.addRuns === undefined) return skip(`${fixture.name} keeps no run history`);
      const scheduler = (instanceId: string) => {
        const made = new Scheduler({ timezone: 'UTC', instanceId, stores: { default: backend.open() }, logger: { debug() {}, info() {}, warn() {}, error() {} } });
        made.define('report', () => ({ rows: 3 }));
        schedulers.push(made);
        return made;
      };
      const worker = scheduler('worker');
      const viewer = scheduler('viewer');
      await worker.start();
      await viewer.start({ paused: true });
      await worker.addTask({ id: 'report', handler: 'report', trigger: { type: 'interval', hours: 1 } });
      await worker.runTask('report');
      await expect.poll(async () => (await worker.getRuns('report')).length, { timeout: 5_000, interval: 20 }).toBe(1);
      const [seen] = await viewer.getRuns('report');
      expect(seen).toMatchObject({ taskId: 'report', instanceId: 'worker', outcome: 'succeeded', result: '{"rows":3}' });
    });
  });
}
