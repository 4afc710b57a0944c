import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { MemoryStore } from '../stores/memory.js';
import type { DispatchOutcome, StoredTask, TaskDispatch } from '../stores/store.js';
import type { RunContext } from '../tasks/task.js';
import { deferred, PersistentMemoryStore, testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

async function running() {
  const harness = testScheduler({ stores: { default: new MemoryStore(), other: new MemoryStore() } });
  const runs: { taskId: string; args: unknown; at: number }[] = [];
  harness.scheduler.define('record', (args, ctx: RunContext) => void runs.push({ taskId: ctx.taskId, args, at: ctx.scheduledAt.getTime() }));
  await harness.scheduler.start();
  return { ...harness, runs };
}

describe('adding tasks', () => {
  it('runs a defined handler with its args and a run context', async () => {
    const { scheduler } = testScheduler();
    let seen: { args: unknown; ctx: RunContext } | undefined;
    scheduler.define('greet', (args, ctx: RunContext) => void (seen = { args, ctx }));
    const task = await scheduler.addTask({ id: 'hello', name: 'Say hello', handler: 'greet', args: { who: 'world' }, trigger: { type: 'date', runAt: start + 10 } });
    expect(task).toMatchObject({ id: 'hello', name: 'Say hello', handler: 'greet', store: 'default', executor: 'default' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(seen?.args).toEqual({ who: 'world' });
    expect(seen?.ctx).toMatchObject({ taskId: 'hello', taskName: 'Say hello', scheduledAt: new Date(start + 10) });
    expect(seen?.ctx.signal.aborted).toBe(false);
    expect(typeof seen?.ctx.logger.info).toBe('function');
    // a finished date task is removed
    expect(await scheduler.getTask('hello')).toBeNull();
    await scheduler.shutdown();
  });

  it('accepts inline functions in the memory store, generates ids, and uses the task defaults', async () => {
    const { scheduler } = testScheduler({ taskDefaults: { maxInstances: 3, coalesce: false } });
    let ran = 0;
    const task = await scheduler.addTask({ handler: function inlineWork() { ran++; }, trigger: { type: 'interval', seconds: 1 } });
    expect(task.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(task).toMatchObject({ name: 'inlineWork', handler: 'inlineWork', maxInstances: 3, coalesce: false, misfireGraceTime: 1_000 });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ran).toBe(2);
    await scheduler.shutdown();
  });

  it('adds a task paused with nextRunTime: null, or from an explicit first run time', async () => {
    const { scheduler, runs } = await running();
    await scheduler.addTask({ id: 'p', handler: 'record', trigger: { type: 'interval', seconds: 1 }, nextRunTime: null });
    await scheduler.addTask({ id: 'e', handler: 'record', trigger: { type: 'interval', hours: 1, startAt: start }, nextRunTime: start + 500 });
    expect((await scheduler.getTaskInfo('p'))?.state).toBe('paused');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs.map((run) => [run.taskId, run.at])).toEqual([['e', start + 500]]);
    expect((await scheduler.getTask('e'))?.nextRunTime).toEqual(new Date(start + 3_600_000));
    await scheduler.shutdown();
  });

  it('refuses a duplicate id, and replaces it with replaceExisting', async () => {
    const { scheduler } = await running();
    await scheduler.addTask({ id: 'dup', handler: 'record', args: 1, trigger: { type: 'interval', seconds: 5 } });
    await expect(scheduler.addTask({ id: 'dup', handler: 'record', trigger: { type: 'interval', seconds: 5 } })).rejects.toThrowError(
      'A task with id "dup" already exists in store "default". Pass replaceExisting: true to replace it, or choose another id.',
    );
    await scheduler.addTask({ id: 'dup', handler: 'record', args: 2, trigger: { type: 'interval', seconds: 5 }, replaceExisting: true });
    expect((await scheduler.getTask('dup'))?.args).toBe(2);
    expect(await scheduler.getTasks()).toHaveLength(1);
    // the same id may exist in another store
    await scheduler.addTask({ id: 'dup', handler: 'record', store: 'other', trigger: 'shutdown' });
    expect((await scheduler.getTasks()).map((task) => task.store).sort()).toEqual(['default', 'other']);
    await scheduler.shutdown();
  });

  it('keeps the schedule of an unchanged task re-registered with replaceExisting (a replica booting)', async () => {
    const { scheduler, ofType } = await running();
    const declare = () =>
      scheduler.addTask({ id: 'sync', handler: 'record', trigger: { type: 'interval', minutes: 10 }, replaceExisting: true });
    await declare();
    await vi.advanceTimersByTimeAsync(4 * 60_000); // a redeploy 4 minutes later
    const again = await declare();
    expect(again.nextRunTime).toEqual(new Date(start + 10 * 60_000));
    expect(ofType('task:modified')).toHaveLength(0);
    // a changed option keeps the schedule too, but is applied
    const tuned = await scheduler.addTask({ id: 'sync', handler: 'record', trigger: { type: 'interval', minutes: 10 }, maxInstances: 2, replaceExisting: true });
    expect(tuned).toMatchObject({ maxInstances: 2, nextRunTime: new Date(start + 10 * 60_000) });
    // a changed trigger resets the schedule
    const moved = await scheduler.addTask({ id: 'sync', handler: 'record', trigger: { type: 'interval', minutes: 30 }, replaceExisting: true });
    expect(moved.nextRunTime).toEqual(new Date(start + 4 * 60_000 + 30 * 60_000));
    expect(await scheduler.getTasks()).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('keeps a paused task paused when re-registered unchanged', async () => {
    const { scheduler } = await running();
    const declare = () => scheduler.addTask({ id: 'r', handler: 'record', trigger: { type: 'cron', expression: '0 3 * * *' }, replaceExisting: true });
    await declare();
    await scheduler.pauseTask('r');
    expect((await declare()).nextRunTime).toBeNull();
    await scheduler.shutdown();
  });
});

describe('adding many tasks at once', () => {
  /** A store that counts its bulk adds. */
  class BulkStore extends MemoryStore {
    bulkCalls = 0;
    override addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
      this.bulkCalls++;
      return super.addTasks(tasks);
    }
  }

  it('adds them in one store call, in order, and runs each', async () => {
    const store = new BulkStore();
    const { scheduler, ofType } = testScheduler({ stores: { default: store } });
    const runs: number[] = [];
    scheduler.define('record', (args: { i: number }) => void runs.push(args.i));
    await scheduler.start();
    const tasks = await scheduler.addTasks(
      [3, 1, 2].map((i) => ({ id: `t${i}`, handler: 'record', args: { i }, trigger: { type: 'date', runAt: start + i * 100 } })),
    );
    expect(tasks.map((task) => [task.id, task.nextRunTime?.getTime()])).toEqual([['t3', start + 300], ['t1', start + 100], ['t2', start + 200]]);
    expect(store.bulkCalls).toBe(1);
    expect(ofType('task:added').map((event) => event.taskId)).toEqual(['t3', 't1', 't2']);
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toEqual([1, 2, 3]);
    await scheduler.shutdown();
  });

  it('checks every task before adding any', async () => {
    const { scheduler } = testScheduler();
    scheduler.define('record', () => undefined);
    await scheduler.start();
    const adding = scheduler.addTasks([
      { id: 'fine', handler: 'record', trigger: { type: 'date', runAt: start + 100 } },
      { id: 'broken', handler: 'record', trigger: { type: 'interval', seconds: -1 } },
    ]);
    await expect(adding).rejects.toSatisfy((error) => isHoraeError(error) && error.taskId === 'broken');
    await expect(scheduler.addTasks([{ id: 'twice', handler: 'record' }, { id: 'twice', handler: 'record' }])).rejects.toThrow(/given twice/);
    expect(await scheduler.getTasks()).toEqual([]);
    await scheduler.shutdown();
  });

  it('replaces existing ids with replaceExisting, and names the others after adding the rest', async () => {
    const store = new BulkStore();
    const { scheduler } = testScheduler({ stores: { default: store } });
    scheduler.define('record', () => undefined);
    await scheduler.start();
    await scheduler.addTasks([
      { id: 'kept', handler: 'record', trigger: { type: 'date', runAt: start + 100 } },
      { id: 'replaced', handler: 'record', trigger: { type: 'date', runAt: start + 100 } },
    ]);
    await scheduler.addTasks([{ id: 'replaced', handler: 'record', trigger: { type: 'date', runAt: start + 500 } , replaceExisting: true }, { id: 'new', handler: 'record' , trigger: { type: 'date', runAt: start + 900 } }]);
    expect((await scheduler.getTask('replaced'))?.nextRunTime).toEqual(new Date(start + 500));
    const conflict = scheduler.addTasks([
      { id: 'kept', handler: 'record', trigger: { type: 'date', runAt: start + 700 } },
      { id: 'also-new', handler: 'record', trigger: { type: 'date', runAt: start + 800 } },
    ]);
    await expect(conflict).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID') && /"kept"/.test(error.message) && /other 1 task/.test(error.message));
    expect((await scheduler.getTask('kept'))?.nextRunTime).toEqual(new Date(start + 100));
    expect((await scheduler.getTasks()).map((task) => task.id).sort()).toEqual(['also-new', 'kept', 'new', 'replaced']);
    await scheduler.shutdown();
  });

  it('keeps them pending before start, and works the same without a bulk-capable store', async () => {
    const { scheduler } = testScheduler();
    const runs: string[] = [];
    scheduler.define('record', (_args, ctx: RunContext) => void runs.push(ctx.taskId));
    const tasks = await scheduler.addTasks([
      { id: 'a', handler: 'record', trigger: { type: 'date', runAt: start + 100 } },
      { id: 'b', handler: 'record', trigger: { type: 'date', runAt: start + 200 } },
    ]);
    expect(tasks.map((task) => task.pending)).toEqual([true, true]);
    await expect(scheduler.addTasks([{ id: 'a', handler: 'record' }])).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID'));
    await scheduler.start();
    await scheduler.addTasks([{ id: 'c', handler: 'record', trigger: { type: 'date', runAt: start + 300 } }]);
    await expect(scheduler.addTasks([{ id: 'c', handler: 'record' }])).rejects.toSatisfy((error) => isHoraeError(error, 'CONFLICTING_ID'));
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toEqual(['a', 'b', 'c']);
    await scheduler.shutdown();
  });
});

describe('changing tasks', () => {
  it('updates fields and keeps the schedule unless the trigger changes', async () => {
    const { scheduler, ofType, runs } = await running();
    await scheduler.addTask({ id: 'u', handler: 'record', args: 'old', trigger: { type: 'interval', seconds: 10 } });
    const updated = await scheduler.updateTask('u', { args: 'new', name: 'Renamed', maxInstances: 4 });
    expect(updated).toMatchObject({ args: 'new', name: 'Renamed', maxInstances: 4, nextRunTime: new Date(start + 10_000) });
    const retimed = await scheduler.updateTask('u', { trigger: { type: 'interval', seconds: 3 } });
    expect(retimed.nextRunTime).toEqual(new Date(start + 3_000));
    expect(ofType('task:modified')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs).toEqual([{ taskId: 'u', args: 'new', at: start + 3_000 }]);
    await scheduler.shutdown();
  });

  it('refuses to change the id, and validates changes like new tasks', async () => {
    const { scheduler } = await running();
    await scheduler.addTask({ id: 'u', handler: 'record', trigger: { type: 'interval', seconds: 10 } });
    await expect(scheduler.updateTask('u', { id: 'v' } as never)).rejects.toThrowError(/a task id is immutable/);
    await expect(scheduler.updateTask('u', { maxInstances: 0 })).rejects.toThrowError(/invalid maxInstances 0: give a whole number >= 1/);
    await expect(scheduler.updateTask('missing', { maxInstances: 2 })).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
    expect((await scheduler.getTask('u'))?.maxInstances).toBe(1);
    await scheduler.shutdown();
  });

  it('pauses and resumes a task', async () => {
    const { scheduler, runs } = await running();
    const task = await scheduler.addTask({ id: 'pr', handler: 'record', trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 } });
    await task.pause();
    expect((await scheduler.getTaskInfo('pr'))?.state).toBe('paused');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toEqual([]);
    const resumed = await scheduler.resumeTask('pr');
    expect(resumed?.nextRunTime).toEqual(new Date(start + 5_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((run) => run.at)).toEqual([start + 5_000]);
    await scheduler.shutdown();
  });

  it('resuming a task whose schedule has finished removes it', async () => {
    const { scheduler } = await running();
    await scheduler.addTask({ id: 'once', handler: 'record', trigger: { type: 'cron', expression: '0 12 * * *', endAt: start + 86_400_000 } });
    await scheduler.pauseTask('once');
    await vi.advanceTimersByTimeAsync(2 * 86_400_000);
    expect(await scheduler.resumeTask('once')).toBeNull();
    expect(await scheduler.getTask('once')).toBeNull();
    await scheduler.shutdown();
  });

  it('reschedules with a new trigger and resumes a paused task', async () => {
    const { scheduler } = await running();
    await scheduler.addTask({ id: 'r', handler: 'record', trigger: { type: 'interval', hours: 1 }, nextRunTime: null });
    const task = await scheduler.rescheduleTask('r', { type: 'cron', expression: '30 0 * * *' });
    expect(task.nextRunTime).toEqual(new Date(start + 30 * 60_000));
    expect(task.trigger.type).toBe('cron');
    await scheduler.shutdown();
  });

  it('runs a task now without moving its schedule, or not at all when nothing is due and force is false', async () => {
    const { scheduler, runs, ofType } = await running();
    await scheduler.addTask({ id: 'n', handler: 'record', trigger: { type: 'interval', hours: 1 } });
    await vi.advanceTimersByTimeAsync(1_000);
    await scheduler.runTask('n', { force: false });
    expect(runs).toEqual([]);
    const after = await scheduler.runTask('n');
    expect(runs.map((run) => run.at)).toEqual([start + 1_000]);
    expect(after?.nextRunTime).toEqual(new Date(start + 3_600_000));
    expect(ofType('task:submitted')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('runs a due task through misfire handling and removes or pauses a finished one', async () => {
    const { scheduler, runs } = await running();
    scheduler.pause();
    await scheduler.addTask({ id: 'd1', handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.addTask({ id: 'd2', handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(200);
    expect(await scheduler.runTask('d1')).toBeNull();
    expect(await scheduler.getTask('d1')).toBeNull();
    const kept = await scheduler.runTask('d2', { removeFinished: false });
    expect(kept?.nextRunTime).toBeNull();
    expect(runs.map((run) => [run.taskId, run.at])).toEqual([
      ['d1', start + 100],
      ['d2', start + 100],
    ]);
    await scheduler.shutdown();
  });

  it('runs a due task once even when the dispatch loop gets there too', async () => {
    const { scheduler, runs } = await running();
    await scheduler.addTask({ id: 'due', handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await vi.advanceTimersByTimeAsync(0); // let the dispatch loop settle
    vi.setSystemTime(start + 100); // due, but the timer has not fired yet
    expect(await scheduler.runTask('due')).toBeNull();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs.map((run) => run.taskId)).toEqual(['due']);
    await scheduler.shutdown();
  });

  it('leaves a task the loop is dispatching to the loop', async () => {
    // The loop has claimed the task and waits for the store to commit its dispatch.
    const gate = deferred();
    class SlowCommitStore extends MemoryStore {
      override async dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
        await gate.promise;
        return super.dispatchTasks(dispatches);
      }
    }
    const { scheduler } = testScheduler({ stores: { default: new SlowCommitStore() } });
    const calls: string[] = [];
    scheduler.define('record', (_args, ctx: RunContext) => void calls.push(ctx.taskId));
    await scheduler.addTask({ id: 'claimed', handler: 'record', trigger: { type: 'date', runAt: start + 100 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    expect((await scheduler.runTask('claimed'))?.id).toBe('claimed');
    expect(calls).toEqual([]);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['claimed']);
    await scheduler.shutdown();
  });

  it('reports due run times past their grace and moves the schedule on, even without force', async () => {
    const { scheduler, runs, ofType } = await running();
    scheduler.pause();
    await scheduler.addTask({ id: 'late', handler: 'record', trigger: { type: 'interval', seconds: 1, startAt: start + 1_000 }, misfireGraceTime: 100 });
    await vi.advanceTimersByTimeAsync(3_500);
    const task = await scheduler.runTask('late', { force: false });
    expect(runs).toEqual([]);
    expect(ofType('task:missed')).toEqual([expect.objectContaining({ taskId: 'late', count: 3 })]);
    expect(task?.nextRunTime).toEqual(new Date(start + 4_000));
    await scheduler.shutdown();
  });

  it('refuses to run a task beyond maxInstances and says why', async () => {
    const { scheduler, ofType } = testScheduler();
    scheduler.define('hang', () => new Promise(() => undefined));
    await scheduler.start();
    await scheduler.addTask({ id: 'h', handler: 'hang', trigger: { type: 'interval', hours: 1 } });
    await scheduler.runTask('h');
    await expect(scheduler.runTask('h')).rejects.toSatisfy((error) => isHoraeError(error, 'MAX_INSTANCES'));
    expect(ofType('task:max-instances')).toHaveLength(1);
    await scheduler.shutdown({ wait: false });
  });

  it('deletes one task, all tasks of a store, or all tasks', async () => {
    const { scheduler, ofType } = await running();
    for (const [id, store] of [['a', 'default'], ['b', 'default'], ['c', 'other'], ['d', 'other']] as const) {
      await scheduler.addTask({ id, store, handler: 'record', trigger: { type: 'interval', minutes: 1 } });
    }
    await scheduler.deleteTask('a');
    expect(ofType('task:removed')).toEqual([expect.objectContaining({ taskId: 'a', store: 'default' })]);
    await expect(scheduler.deleteTask('a')).rejects.toSatisfy((error) => isHoraeError(error, 'TASK_NOT_FOUND'));
    await scheduler.removeAllTasks('other');
    expect((await scheduler.getTasks()).map((task) => task.id)).toEqual(['b']);
    await scheduler.removeAllTasks();
    expect(await scheduler.getTasks()).toEqual([]);
    expect(ofType('tasks:removed-all').map((event) => event.store)).toEqual(['other', null]);
    await scheduler.shutdown();
  });

  it('changes pending tasks before start, and start honours the change', async () => {
    const { scheduler } = testScheduler();
    const runs: string[] = [];
    scheduler.define('record', (_args, ctx: RunContext) => void runs.push(ctx.taskId));
    await scheduler.addTask({ id: 'paused-early', handler: 'record', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.addTask({ id: 'kept', handler: 'record', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.addTask({ id: 'gone', handler: 'record', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.pauseTask('paused-early');
    await scheduler.updateTask('kept', { args: 'x' });
    await scheduler.deleteTask('gone');
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual(['kept']);
    expect((await scheduler.getTask('paused-early'))?.nextRunTime).toBeNull();
    await scheduler.shutdown();
  });
});

describe('bad input', () => {
  const refuses = async (action: () => Promise<unknown>, code: string, ...parts: string[]) => {
    let caught: unknown;
    try {
      await action();
    } catch (error) {
      caught = error;
    }
    expect(isHoraeError(caught), `expected a HoraeError, got ${String(caught)}`).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
    for (const part of parts) expect((caught as Error).message).toContain(part);
  };

  it('gets a typed error naming the task and the value, and adds nothing', async () => {
    const { scheduler } = testScheduler({ stores: { default: new MemoryStore(), db: new PersistentMemoryStore() } });
    scheduler.define('ok', () => undefined);
    await scheduler.start();
    const cases: [() => Promise<unknown>, string, ...string[]][] = [
      [() => scheduler.addTask({ id: 't1', handler: 'ok', trigger: { type: 'cron', expression: '99 * * * *' } }), 'INVALID_TRIGGER', 'Task "t1"', '"99 * * * *"'],
      [() => scheduler.addTask({ id: 't2', handler: 'ok', trigger: { type: 'cron', hour: 25 } }), 'INVALID_TRIGGER', 'Task "t2"', 'hour'],
      [() => scheduler.addTask({ id: 't3', handler: 'ok', trigger: { type: 'cron', expression: '0 * * * *', timezone: 'Europe/Atlantis' } }), 'INVALID_TIMEZONE', 'Task "t3"', '"Europe/Atlantis"', 'IANA'],
      [() => scheduler.addTask({ id: 't4', handler: 'ok', trigger: { type: 'interval', seconds: 0 } }), 'INVALID_TRIGGER', 'Task "t4"', 'above zero'],
      [() => scheduler.addTask({ id: 't5', handler: 'ok', trigger: { type: 'interval', seconds: 1, startAt: start + 10, endAt: start } }), 'INVALID_TRIGGER', 'Task "t5"', 'before startAt'],
      [() => scheduler.addTask({ id: 't6', handler: 'ok', store: 'nowhere' }), 'UNKNOWN_STORE', 'Task "t6"', '"nowhere"', '"default", "db"'],
      [() => scheduler.addTask({ id: 't7', handler: 'ok', executor: 'gpu' }), 'UNKNOWN_EXECUTOR', 'Task "t7"', '"gpu"', '"default"'],
      [() => scheduler.addTask({ id: 't8', handler: 'nope' }), 'HANDLER_NOT_DEFINED', 'Task "t8"', '"nope"', 'scheduler.define'],
      [() => scheduler.addTask({ id: 't9', handler: 'ok', store: 'db', args: { when: new Date(0) } }), 'NOT_SERIALIZABLE', 'Task "t9"', 'store "db"', 'plain JSON'],
      [() => scheduler.addTask({ id: 't10', handler: () => undefined, store: 'db' }), 'NOT_SERIALIZABLE', 'Task "t10"', 'scheduler.define(name, fn)'],
      [() => scheduler.addTask({ id: 't11', handler: 'ok', maxInstances: 1.5 }), 'INVALID_OPTION', 'Task "t11"', 'maxInstances 1.5'],
      [() => scheduler.addTask({ id: 't12', handler: 'ok', misfireGraceTime: -1 }), 'INVALID_OPTION', 'Task "t12"', 'misfireGraceTime -1'],
      [() => scheduler.addTask({ id: 't13', handler: 'ok', trigger: { type: 'weekly' } }), 'INVALID_TRIGGER', 'Task "t13"', '"weekly"'],
      [() => scheduler.addTask({ id: 't14', handler: 'ok', trigger: { type: 'cron', expression: '0 0 * * *', endAt: start - 1 } }), 'INVALID_TRIGGER', 'Task "t14"', 'no fire time after'],
      [() => scheduler.addTask({ id: 't15', handler: 'ok', nextRunTime: 'someday' }), 'INVALID_OPTION', 'Task "t15"', 'nextRunTime "someday"'],
      [() => scheduler.addTask({ id: '', handler: 'ok' }), 'INVALID_OPTION', 'task id ""'],
    ];
    for (const [action, code, ...parts] of cases) await refuses(action, code, ...parts);
    expect(await scheduler.getTasks()).toEqual([]);
    await scheduler.shutdown();
  });

  it('refuses bad scheduler options', () => {
    expect(() => testScheduler({ timezone: 'Nowhere/Special' })).toThrowError(expect.objectContaining({ code: 'INVALID_TIMEZONE' }));
    expect(() => testScheduler({ taskDefaults: { maxInstances: 0 } })).toThrowError(/taskDefaults.maxInstances 0/);
    expect(() => testScheduler({ batchSize: 0 })).toThrowError(/batchSize 0/);
  });

  it('refuses a handler definition that is not a function or a module', () => {
    const { scheduler } = testScheduler();
    expect(() => scheduler.define('x', 42 as never)).toThrowError(/invalid handler for "x" 42/);
    expect(() => scheduler.define('', () => undefined)).toThrowError(/handler name ""/);
  });
});
