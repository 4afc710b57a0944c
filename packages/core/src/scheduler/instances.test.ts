import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../stores/memory.js';
import { deferred, PersistentMemoryStore, testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the instances sharing a store', () => {
  it('lists every instance alive, this one first, with its host, handlers and the runs it holds', async () => {
    const store = new MemoryStore();
    const { scheduler: worker } = testScheduler({ instanceId: 'worker', stores: { default: store } });
    const { scheduler: viewer } = testScheduler({ instanceId: 'viewer', stores: { default: store } });
    const release = deferred();
    worker.define('export', () => release.promise);
    viewer.define('report', () => undefined);
    await worker.start();
    await viewer.start({ paused: true });
    await worker.addTask({ id: 'export', handler: 'export', trigger: { type: 'interval', seconds: 10 } });
    await vi.advanceTimersByTimeAsync(10_000);

    const listed = await viewer.getInstances();
    expect(listed.map((instance) => [instance.instanceId, instance.self])).toEqual([['viewer', true], ['worker', false]]);
    expect(listed[1]).toMatchObject({ hostname: hostname(), pid: process.pid, startedAt: new Date(start), handlers: ['export'], stores: ['default'] });
    // A memory store: the instance is alive as long as it is listed, with no expiry to show.
    expect(listed[1]!.aliveUntil).toBeNull();
    expect(listed[1]!.runs).toEqual([expect.objectContaining({ taskId: 'export', store: 'default', scheduledAt: new Date(start + 10_000) })]);
    expect(listed[0]).toMatchObject({ handlers: ['report'], runs: [] });

    release.resolve();
    await worker.shutdown();
    expect((await viewer.getInstances()).map((instance) => instance.instanceId)).toEqual(['viewer']);
    await viewer.shutdown();
  });

  it('drops an instance three beats after its last, and shows a dead one by its runs until their leases expire', async () => {
    // Persistent, as a store shared between processes is: there, instances beat.
    const store = new PersistentMemoryStore();
    const { scheduler } = testScheduler({ instanceId: 'viewer', stores: { default: store }, leaseDuration: 1_000 });
    await scheduler.start({ paused: true });
    // Another process that beat once, and took a run lease, then died.
    await store.beatInstance('ghost', JSON.stringify({ v: 1, hostname: 'elsewhere', pid: 7, startedAt: start, handlers: [] }), 3_000);
    await store.acquireRunLease({ taskId: 'export', runId: 'r1', owner: 'ghost', scheduledAt: start }, 1, 5_000);
    expect((await scheduler.getInstances()).find((instance) => instance.instanceId === 'ghost')).toMatchObject({ hostname: 'elsewhere', runs: [expect.objectContaining({ runId: 'r1' })] });
    await vi.advanceTimersByTimeAsync(3_500);
    expect((await scheduler.getInstances()).find((instance) => instance.instanceId === 'ghost')).toMatchObject({ hostname: null, aliveUntil: null, runs: [expect.objectContaining({ runId: 'r1' })] });
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await scheduler.getInstances()).map((instance) => instance.instanceId)).toEqual(['viewer']);
    // This one keeps beating: still listed long after its first beat would have expired.
    await vi.advanceTimersByTimeAsync(60_000);
    const [self] = await scheduler.getInstances();
    expect(self).toMatchObject({ instanceId: 'viewer', self: true });
    expect(self!.aliveUntil!.getTime()).toBeGreaterThan(Date.now());
    await scheduler.shutdown();
  });
});
