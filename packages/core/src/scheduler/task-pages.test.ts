import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError, type HoraeErrorCode } from '../errors/index.js';
import { TaskCodec } from '../stores/codec.js';
import { MemoryStore } from '../stores/memory.js';
import { testScheduler } from '../../test/harness.js';

const start = Date.parse('2026-01-01T00:00:00Z');
const MINUTE = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Eleven tasks: t00..t09 every (i + 1) minutes (t03 and t07 paused), and one on another handler. */
async function many() {
  const harness = testScheduler({ stores: { default: new MemoryStore(), other: new MemoryStore() } });
  const { scheduler } = harness;
  scheduler.define('work', () => undefined);
  scheduler.define('mail', () => undefined);
  await scheduler.start();
  for (let i = 0; i < 10; i++) {
    const id = `t${String(i).padStart(2, '0')}`;
    await scheduler.addTask({ id, handler: 'work', trigger: { type: 'interval', minutes: i + 1 }, ...(i % 4 === 3 ? { nextRunTime: null } : {}) });
  }
  await scheduler.addTask({ id: 'newsletter', handler: 'mail', store: 'other', trigger: { type: 'interval', minutes: 30 } });
  return harness;
}

async function expectError(promise: Promise<unknown>, code: HoraeErrorCode, text: string | RegExp) {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isHoraeError(error, code)).toBe(true);
  expect((error as Error).message).toMatch(text);
}

describe('task pages', () => {
  it('pages give every order and filter exactly as getTaskInfos does, with the same totals and counts', async () => {
    const harness = testScheduler({ stores: { default: new MemoryStore(), other: new MemoryStore() } });
    const { scheduler } = harness;
    scheduler.define('work', () => undefined);
    scheduler.define('mail', () => undefined);
    await scheduler.start();
    // 40 tasks with many equal sort values: 5 next run times (and paused ones), 3 names, 2 handlers, 2 stores, 3 trigger types.
    for (let i = 0; i < 40; i++) {
      const trigger =
        i % 3 === 0 ? { type: 'interval' as const, minutes: 1 + (i % 5) } : i % 3 === 1 ? { type: 'cron' as const, expression: `${i % 5} * * * *` } : { type: 'date' as const, runAt: start + (1 + (i % 5)) * MINUTE };
      await scheduler.addTask({
        id: `task-${(i * 7) % 40}`,
        name: ['alpha', 'beta', 'gamma'][i % 3]!,
        handler: i % 4 === 0 ? 'mail' : 'work',
        store: i % 2 === 0 ? 'default' : 'other',
        trigger,
        ...(i % 6 === 5 ? { nextRunTime: null } : {}),
      });
    }
    const queries = [{}, { state: 'paused' as const }, { handler: 'work' }, { q: 'TASK-1' }, { store: 'other', trigger: 'cron' }, { trigger: 'IntervalTrigger' }, { dueBefore: start + 3 * MINUTE }];
    for (const sortBy of ['nextRunTime', 'id', 'name', 'state', 'store', 'trigger', 'handler', 'executor'] as const) {
      for (const descending of [false, true]) {
        for (const filter of queries) {
          const query = { ...filter, sortBy, descending };
          const expected = (await scheduler.getTaskInfos(query)).map((info) => `${info.store}/${info.id}`);
          for (const limit of [1, 3, 7, 1_000]) {
            const seen: string[] = [];
            let page = await scheduler.getTaskInfoPage({ ...query, limit });
            expect(page.total).toBe(expected.length);
            for (;;) {
              expect(page.tasks.length).toBeLessThanOrEqual(limit);
              seen.push(...page.tasks.map((info) => `${info.store}/${info.id}`));
              if (page.nextCursor === null) break;
              page = await scheduler.getTaskInfoPage({ ...query, limit, cursor: page.nextCursor });
            }
            expect(seen, JSON.stringify({ ...query, limit })).toEqual(expected);
          }
          const { state: _state, ...everyState } = query;
          const counts = { pending: 0, scheduled: 0, paused: 0, running: 0 };
          for (const info of await scheduler.getTaskInfos(everyState)) counts[info.state]++;
          expect((await scheduler.getTaskInfoPage(query)).counts).toEqual(counts);
        }
      }
    }
  });

  it('pages through the query in its order, each task once, with the totals', async () => {
    const { scheduler } = await many();
    const all = await scheduler.getTaskInfos({ handler: 'work' });
    const ids: string[] = [];
    let page = await scheduler.getTaskInfoPage({ handler: 'work', limit: 3 });
    const pages = [page];
    while (page.nextCursor !== null) {
      page = await scheduler.getTaskInfoPage({ handler: 'work', limit: 3, cursor: page.nextCursor });
      pages.push(page);
    }
    for (const each of pages) ids.push(...each.tasks.map((info) => info.id));
    expect(pages.map((each) => each.tasks.length)).toEqual([3, 3, 3, 1]);
    expect(ids).toEqual(all.map((info) => info.id));
    // Paused tasks (no next run time) come last, by id.
    expect(ids.slice(-2)).toEqual(['t03', 't07']);
    for (const each of pages) {
      expect(each.total).toBe(10);
      expect(each.counts).toEqual({ pending: 0, scheduled: 8, paused: 2, running: 0 });
    }
    await scheduler.shutdown();
  });

  it('counts by state over every filter but the state, and totals what the state filter keeps', async () => {
    const { scheduler } = await many();
    const paused = await scheduler.getTaskInfoPage({ state: 'paused' });
    expect(paused.tasks.map((info) => info.id)).toEqual(['t03', 't07']);
    expect(paused.total).toBe(2);
    expect(paused.counts).toEqual({ pending: 0, scheduled: 9, paused: 2, running: 0 });
    const other = await scheduler.getTaskInfoPage({ store: 'other' });
    expect(other.tasks.map((info) => info.id)).toEqual(['newsletter']);
    expect(other.counts).toEqual({ pending: 0, scheduled: 1, paused: 0, running: 0 });
    expect(other.nextCursor).toBeNull();
    await scheduler.shutdown();
  });

  it('resumes after the cursor position, whatever was added or removed meanwhile', async () => {
    const { scheduler } = await many();
    const first = await scheduler.getTaskInfoPage({ sortBy: 'id', limit: 4 });
    expect(first.tasks.map((info) => info.id)).toEqual(['newsletter', 't00', 't01', 't02']);
    // The last task shown and one before it go; one sorting before the cursor comes.
    await scheduler.deleteTask('t02');
    await scheduler.deleteTask('t00');
    await scheduler.addTask({ id: 'a-new-one', handler: 'work', trigger: { type: 'interval', minutes: 5 } });
    const second = await scheduler.getTaskInfoPage({ sortBy: 'id', limit: 4, cursor: first.nextCursor! });
    expect(second.tasks.map((info) => info.id)).toEqual(['t03', 't04', 't05', 't06']);
    const descending = await scheduler.getTaskInfoPage({ sortBy: 'id', descending: true, limit: 2 });
    const next = await scheduler.getTaskInfoPage({ sortBy: 'id', descending: true, limit: 2, cursor: descending.nextCursor! });
    expect([...descending.tasks, ...next.tasks].map((info) => info.id)).toEqual(['t09', 't08', 't07', 't06']);
    await scheduler.shutdown();
  });

  it('refuses a bad limit, cursor, sort key or unknown query key, naming what is allowed', async () => {
    const { scheduler } = await many();
    await expectError(scheduler.getTaskInfoPage({ limit: 0 }), 'INVALID_OPTION', /invalid limit 0: give a whole number from 1 to 1,000/);
    await expectError(scheduler.getTaskInfoPage({ cursor: 'not-a-cursor' }), 'INVALID_OPTION', /invalid cursor "not-a-cursor": give the nextCursor of the page before/);
    await expectError(scheduler.getTaskInfoPage({ sortBy: 'colour' as never }), 'INVALID_OPTION', /invalid sortBy "colour": give one of id, name, nextRunTime/);
    await expectError(scheduler.getTaskInfoPage({ sort: 'id' } as never), 'INVALID_OPTION', /sort.*sortBy/);
    await expectError(scheduler.getTaskInfoPage({ store: 'nowhere' }), 'UNKNOWN_STORE', /nowhere/);
    await scheduler.shutdown();
  });

  it('decodes only the tasks that changed since the last listing', async () => {
    const { scheduler } = await many();
    const decode = vi.spyOn(TaskCodec.prototype, 'decode');
    await scheduler.getTaskInfoPage();
    expect(decode).toHaveBeenCalledTimes(11);
    decode.mockClear();
    const again = await scheduler.getTaskInfoPage({ limit: 1_000 });
    expect(decode).not.toHaveBeenCalled();
    expect(again.total).toBe(11);
    await scheduler.pauseTask('t05');
    decode.mockClear();
    const changed = await scheduler.getTaskInfoPage({ state: 'paused' });
    expect(changed.tasks.map((info) => info.id)).toEqual(['t03', 't05', 't07']);
    // One decode for the paused task's new form (pauseTask's own lookup decodes it once more).
    expect(decode.mock.calls.map(([stored]) => stored.id)).toEqual(['t05']);
    decode.mockRestore();
    await scheduler.shutdown();
  });
});

describe('fire time previews', () => {
  it("lists a task's next fire times from its next run time, none while paused", async () => {
    const { scheduler } = await many();
    expect(await scheduler.getNextFireTimes('t01', { count: 3 })).toEqual([1, 2, 3].map((n) => new Date(start + 2 * n * MINUTE)));
    expect(await scheduler.getNextFireTimes('t03')).toEqual([]);
    expect(await scheduler.getNextFireTimes('t00')).toHaveLength(10);
    await expectError(scheduler.getNextFireTimes('t00', { count: 0 }), 'INVALID_OPTION', /Task "t00": invalid count 0/);
    await expectError(scheduler.getNextFireTimes('missing'), 'TASK_NOT_FOUND', /missing/);
    await scheduler.shutdown();
  });

  it('previews a trigger without adding anything, validated as addTask would', async () => {
    const { scheduler } = await many();
    const times = scheduler.previewFireTimes({ type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Berlin' }, { count: 2 });
    expect(times).toEqual([new Date('2026-01-01T02:00:00Z'), new Date('2026-01-02T02:00:00Z')]);
    expect(scheduler.previewFireTimes({ type: 'date', runAt: start + MINUTE })).toEqual([new Date(start + MINUTE)]);
    expect(scheduler.previewFireTimes('shutdown')).toEqual([]);
    expect(() => scheduler.previewFireTimes({ type: 'cron', expression: '61 * * * *' })).toThrow(/61/);
    expect(() => scheduler.previewFireTimes({ type: 'interval', minutes: 1 }, { count: 2, colour: 'red' } as never)).toThrow(/colour/);
    expect((await scheduler.getTaskInfos()).length).toBe(11);
    await scheduler.shutdown();
  });
});
