import { afterEach, describe, expect, it, vi } from 'vitest';
import { HoraeError, isHoraeError } from '../errors/index.js';
import { moduleHandler, type RunContext } from '../tasks/task.js';
import { deferred, testScheduler } from '../../test/harness.js';
import type { Execution } from './executor.js';
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

describe('module handlers on this thread', () => {
  it('report a missing export as HANDLER_NOT_DEFINED naming the task, the module and the export', async () => {
    const { scheduler, ofType } = testScheduler();
    scheduler.define('missing', moduleHandler(fixtures, 'nothingHere'));
    const failed = new Promise((resolve) => scheduler.once('task:error', resolve));
    await scheduler.addTask({ id: 'report', handler: 'missing' });
    await scheduler.start();
    await failed;
    const error = ofType('task:error')[0]!.error;
    expect(isHoraeError(error, 'HANDLER_NOT_DEFINED')).toBe(true);
    expect((error as Error).message).toContain(`Task "report": module ${fixtures.href} has no function export named "nothingHere"`);
    await scheduler.shutdown();
  });
});

describe('an executor used outside a scheduler', () => {
  it('refuses to run before a scheduler started it, with SCHEDULER_NOT_RUNNING naming the executor and the task', () => {
    const task = { id: 'report', name: 'report', maxInstances: 1 } as Execution['task'];
    expect(() => new InlineExecutor().submit({ task, store: 'default', handler: () => undefined, runTimes: [0] })).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_NOT_RUNNING', message: expect.stringContaining('Executor "default" cannot run task "report": it was not started.') }),
    );
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

  it('gives a handler on its thread an abort reason that is a HoraeError with code TASK_ABORTED', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('report', moduleHandler(fixtures, 'reportsAbortReason'));
    await scheduler.addTask({ handler: 'report', executor: 'cpu' });
    const submitted = new Promise((resolve) => scheduler.once('task:submitted', resolve));
    await scheduler.start();
    await submitted;
    await scheduler.shutdown({ timeout: 50 });
    await vi.waitFor(() => expect(ofType('task:executed')).toHaveLength(1));
    expect(ofType('task:executed')[0]!.result).toEqual({
      isError: true,
      name: 'HoraeError',
      code: 'TASK_ABORTED',
      message: 'The run was aborted: the scheduler shut down.',
    });
  });

  it('rebuilds errors from the thread as real errors: a HoraeError as one, a built-in class as itself', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('horae', moduleHandler(fixtures, 'throwsHoraeError'));
    scheduler.define('range', moduleHandler(fixtures, 'fails'));
    scheduler.define('string', moduleHandler(fixtures, 'throwsString'));
    let errors = 0;
    const failed = new Promise<void>((resolve) => scheduler.on('task:error', () => void (++errors === 3 && resolve())));
    for (const id of ['horae', 'range', 'string']) await scheduler.addTask({ id, handler: id, executor: 'cpu' });
    await scheduler.start();
    await failed;
    const errorOf = (taskId: string) => ofType('task:error').find((event) => event.taskId === taskId)!.error;
    const horae = errorOf('horae');
    expect(horae).toBeInstanceOf(HoraeError);
    expect(horae).toMatchObject({ code: 'INVALID_OPTION', taskId: 'horae', message: 'invalid report month 13: give 1 to 12.' });
    expect(errorOf('range')).toBeInstanceOf(RangeError);
    expect(errorOf('string')).toMatchObject({ name: 'Error', message: 'not an error' });
    await scheduler.shutdown();
  });

  it('reports a missing export and a thread that exits as coded errors naming the task', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('missing', moduleHandler(fixtures, 'nothingHere'));
    scheduler.define('exits', moduleHandler(fixtures, 'exitsThread'));
    let errors = 0;
    const failed = new Promise<void>((resolve) => scheduler.on('task:error', () => void (++errors === 2 && resolve())));
    for (const id of ['missing', 'exits']) await scheduler.addTask({ id, handler: id, executor: 'cpu' });
    await scheduler.start();
    await failed;
    const errorOf = (taskId: string) => ofType('task:error').find((event) => event.taskId === taskId)!.error;
    expect(errorOf('missing')).toSatisfy(
      (error) => isHoraeError(error, 'HANDLER_NOT_DEFINED') && (error as Error).message.includes('no function export named "nothingHere"'),
    );
    expect(errorOf('exits')).toSatisfy((error) => isHoraeError(error, 'TASK_ABORTED') && /Task "exits": .*exited with code 3/.test((error as Error).message));
    await scheduler.shutdown();
  });

  it('reports args that cannot be copied to a thread as NOT_SERIALIZABLE naming the task', async () => {
    const { scheduler, ofType } = testScheduler({ executors: { cpu: new WorkerExecutor({ maxWorkers: 1 }) } });
    scheduler.define('sum', moduleHandler(fixtures));
    const failed = new Promise((resolve) => scheduler.once('task:error', resolve));
    await scheduler.addTask({ id: 'callback', handler: 'sum', executor: 'cpu', args: { upTo: 1, then: () => undefined } });
    await scheduler.start();
    await failed;
    expect(ofType('task:error')[0]!.error).toSatisfy(
      (error) => isHoraeError(error, 'NOT_SERIALIZABLE') && (error as Error).message.startsWith('Task "callback": its args cannot be copied to a worker thread'),
    );
    await scheduler.shutdown();
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
