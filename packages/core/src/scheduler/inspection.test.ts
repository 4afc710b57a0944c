import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InlineExecutor } from '../executors/inline.js';
import { MemoryStore } from '../stores/memory.js';
import { testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

async function populated() {
  const harness = testScheduler({
    timezone: 'Europe/Berlin',
    stores: { default: new MemoryStore(), archive: new MemoryStore() },
    executors: { inline: new InlineExecutor() },
  });
  const { scheduler } = harness;
  scheduler.define('report', () => undefined);
  scheduler.define('cleanup', () => undefined);
  await scheduler.start();
  await scheduler.addTask({ id: 'nightly', name: 'Nightly report', handler: 'report', trigger: { type: 'cron', expression: '0 3 * * *' } });
  await scheduler.addTask({ id: 'purge', name: 'Purge temp files', handler: 'cleanup', trigger: { type: 'interval', minutes: 15 }, executor: 'inline' });
  await scheduler.addTask({ id: 'old', name: 'Archive sweep', handler: 'cleanup', store: 'archive', trigger: { type: 'interval', hours: 6 }, nextRunTime: null });
  await scheduler.addTask({ id: 'bye', name: 'Flush', handler: 'report', trigger: 'shutdown' });
  return harness;
}

describe('task inspection', () => {
  it('describes a task in a frozen snapshot', async () => {
    const { scheduler } = await populated();
    const info = await scheduler.getTaskInfo('nightly');
    expect(info).toEqual({
      id: 'nightly',
      name: 'Nightly report',
      handler: 'report',
      args: undefined,
      trigger: 'cron',
      triggerDescription: "cron '0 3 * * *' (Europe/Berlin)",
      triggerOptions: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Berlin' },
      executor: 'default',
      store: 'default',
      state: 'scheduled',
      nextRunTime: new Date('2026-01-01T02:00:00Z'),
      coalesce: true,
      misfireGraceTime: 1_000,
      maxInstances: 1,
      jitter: null,
      runningInstances: 0,
    });
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info!.triggerOptions)).toBe(true);
    expect(() => ((info as { name: string }).name = 'changed')).toThrow(TypeError);
    expect(await scheduler.getTaskInfo('missing')).toBeNull();
    await scheduler.shutdown();
  });

  it('sorts by next run time by default, tasks without one last', async () => {
    const { scheduler } = await populated();
    expect((await scheduler.getTaskInfos()).map((info) => info.id)).toEqual(['purge', 'nightly', 'bye', 'old']);
    expect((await scheduler.getTaskInfos({ descending: true })).map((info) => info.id)).toEqual(['nightly', 'purge', 'bye', 'old']);
    await scheduler.shutdown();
  });

  it('filters by store, state, executor, trigger alias or class, due time, and text', async () => {
    const { scheduler } = await populated();
    const ids = async (query: Parameters<typeof scheduler.getTaskInfos>[0]) => (await scheduler.getTaskInfos(query)).map((info) => info.id);
    expect(await ids({ store: 'archive' })).toEqual(['old']);
    expect(await ids({ state: 'paused' })).toEqual(['old']);
    expect(await ids({ executor: 'inline' })).toEqual(['purge']);
    expect(await ids({ trigger: 'interval', sortBy: 'id' })).toEqual(['old', 'purge']);
    expect(await ids({ trigger: 'CronTrigger' })).toEqual(['nightly']);
    expect(await ids({ q: 'REPORT' })).toEqual(['nightly', 'bye']);
    expect(await ids({ q: 'every 15' })).toEqual(['purge']);
    expect(await ids({ dueBefore: '2026-01-01T01:00:00Z' })).toEqual(['purge']);
    await expect(scheduler.getTaskInfos({ store: 'nope' })).rejects.toThrowError(/no store with alias "nope"/);
    await scheduler.shutdown();
  });

  it('sorts by any field, either way', async () => {
    const { scheduler } = await populated();
    const ids = async (query: Parameters<typeof scheduler.getTaskInfos>[0]) => (await scheduler.getTaskInfos(query)).map((info) => info.id);
    expect(await ids({ sortBy: 'name' })).toEqual(['old', 'bye', 'nightly', 'purge']);
    expect(await ids({ sortBy: 'name', descending: true })).toEqual(['purge', 'nightly', 'bye', 'old']);
    expect(await ids({ sortBy: 'store' })).toEqual(['old', 'bye', 'nightly', 'purge']);
    expect(await ids({ sortBy: 'state' })).toEqual(['old', 'bye', 'nightly', 'purge']);
    expect(await ids({ sortBy: 'trigger' })).toEqual(['nightly', 'old', 'purge', 'bye']);
    expect(await ids({ sortBy: 'executor' })).toEqual(['bye', 'nightly', 'old', 'purge']);
    await scheduler.shutdown();
  });

  it('shows a running task as running', async () => {
    const { scheduler } = testScheduler();
    scheduler.define('hang', () => new Promise(() => undefined));
    await scheduler.start();
    await scheduler.addTask({ id: 'h', handler: 'hang', trigger: { type: 'interval', hours: 1 } });
    await scheduler.runTask('h');
    expect(await scheduler.getTaskInfo('h')).toMatchObject({ state: 'running', runningInstances: 1 });
    expect((await scheduler.getTaskInfos({ state: 'running' })).map((info) => info.id)).toEqual(['h']);
    await scheduler.shutdown({ wait: false });
  });
});
