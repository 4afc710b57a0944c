import type { TaskStore } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreBackend, StoreFixture } from './fixture.js';
import { openedStores } from './store-contract.js';

const SECOND = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The cluster view (the optional `beatInstance` / `getInstances` / `removeInstance` and
 * `getRunLeases` of the store contract): every instance of a backend sees the instances alive
 * and the runs each holds. A store without them skips these tests, saying so.
 */
export function clusterContractSuite(fixture: StoreFixture): void {
  describe(`${fixture.name}: the instances alive and their runs`, () => {
    let backend: StoreBackend;
    const stores = openedStores(() => backend);
    const open = stores.open;
    const payload = (text: string) => (fixture.persistent ? JSON.stringify({ text }) : { text });

    beforeEach(async () => {
      backend = await fixture.backend();
    });
    afterEach(async () => {
      await stores.shutdownAll();
      await backend.cleanup();
    });

    it('lists the instances whose beat has not expired, with their latest payload, until they leave', async ({ skip }) => {
      const first = await open('first');
      if (first.beatInstance === undefined || first.getInstances === undefined || first.removeInstance === undefined) {
        return skip(`${fixture.name} lists no instances`);
      }
      const second = await open('second');
      await first.beatInstance('first', payload('v1'), 60 * SECOND);
      await first.beatInstance('first', payload('v2'), 60 * SECOND);
      await second.beatInstance!('second', payload('s'), 60 * SECOND);
      await second.beatInstance!('brief', payload('b'), 300);
      const byId = async (store: TaskStore) => new Map((await store.getInstances!()).map((instance) => [instance.instanceId, instance]));
      const seen = await byId(second);
      expect([...seen.keys()].sort()).toEqual(['brief', 'first', 'second']);
      expect(seen.get('first')!.payload).toEqual(payload('v2'));
      expect(seen.get('first')!.expiresAt).toBeGreaterThan(Date.now() + 50 * SECOND);
      await sleep(600);
      expect([...(await byId(first)).keys()].sort()).toEqual(['first', 'second']);
      await second.removeInstance!('second');
      expect([...(await byId(first)).keys()]).toEqual(['first']);
    });

    it('lists the run leases alive, of every instance, with their expiry', async ({ skip }) => {
      const first = await open('first');
      if (first.getRunLeases === undefined) return skip(`${fixture.name} does not list run leases`);
      const second = await open('second');
      const lease = (owner: string, taskId: string, runId: string) => ({ owner, taskId, runId, scheduledAt: 1_000 });
      expect(await first.acquireRunLease(lease('first', 'export', 'e1'), 2, 60 * SECOND)).toBe(true);
      expect(await second.acquireRunLease(lease('second', 'export', 'e2'), 2, 60 * SECOND)).toBe(true);
      expect(await second.acquireRunLease(lease('second', 'report', 'r1'), 1, 300)).toBe(true);
      const listed = (await first.getRunLeases()).sort((a, b) => (a.runId < b.runId ? -1 : 1));
      expect(listed.map(({ expiresAt: _expiry, ...rest }) => rest)).toEqual([lease('first', 'export', 'e1'), lease('second', 'export', 'e2'), lease('second', 'report', 'r1')]);
      expect(listed[0]!.expiresAt).toBeGreaterThan(Date.now() + 50 * SECOND);
      await sleep(600);
      await first.releaseRunLease('export', 'e1');
      expect((await second.getRunLeases!()).map((held) => held.runId)).toEqual(['e2']);
    });
  });
}
