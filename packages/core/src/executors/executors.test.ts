import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { moduleHandler, type RunContext } from '../tasks/task.js';
import { deferred, testScheduler } from '../../test/harness.js';
import { InlineExecutor } from './inline.js';
import { WorkerExecutor } from './worker.js';

const fixtures = new URL('./fixtures/worker-handlers.mjs', import.meta.url);

afterEach(() => {
  vi.useRealTimers();
});

describe('async executor', () => {
  it('runs handlers concurrently up to maxInstances', async () => {
    vi.useFakeTimers({ now: 0 });
    const { scheduler, ofType } = testScheduler();
    const gate = deferred();
    let active = 0;
    let peak = 0;
    scheduler.define('slow', async () => {
      active++;
      peak = Math.max(peak, active);
      await gate.promise;
      active--;
    });
    await scheduler.addTask({ handler: 'slow', trigger: { type: 'interval', seconds: 1 }, maxInstances: 2 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(peak).toBe(2);
    expect(ofType('task:max-instances')).toHaveLength(1);
    gate.resolve();
    await scheduler.shutdown();
    expect(active).toBe(0);
  });
});

describe('inline executor', () => {
  it('runs each handler to completion before dispatching the next', async () => {
    vi.useFakeTimers({ now: 0 });
    const { scheduler } = testScheduler({ executors: { default: new InlineExecutor() } });
    const log: string[] = [];
    scheduler.define('step', async (name: string) => {
      log.push(`${name}:start`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      log.push(`${name}:end`);
    });
    await scheduler.addTask({ handler: 'step', args: 'a', trigger: { type: 'date', runAt: 1_000 } });
    await scheduler.addTask({ handler: 'step', args: 'b', trigger: { type: 'date', runAt: 1_000 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_300);
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
    await scheduler.shutdown();
  });
});

describe('worker executor', () => {
  it('runs a module handler on another thread and reports its result', async () => {
    const { scheduler, ofType, logger } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 2 }) } });
    scheduler.define('sum', moduleHandler(fixtures));
    const done = new Promise((resolve) => scheduler.once('task:executed', resolve));
    await scheduler.addTask({ id: 'sum', handler: 'sum', executor: 'cpu', args: { upTo: 1_000 } });
    await scheduler.start();
    await done;
    const [executed] = ofType('task:executed');
    const result = executed!.result as { sum: number; threadId: number; taskId: string; scheduledAt: string };
    expect(result.sum).toBe((1_000 * 1_001 * 2_001) / 6);
    expect(result.threadId).not.toBe(0);
    expect(result.taskId).toBe('sum');
    expect(result.scheduledAt).toBe(executed!.scheduledAt.toISOString());
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'summed up to 1000' }));
    await scheduler.shutdown();
  });

  it('turns an error thrown on the worker into task:error with its name, message and code', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('fails', moduleHandler(fixtures, 'fails'));
    const failed = new Promise((resolve) => scheduler.once('task:error', resolve));
    await scheduler.addTask({ handler: 'fails', executor: 'cpu' });
    await scheduler.start();
    await failed;
    const error = ofType('task:error')[0]!.error as Error & { code: string };
    expect([error.name, error.message, error.code]).toEqual(['RangeError', 'worker boom', 'E_WORKER']);
    await scheduler.shutdown();
  });

  it('runs more jobs than threads by queueing them', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('sum', moduleHandler(fixtures));
    let finished = 0;
    const all = new Promise<void>((resolve) => scheduler.on('task:executed', () => void (++finished === 4 && resolve())));
    for (let i = 1; i <= 4; i++) await scheduler.addTask({ handler: 'sum', executor: 'cpu', args: { upTo: i } });
    await scheduler.start();
    await all;
    expect(ofType('task:executed').map((event) => (event.result as { sum: number }).sum).sort((a, b) => a - b)).toEqual([1, 5, 14, 30]);
    expect(new Set(ofType('task:executed').map((event) => (event.result as { threadId: number }).threadId)).size).toBe(1);
    await scheduler.shutdown();
  });

  it('carries ctx.signal across the thread boundary on shutdown timeout', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('wait', moduleHandler(fixtures, 'waitsForAbort'));
    await scheduler.addTask({ handler: 'wait', executor: 'cpu' });
    const submitted = new Promise((resolve) => scheduler.once('task:submitted', resolve));
    await scheduler.start();
    await submitted;
    await scheduler.shutdown({ timeout: 200 });
    await vi.waitFor(() => expect(ofType('task:error')).toHaveLength(1));
    const error = ofType('task:error')[0]!.error;
    expect(isHoraeError(error, 'TASK_ABORTED')).toBe(true);
    expect((error as Error).message).toBe('The run was aborted: the scheduler shut down.');
  });

  it('terminates a thread whose handler ignores the abort, so shutdown completes', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1, abortGrace: 50 }) } });
    scheduler.define('stubborn', moduleHandler(fixtures, 'ignoresAbort'));
    await scheduler.addTask({ handler: 'stubborn', executor: 'cpu' });
    const submitted = new Promise((resolve) => scheduler.once('task:submitted', resolve));
    await scheduler.start();
    await submitted;
    await scheduler.shutdown({ timeout: 100 });
    expect(scheduler.state).toBe('stopped');
    await vi.waitFor(() => expect(ofType('task:error')).toHaveLength(1));
    expect(ofType('task:error')[0]!.error).toSatisfy((error) => isHoraeError(error, 'TASK_ABORTED') && /ignored ctx.signal/.test((error as Error).message));
  });

  it('takes module handlers as file URLs or absolute paths only', () => {
    expect(moduleHandler('/srv/app/jobs/report #1.js').module).toBe('file:///srv/app/jobs/report%20%231.js');
    expect(moduleHandler(fixtures, 'fails')).toEqual({ kind: 'module', module: fixtures.href, exportName: 'fails' });
    expect(() => moduleHandler('./jobs/report.js')).toThrowError(/module handler path "\.\/jobs\/report\.js": give a file URL/);
  });

  it('refuses inline functions, which cannot cross threads', async () => {
    const { scheduler } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('local', (_args: unknown, _ctx: RunContext) => undefined);
    await expect(scheduler.addTask({ id: 'w', handler: 'local', executor: 'cpu' })).rejects.toSatisfy(
      (error) => isHoraeError(error, 'INVALID_OPTION') && /moduleHandler/.test((error as Error).message),
    );
    expect(() => new WorkerExecutor({ maxWorkers: 0 })).toThrowError(/maxWorkers 0/);
  });
});
