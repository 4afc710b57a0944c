import { describe, expect, it } from 'vitest';
import type { StoredTask } from './store.js';
import { MemoryStore } from './memory.js';

// The store contract itself is checked for every store by the conformance suite in
// packages/testkit; these tests cover what is particular to the memory store.

const row = (id: string, nextRunTime: number | null, revision = 1): StoredTask => ({ id, nextRunTime, revision, payload: { id } });

describe('MemoryStore', () => {
  it('stays ordered through thousands of random adds, updates and deletes', async () => {
    const store = new MemoryStore();
    await store.start({ alias: 'mem' });
    const model = new Map<string, number | null>();
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 5_000; step++) {
      const id = `t${Math.floor(random() * 500)}`;
      const time = random() < 0.1 ? null : Math.floor(random() * 10_000);
      if (!model.has(id)) {
        await store.addTask(row(id, time));
        model.set(id, time);
      } else if (random() < 0.3) {
        await store.deleteTask(id);
        model.delete(id);
      } else {
        await store.updateTask(row(id, time, step + 2));
        model.set(id, time);
      }
    }
    const expected = [...model.values()].filter((time): time is number => time !== null).sort((a, b) => a - b);
    expect(await store.getNextRunTime()).toBe(expected[0]);
    const claimed = await store.claimDueTasks({ now: 10_000, limit: Infinity, owner: 'me', duration: 1_000_000 });
    expect(claimed.map((task) => task.nextRunTime)).toEqual(expected);
    expect(await store.getNextRunTime()).toBe(1_010_000);
  });

  it('keeps live payloads as they are, without copying', async () => {
    const store = new MemoryStore();
    const payload = { handler: () => 42 };
    await store.addTask({ id: 'live', nextRunTime: 1, revision: 1, payload });
    expect((await store.lookupTask('live'))?.payload).toBe(payload);
  });
});
