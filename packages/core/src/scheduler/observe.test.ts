import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { MemoryStore } from '../stores/memory.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InlineExecutor } from '../executors/inline.js';
import { FileStore } from '../stores/file/file-store.js';
import { testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A worker that runs `work` and an observer on the same store, which defines it too. */
async function pair() {
  const store = new MemoryStore();
  const { scheduler: worker } = testScheduler({ instanceId: 'worker', stores: { default: store } });
  const { scheduler: observer } = testScheduler({ instanceId: 'observer', stores: { default: store } });
  const ran = { worker: [] as string[], observer: [] as string[] };
  worker.define('work', (_args: unknown, ctx) => void ran.worker.push(ctx.taskId));
  observer.define('work', (_args: unknown, ctx) => void ran.observer.push(ctx.taskId));
  await worker.start();
  await observer.start({ observe: true });
  return { worker, observer, ran };
}

describe('a scheduler started to observe', () => {
  it('runs nothing, due tasks and shutdown tasks included, and is not listed among the instances', async () => {
    const { worker, observer, ran } = await pair();
    await observer.addTask({ id: 'every-second', handler: 'work', trigger: { type: 'interval', seconds: 1 } });
    await observer.addTask({ id: 'at-shutdown', handler: 'work', trigger: 'shutdown' });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ran.worker.filter((id) => id === 'every-second')).toHaveLength(3);
    expect(ran.observer).toEqual([]);
    expect(observer.state).toBe('paused');
    expect((await worker.getInstances()).map((instance) => instance.instanceId)).toEqual(['worker']);
    expect((await observer.getInstances()).map((instance) => [instance.instanceId, instance.self])).toEqual([['worker', false]]);
    await observer.shutdown();
    expect(ran.observer).toEqual([]);
    await worker.shutdown();
    expect(ran.worker).toContain('at-shutdown');
  });

  it('changes tasks that the running instances then follow', async () => {
    const { worker, observer, ran } = await pair();
    await worker.addTask({ id: 'hourly', handler: 'work', trigger: { type: 'interval', hours: 1 } });
    await observer.pauseTask('hourly');
    expect((await worker.getTaskInfo('hourly'))?.state).toBe('paused');
    await observer.resumeTask('hourly');
    // "Run now" from an observer: the next run time moved to now; a worker runs it, and the
    // schedule goes on as before.
    await observer.updateTask('hourly', { nextRunTime: Date.now() });
    worker.wakeup();
    await vi.advanceTimersByTimeAsync(10);
    expect(ran.worker).toEqual(['hourly']);
    expect((await observer.getTaskInfo('hourly'))?.nextRunTime).toEqual(new Date(start + 3_600_000));
    await observer.shutdown();
    await worker.shutdown();
  });

  it('refuses to resume or to run a task itself, and an unknown start option', async () => {
    const { worker, observer } = await pair();
    await worker.addTask({ id: 'hourly', handler: 'work', trigger: { type: 'interval', hours: 1 } });
    expect(() => observer.resume()).toThrow(/started with \{ observe: true \}/);
    await expect(observer.runTask('hourly')).rejects.toThrow(/Cannot run task "hourly" here/);
    const { scheduler: other } = testScheduler({});
    const refused = await other.start({ observer: true } as never).catch((error: unknown) => error);
    expect(isHoraeError(refused, 'INVALID_OPTION')).toBe(true);
    expect((refused as Error).message).toMatch(/did you mean "observe"/);
    await observer.shutdown();
    await worker.shutdown();
  });

  it('changes, on a shared store, tasks whose handler and executor only the running instances define', async () => {
    vi.useRealTimers();
    const directory = await mkdtemp(join(tmpdir(), 'horae-observe-'));
    const { scheduler: worker } = testScheduler({ instanceId: 'worker', stores: { default: new FileStore({ directory }) } });
    worker.define('export', () => undefined);
    worker.addExecutor('exports', new InlineExecutor());
    await worker.start();
    await worker.addTask({ id: 'nightly', handler: 'export', executor: 'exports', trigger: { type: 'cron', expression: '0 3 * * *' } });
    const { scheduler: observer } = testScheduler({ instanceId: 'observer', stores: { default: new FileStore({ directory }) } });
    await observer.start({ observe: true });
    await observer.updateTask('nightly', { nextRunTime: Date.parse('2030-01-01T00:00:00Z') });
    await observer.rescheduleTask('nightly', { type: 'cron', expression: '30 2 * * *' });
    expect(await worker.getTaskInfo('nightly')).toMatchObject({ triggerDescription: "cron '30 2 * * *' (UTC)", handler: 'export', executor: 'exports' });
    // A worker still refuses what it could not run.
    await expect(worker.addTask({ id: 'other', handler: 'missing', trigger: 'date' })).rejects.toThrow(/no handler named "missing"/);
    await observer.shutdown();
    await worker.shutdown();
    await rm(directory, { recursive: true, force: true });
  });

  it('leaves a record it cannot read where it is, and says so, where a worker would quarantine it', async () => {
    vi.useRealTimers();
    const directory = await mkdtemp(join(tmpdir(), 'horae-observe-'));
    const { scheduler: worker } = testScheduler({ instanceId: 'worker', encryptionKey: 'the right key', stores: { default: new FileStore({ directory }) } });
    worker.define('work', () => undefined);
    await worker.start();
    await worker.addTask({ id: 'secret', handler: 'work', trigger: { type: 'interval', hours: 1 } });
    const { scheduler: observer, logger } = testScheduler({ instanceId: 'observer', encryptionKey: 'a wrong key', stores: { default: new FileStore({ directory }) } });
    await observer.start({ observe: true });
    expect(await observer.getTaskInfos()).toEqual([]);
    expect(await observer.getTaskInfo('secret')).toBeNull();
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      expect.stringMatching(/^Task "secret" in store "default" was left out: the record cannot be read: .*It stays in the store/),
      expect.stringMatching(/^Task "secret" in store "default" was left out/),
    ]);
    expect(await observer.getQuarantinedTasks()).toEqual([]);
    expect((await worker.getTaskInfo('secret'))?.state).toBe('scheduled');
    await observer.shutdown();
    await worker.shutdown();
    await rm(directory, { recursive: true, force: true });
  });
});
