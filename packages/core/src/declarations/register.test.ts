import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import type { RunContext } from '../tasks/task.js';
import { PersistentMemoryStore, refusal, testScheduler } from '../../test/harness.js';
import { Scheduled } from './scheduled.js';

const start = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

class Reports {
  readonly runs: string[] = [];

  @Scheduled({ interval: { seconds: 10 } })
  refresh(_args: unknown, ctx: RunContext) {
    this.runs.push(`refresh ${ctx.taskId} ${ctx.scheduledAt.toISOString()}`);
  }

  @Scheduled({ cron: '0 * * * *', id: 'reports:hourly', args: { kind: 'hourly' }, maxInstances: 2 })
  @Scheduled({ cron: '30 * * * *', id: 'reports:half-hourly', args: { kind: 'half' } })
  build({ kind }: { kind: string }) {
    this.runs.push(`build ${kind}`);
  }

  notScheduled() {
    return 'plain';
  }
}

describe('@Scheduled and scheduler.register', () => {
  it('defines each decorated method as a handler bound to the instance and adds its tasks, pending until start', async () => {
    const { scheduler } = testScheduler();
    const reports = new Reports();
    const tasks = await scheduler.register(reports);
    expect(tasks.map((task) => [task.id, task.handler, task.pending])).toEqual([
      ['Reports.refresh', 'Reports.refresh', true],
      ['reports:hourly', 'reports:hourly', true],
      ['reports:half-hourly', 'reports:half-hourly', true],
    ]);
    expect(tasks[1]!.maxInstances).toBe(2);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(reports.runs.filter((run) => run.startsWith('refresh'))).toHaveLength(360);
    expect(reports.runs.find((run) => run.startsWith('refresh'))).toBe('refresh Reports.refresh 2026-01-01T00:00:10.000Z');
    // The hourly cron fires at the start instant too (00:00), then 00:30 and 01:00.
    expect(reports.runs.filter((run) => run.startsWith('build'))).toEqual(['build hourly', 'build half', 'build hourly']);
    await scheduler.shutdown();
  });

  it('keeps the schedule of a task a replica registers again at boot on a shared store', async () => {
    const store = new PersistentMemoryStore();
    const first = testScheduler({ stores: { default: store } }).scheduler;
    await first.register(new Reports());
    await first.start();
    const before = (await first.getTask('Reports.refresh'))!.nextRunTime;
    await vi.advanceTimersByTimeAsync(4_000);
    const second = testScheduler({ stores: { default: store } }).scheduler;
    await second.register(new Reports());
    await second.start();
    expect((await second.getTasks()).map((task) => task.id).sort()).toEqual(['Reports.refresh', 'reports:half-hourly', 'reports:hourly']);
    expect((await second.getTask('Reports.refresh'))!.nextRunTime).toEqual(before);
    await Promise.all([first.shutdown(), second.shutdown()]);
  });

  it('registers an instance once however often it is given, and refuses one id declared by two instances', async () => {
    const { scheduler } = testScheduler();
    const reports = new Reports();
    await scheduler.register(reports);
    expect(await scheduler.register(reports)).toEqual([]);
    const error = await refusal(() => scheduler.register(new Reports()));
    expect(isHoraeError(error, 'CONFLICTING_ID')).toBe(true);
    expect(error.message).toContain('The task id "Reports.refresh" is declared twice, by Reports.refresh and by Reports.refresh');
  });

  it('checks every declaration before it defines or adds anything', async () => {
    class Mixed {
      @Scheduled({ interval: 1_000, id: 'good' })
      good() {}

      // @ts-expect-error: a misspelt option
      @Scheduled({ crn: '* * * * *', id: 'bad' })
      bad() {}
    }
    const { scheduler } = testScheduler();
    const error = await refusal(() => scheduler.register(new Mixed()));
    expect(isHoraeError(error, 'INVALID_OPTION')).toBe(true);
    expect(error.message).toContain('unknown option "crn" in @Scheduled on Mixed.bad; did you mean "cron"?');
    expect(await scheduler.getTasks()).toEqual([]);
    await expect(scheduler.addTask({ handler: 'good', trigger: 'date' })).rejects.toMatchObject({ code: 'HANDLER_NOT_DEFINED' });
  });

  it.each([
    [{ cron: '* * * * *', interval: 1_000 }, 'INVALID_TRIGGER', 'give exactly one of cron, interval, date or trigger; got cron and interval'],
    [{}, 'INVALID_TRIGGER', 'none was given'],
    [{ cron: 5 }, 'INVALID_OPTION', 'option "cron" is 5'],
    [{ interval: 1_000, id: '' }, 'INVALID_OPTION', 'option "id" is ""'],
    [{ interval: 1_000, disabled: 'yes' }, 'INVALID_OPTION', 'option "disabled" is "yes"'],
  ])('refuses %j with %s', async (options, code, message) => {
    class Wrong {
      @Scheduled(options as never)
      run() {}
    }
    const error = await refusal(() => testScheduler().scheduler.register(new Wrong()));
    expect(isHoraeError(error, code as never)).toBe(true);
    expect(error.message).toContain(message);
  });

  it('a disabled declaration defines its handler, adds no task, and removes one an earlier deploy left in the store', async () => {
    const store = new PersistentMemoryStore();
    const earlier = testScheduler({ stores: { default: store } }).scheduler;
    earlier.define('Nightly.run', () => undefined);
    await earlier.start();
    await earlier.addTask({ id: 'Nightly.run', handler: 'Nightly.run', trigger: { type: 'cron', expression: '0 3 * * *' } });
    await earlier.shutdown();

    class Nightly {
      @Scheduled({ cron: '0 3 * * *', disabled: true })
      run() {
        return 'ran';
      }
    }
    const { scheduler } = testScheduler({ stores: { default: store } });
    expect(await scheduler.register(new Nightly())).toEqual([]);
    await scheduler.start();
    await vi.waitFor(async () => expect(await scheduler.getTask('Nightly.run')).toBeNull());
    const ran = await scheduler.addTask({ id: 'once', handler: 'Nightly.run', trigger: 'date' });
    expect(ran.handler).toBe('Nightly.run');
    await scheduler.shutdown();
  });

  it('works as a legacy (experimentalDecorators) decorator too, and refuses what is not an instance method', () => {
    class Legacy {
      tick() {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(Legacy.prototype, 'tick')!;
    Scheduled({ interval: 1_000 })(Legacy.prototype, 'tick', descriptor);
    return testScheduler()
      .scheduler.register(new Legacy())
      .then((tasks) => {
        expect(tasks.map((task) => task.id)).toEqual(['Legacy.tick']);
        expect(() => Scheduled({ interval: 1_000 })(() => undefined, { kind: 'field', name: 'x' })).toThrow('@Scheduled applies to instance methods only');
      });
  });
});
