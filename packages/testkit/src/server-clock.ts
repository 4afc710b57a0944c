import type { StoredTask, TaskStore } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreBackend, StoreFixture } from './fixture.js';
import { openedStores, row } from './store-contract.js';

const SECOND = 1_000;

/**
 * For stores that claim by their server's clock (Redis `TIME`, MongoDB `$$NOW`): due-ness and
 * lease expiry follow that clock, whatever the callers' clocks say, so instances whose clocks
 * differ never take each other's claims. Runs when the fixture can read the server's clock.
 */
export function serverClockSuite(fixture: StoreFixture & { serverClock: NonNullable<StoreFixture['serverClock']> }): void {
  describe(`${fixture.name}: claims on the server's clock`, () => {
    let backend: StoreBackend;
    const stores = openedStores(() => backend);
    const open = stores.open;
    const serverNow = (): Promise<number> => fixture.serverClock(backend);

    beforeEach(async () => {
      backend = await fixture.backend();
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await stores.shutdownAll();
      await backend.cleanup();
    });

    it("measures due-ness and lease expiry on the server's clock, ignoring the caller's", async () => {
      const first = await open('first');
      const second = await open('second');
      const start = await serverNow();
      await first.addTask(row(fixture, 'due-by-server', start - 50));
      await first.addTask(row(fixture, 'due-only-by-callers-clock', start + 30 * SECOND));
      // A caller whose clock is a minute behind still gets what the server says is due, and one
      // whose clock is an hour ahead gets nothing more.
      const lease = 3 * SECOND;
      const before = await serverNow();
      const claimed = await first.claimDueTasks({ now: start - 60 * SECOND, limit: 10, owner: 'first', duration: lease });
      const after = await serverNow();
      expect(claimed.map((task) => task.id)).toEqual(['due-by-server']);
      // Under the claim, the task's next chance is the claim's expiry, on the server's clock.
      const expiry = (await second.getNextRunTime())!;
      expect(expiry).toBeGreaterThanOrEqual(Math.floor(before) + lease);
      expect(expiry).toBeLessThanOrEqual(Math.ceil(after) + lease);
      expect(await second.claimDueTasks({ now: Date.now() + 3_600 * SECOND, limit: 10, owner: 'second', duration: lease })).toEqual([]);
      vi.spyOn(Date, 'now').mockImplementation(() => expiry + 3_600 * SECOND);
      expect(await second.claimTask('due-by-server', { owner: 'second', duration: lease })).toBeNull();
      vi.restoreAllMocks();
      // Another instance gets it once the server's clock passes the expiry, and not before.
      let taken: StoredTask[] = [];
      await vi.waitFor(
        async () => {
          taken = await second.claimDueTasks({ now: 0, limit: 10, owner: 'second', duration: 60 * SECOND });
          expect(taken).not.toEqual([]);
        },
        { timeout: 15 * SECOND, interval: 50 },
      );
      expect(await serverNow()).toBeGreaterThanOrEqual(expiry);
      expect(taken.map((task) => task.id)).toEqual(['due-by-server']);
    });

    it('never lets two instances whose clocks differ by 5 s claim the same task', async () => {
      const behind = await open('behind');
      const ahead = await open('ahead');
      const realNow = Date.now.bind(Date);
      const base = await serverNow();
      for (let i = 0; i < 20; i++) await behind.addTask(row(fixture, `t${i}`, base - 1_000 + i));
      // Each instance reads its own clock, as its scheduler would; "ahead" is 5 s past "behind".
      // Leases (3 s) shorter than the skew (5 s): by its own clock "ahead" sees every lease of
      // "behind" as expired.
      const claimAs = async (store: TaskStore, owner: string, skew: number) => {
        vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
        try {
          return await store.claimDueTasks({ now: Date.now(), limit: 5, owner, duration: 3 * SECOND });
        } finally {
          vi.restoreAllMocks();
        }
      };
      const rounds = await Promise.all([0, 1, 2, 3, 4, 5].map((round) => (round % 2 === 0 ? claimAs(behind, 'behind', 0) : claimAs(ahead, 'ahead', 5 * SECOND))));
      // A claim call that loses candidates to a concurrent one may come back short (the scheduler
      // asks again); asking again, in turn, takes what is left, still never a task twice.
      const ids = rounds.flat().map((task) => task.id);
      for (let round = 0; ; round++) {
        const more = await (round % 2 === 0 ? claimAs(ahead, 'ahead', 5 * SECOND) : claimAs(behind, 'behind', 0));
        if (more.length === 0) break;
        ids.push(...more.map((task) => task.id));
      }
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
      // With the caller's clock, "ahead" would take every claim of "behind".
      expect(await claimAs(ahead, 'ahead', 5 * SECOND)).toEqual([]);
      expect(await claimAs(ahead, 'ahead', 60 * SECOND)).toEqual([]);
    });
  });
}
