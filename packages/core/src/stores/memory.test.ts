import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { taskRecord, type TaskRecord } from '../tasks/task.js';
import { ShutdownTrigger } from '../triggers/shutdown.js';
import { MemoryStore } from './memory.js';

const record = (id: string, nextRunTime: number | null, revision = 1): TaskRecord =>
  taskRecord({
    id,
    name: id,
    handler: 'h',
    args: undefined,
    trigger: new ShutdownTrigger(),
    executor: 'default',
    coalesce: true,
    misfireGraceTime: 1000,
    maxInstances: 1,
    jitter: null,
    nextRunTime,
    revision,
  });

async function started(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.start({ alias: 'mem' });
  return store;
}

describe('MemoryStore', () => {
  it('adds, looks up, updates and deletes, with typed errors for conflicts and unknown ids', async () => {
    const store = await started();
    await store.addTask(record('a', 10));
    await expect(store.addTask(record('a', 20))).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID'));
    expect((await store.lookupTask('a'))?.nextRunTime).toBe(10);
    await store.updateTask(record('a', 30, 2));
    expect((await store.lookupTask('a'))?.nextRunTime).toBe(30);
    await expect(store.updateTask(record('zz', 1))).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
    await store.deleteTask('a');
    expect(await store.lookupTask('a')).toBeNull();
    await expect(store.deleteTask('a')).rejects.toThrowError(/No task with id "a" in store "mem"/);
  });

  it('lists by next run time with paused tasks last and reports the earliest', async () => {
    const store = await started();
    for (const [id, time] of [['c', 30], ['p', null], ['a', 10], ['b', 20]] as const) await store.addTask(record(id, time));
    expect((await store.getAllTasks()).map((task) => task.id)).toEqual(['a', 'b', 'c', 'p']);
    expect(await store.getNextRunTime()).toBe(10);
    await store.updateTask(record('c', 5, 2));
    expect(await store.getNextRunTime()).toBe(5);
    await store.removeAllTasks();
    expect(await store.getAllTasks()).toEqual([]);
    expect(await store.getNextRunTime()).toBeNull();
  });

  it('claims due tasks earliest first, up to the limit, and holds them until released', async () => {
    const store = await started();
    for (const [id, time] of [['late', 50], ['b', 20], ['a', 10], ['c', 30]] as const) await store.addTask(record(id, time));
    const first = await store.claimDueTasks(30, 2);
    expect(first.map((task) => task.id)).toEqual(['a', 'b']);
    expect((await store.claimDueTasks(30, 10)).map((task) => task.id)).toEqual(['c']);
    expect(await store.claimDueTasks(30, 10)).toEqual([]);
    // claimed tasks are still visible, but not "next"
    expect(await store.lookupTask('a')).not.toBeNull();
    expect(await store.getNextRunTime()).toBe(50);
    await store.releaseTask({ id: 'a', claimedRevision: 1, nextRunTime: 40, removeWhenFinished: true });
    expect(await store.getNextRunTime()).toBe(40);
    expect((await store.lookupTask('a'))?.revision).toBe(2);
    await store.releaseTask({ id: 'b', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true });
    expect(await store.lookupTask('b')).toBeNull();
    await store.releaseTask({ id: 'c', claimedRevision: 1, nextRunTime: null, removeWhenFinished: false });
    expect((await store.lookupTask('c'))?.nextRunTime).toBeNull();
  });

  it('keeps a change made while a task was claimed instead of the stale release', async () => {
    const store = await started();
    await store.addTask(record('a', 10));
    const [claimed] = await store.claimDueTasks(10, 1);
    await store.updateTask(record('a', 500, claimed!.revision + 1)); // e.g. the user rescheduled it
    await store.releaseTask({ id: 'a', claimedRevision: claimed!.revision, nextRunTime: 20, removeWhenFinished: true });
    expect((await store.lookupTask('a'))?.nextRunTime).toBe(500);
    expect(await store.getNextRunTime()).toBe(500);
  });

  it('stays ordered through thousands of random adds, updates and deletes', async () => {
    const store = await started();
    const model = new Map<string, number | null>();
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let step = 0; step < 5_000; step++) {
      const id = `t${Math.floor(random() * 500)}`;
      const time = random() < 0.1 ? null : Math.floor(random() * 10_000);
      if (!model.has(id)) {
        await store.addTask(record(id, time));
        model.set(id, time);
      } else if (random() < 0.3) {
        await store.deleteTask(id);
        model.delete(id);
      } else {
        await store.updateTask(record(id, time, step + 2));
        model.set(id, time);
      }
    }
    const expected = [...model.values()].filter((time): time is number => time !== null).sort((a, b) => a - b);
    expect(await store.getNextRunTime()).toBe(expected[0]);
    const claimed = await store.claimDueTasks(Infinity, Infinity);
    expect(claimed.map((task) => task.nextRunTime)).toEqual(expected);
  });
});
