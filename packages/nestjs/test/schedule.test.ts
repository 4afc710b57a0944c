import { Injectable, Module, Scope, type INestApplication } from '@nestjs/common';
import { Scheduler } from '@horae/core';
import * as original from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cron, CronExpression, Interval, ScheduleModule, SchedulerRegistry, Timeout, LOCAL_STORE } from '../src/schedule/index.js';
import { boot, deferred, recordingLogger } from './helpers.js';
import { PersistentMemoryStore } from './fixtures/persistent-memory-store.js';

const START = new Date('2030-01-01T00:00:00.500Z');
const fired: string[] = [];
const apps: INestApplication[] = [];

beforeEach(() => {
  fired.length = 0;
  vi.useFakeTimers({ now: START });
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const app of apps.splice(0)) await app.close();
});

@Injectable()
class Jobs {
  @Cron(CronExpression.EVERY_SECOND, { name: 'every-second' })
  everySecond() {
    fired.push('cron');
  }

  @Cron('0 0 12 * * *', { name: 'noon', timeZone: 'Asia/Tokyo', disabled: true })
  noon() {
    fired.push('noon');
  }

  @Interval('poll', 2_000)
  poll() {
    fired.push('interval');
  }

  @Timeout('warm-up', 1_500)
  warmUp() {
    fired.push('timeout');
  }

  @Cron('*/10 * * * * *')
  unnamed() {
    fired.push('unnamed');
  }
}

async function start(options: Parameters<typeof ScheduleModule.forRoot>[0] = {}) {
  @Module({ imports: [ScheduleModule.forRoot({ logger: recordingLogger(), ...options })], providers: [Jobs] })
  class App {}
  const app = await boot(App);
  apps.push(app);
  return { app, registry: app.get(SchedulerRegistry), scheduler: app.get(Scheduler) };
}

describe('@horae/nestjs/schedule, the drop-in', () => {
  it('has the same CronExpression names and values as @nestjs/schedule', () => {
    expect({ ...CronExpression }).toEqual({ ...original.CronExpression });
  });

  it('throws the same errors as @nestjs/schedule for unknown and duplicate names', async () => {
    const { registry } = await start();
    const theirs = new original.SchedulerRegistry();
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as Error).message;
      }
      return 'did not throw';
    };
    for (const call of ['getCronJob', 'getInterval', 'getTimeout', 'deleteCronJob', 'deleteInterval', 'deleteTimeout'] as const) {
      expect(message(() => registry[call]('missing'))).toBe(message(() => theirs[call]('missing')));
    }
    theirs.addInterval('poll', 1);
    expect(message(() => registry.addInterval('poll', 1))).toBe(message(() => theirs.addInterval('poll', 1)));
    theirs.addTimeout('warm-up', 1);
    expect(message(() => registry.addTimeout('warm-up', 1))).toBe(message(() => theirs.addTimeout('warm-up', 1)));
    const job = new CronJob('* * * * *', () => undefined);
    theirs.addCronJob('every-second', job);
    expect(message(() => registry.addCronJob('every-second', job))).toBe(message(() => theirs.addCronJob('every-second', job)));
  });

  it('fails at init on a name used twice by one kind of job, with the message of @nestjs/schedule', async () => {
    const theirs = new original.SchedulerRegistry();
    const upstream = (kind: 'addCronJob' | 'addInterval' | 'addTimeout', name: string) => {
      const add = () => (kind === 'addCronJob' ? theirs.addCronJob(name, new CronJob('* * * * *', () => undefined)) : theirs[kind](name, 1));
      add();
      try {
        add();
      } catch (error) {
        return (error as Error).message;
      }
      return 'did not throw';
    };
    @Injectable()
    class TwoPolls {
      @Interval('poll', 1_000)
      first() {}
      @Interval('poll', 2_000)
      second() {}
    }
    @Injectable()
    class TwoCrons {
      @Cron('* * * * *', { name: 'sweep' })
      first() {}
      @Cron('*/5 * * * *', { name: 'sweep' })
      second() {}
    }
    for (const [provider, expected] of [
      [TwoPolls, upstream('addInterval', 'poll')],
      [TwoCrons, upstream('addCronJob', 'sweep')],
    ] as const) {
      @Module({ imports: [ScheduleModule.forRoot({ logger: recordingLogger() })], providers: [provider] })
      class App {}
      await expect(boot(App)).rejects.toThrow(expected);
    }
  });

  it('runs @Cron, @Interval and @Timeout methods as the original does, under stable names', async () => {
    const { registry, scheduler } = await start();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(fired.filter((what) => what === 'cron')).toHaveLength(4);
    expect(fired.filter((what) => what === 'interval')).toHaveLength(2);
    expect(fired.filter((what) => what === 'timeout')).toHaveLength(1);
    expect(fired).not.toContain('noon');
    expect([...registry.getCronJobs().keys()].sort()).toEqual(['Jobs.unnamed', 'every-second', 'noon']);
    expect(registry.getIntervals()).toEqual(['poll']);
    expect(registry.getTimeouts()).toEqual(['warm-up']);
    expect((await scheduler.getTaskInfo('warm-up', { store: LOCAL_STORE })) ?? 'gone').toBe('gone');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fired.filter((what) => what === 'timeout')).toHaveLength(1);
  });

  it('gives job handles with start, stop, isActive, lastDate, nextDate, nextDates, fireOnTick and setTime', async () => {
    const { registry } = await start();
    const job = registry.getCronJob('every-second');
    expect(job.isActive).toBe(true);
    expect(job.lastDate()).toBeNull();
    expect(job.nextDate().toMillis()).toBe(Date.parse('2030-01-01T00:00:01.000Z'));
    expect(job.nextDates(3).map((date) => date.toMillis() - START.getTime())).toEqual([500, 1_500, 2_500]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(job.lastDate()).toEqual(new Date('2030-01-01T00:00:01.000Z'));
    await job.stop();
    expect(job.isActive).toBe(false);
    const cronFires = () => fired.filter((what) => what === 'cron').length;
    const before = cronFires();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(cronFires()).toBe(before);
    await job.fireOnTick();
    expect(fired.at(-1)).toBe('cron');
    await job.start();
    expect(job.isActive).toBe(true);
    await job.setTime(new CronTime('*/5 * * * * *'));
    expect(job.cronTime.source).toBe('*/5 * * * * *');
    expect(job.nextDate().toMillis()).toBe(Date.parse('2030-01-01T00:00:05.000Z'));

    const noon = registry.getCronJob('noon');
    expect(noon.isActive).toBe(false);
    expect(noon.nextDate().toISO()).toBe('2030-01-01T12:00:00.000+09:00');
    await noon.start();
    expect((await noon.info())?.nextRunTime).toEqual(new Date('2030-01-01T03:00:00.000Z'));
  });

  it('runs callbacks added with addCallback after the method on every tick, with the job as this', async () => {
    const { registry } = await start();
    const job = registry.getCronJob('every-second');
    const seen: unknown[] = [];
    job.addCallback(function (this: unknown) {
      seen.push(this);
      fired.push('callback');
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fired.filter((what) => what === 'cron' || what === 'callback')).toEqual(['cron', 'callback', 'cron', 'callback']);
    expect(seen).toEqual([job, job]);
    await job.fireOnTick();
    expect(fired.slice(-2)).toEqual(['cron', 'callback']);
  });

  it('takes start, stop and setTime effect at once for callers that do not await, as cron does, and the store follows in call order', async () => {
    const { registry, scheduler } = await start();
    const job = registry.getCronJob('every-second');
    const theirs = new CronJob('* * * * * *', () => undefined, null, true);
    try {
      for (const subject of [job, theirs]) {
        void subject.stop();
        expect(subject.isActive).toBe(false);
        void subject.start();
        expect(subject.isActive).toBe(true);
        // A stopped job stays stopped across setTime, in both.
        void subject.stop();
        void subject.setTime(new CronTime('*/5 * * * * *'));
        expect(subject.isActive).toBe(false);
        expect(String(subject.cronTime.source)).toBe('*/5 * * * * *');
      }
    } finally {
      void theirs.stop();
    }
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fired).not.toContain('cron');
    const info = await scheduler.getTaskInfo('every-second');
    expect(info?.nextRunTime).toBeNull();
    expect(info?.triggerDescription).toContain('*/5 * * * * *');
    void job.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fired.filter((what) => what === 'cron')).toHaveLength(1);
  });

  it('logs a failed start or stop instead of leaving an unhandled rejection, and rejects for callers that await', async () => {
    const logger = recordingLogger();
    const { registry, scheduler } = await start({ logger });
    const job = registry.getCronJob('every-second');
    await scheduler.deleteTask('every-second');
    void job.stop();
    await expect(job.start()).rejects.toThrow('every-second');
    const logged = logger.lines.filter((line) => line.level === 'error').map((line) => line.message);
    expect(logged).toEqual(['CronJob "every-second" could not stop.', 'CronJob "every-second" could not start.']);
    expect(() => job.setTime({ source: 42 })).toThrow('CronJob "every-second": setTime needs a CronTime');
  });

  it("stops a decorated interval with Node's clearInterval, as code written for the original does", async () => {
    const { registry } = await start();
    clearInterval(registry.getInterval('poll') as unknown as NodeJS.Timeout);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fired).not.toContain('interval');
    registry.deleteInterval('poll');
    expect(registry.getIntervals()).toEqual([]);
  });

  it('leaves a CronJob of the cron package given to addCronJob to run on its own timer, as the original does', async () => {
    const { registry, scheduler } = await start();
    const job = new CronJob('*/2 * * * * *', () => void fired.push('user-job'));
    registry.addCronJob('user-job', job);
    expect(registry.getCronJob('user-job')).toBe(job);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(fired).not.toContain('user-job');
    job.start();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(fired.filter((what) => what === 'user-job')).toHaveLength(2);
    // Its callback lives in this process only: it is not a task.
    expect(await scheduler.getTaskInfo('user-job', { store: LOCAL_STORE })).toBeNull();
    registry.deleteCronJob('user-job');
    expect(job.isActive).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(fired.filter((what) => what === 'user-job')).toHaveLength(2);
    expect(() => registry.addCronJob('bad', {} as CronJob)).toThrow('SchedulerRegistry.addCronJob("bad"): the job is object; give a CronJob from the "cron" package');
  });

  it('keeps a job of a shared store that was stopped before bootstrap stopped, and starts the others', async () => {
    const runs: string[] = [];
    @Injectable()
    class Jobs {
      @Cron('* * * * * *', { name: 'kept-stopped' })
      stopped() {
        runs.push('kept-stopped');
      }
      @Cron('* * * * * *', { name: 'running' })
      running() {
        runs.push('running');
      }
    }
    @Injectable()
    class StopsAtInit {
      constructor(private readonly registry: SchedulerRegistry) {}
      onModuleInit() {
        return this.registry.getCronJob('kept-stopped').stop();
      }
    }
    const shared = new PersistentMemoryStore();
    @Module({ imports: [ScheduleModule.forRoot({ logger: recordingLogger(), stores: { default: shared } })], providers: [Jobs, StopsAtInit] })
    class App {}
    const app = await boot(App);
    apps.push(app);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs.filter((run) => run === 'kept-stopped')).toEqual([]);
    expect(runs.filter((run) => run === 'running')).toHaveLength(3);
    expect((await app.get(Scheduler).getTaskInfo('kept-stopped'))?.nextRunTime).toBeNull();
  });

  it("runs request-scoped providers' jobs with requestScoped: 'run', and refuses another value", async () => {
    let resolved = 0;
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      constructor() {
        resolved += 1;
      }
      @Interval('per-request', 1_000)
      poll() {
        fired.push('per-request');
      }
    }
    @Module({ imports: [ScheduleModule.forRoot({ logger: recordingLogger(), requestScoped: 'run' })], providers: [PerRequest] })
    class App {}
    const app = await boot(App);
    apps.push(app);
    const before = resolved;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fired.filter((what) => what === 'per-request')).toHaveLength(3);
    expect(resolved - before).toBe(3);
    expect(() => ScheduleModule.forRoot({ requestScoped: 'always' as 'run' })).toThrow(`ScheduleModule: requestScoped "always" is not allowed; give 'skip'`);
  });

  it('waits for running handlers at close with drainOnShutdown: true', async () => {
    vi.useRealTimers();
    const gate = deferred();
    let ended = false;
    @Injectable()
    class Slow {
      @Interval('slow', 50)
      async run() {
        await gate.promise;
        ended = true;
      }
    }
    @Module({ imports: [ScheduleModule.forRoot({ logger: recordingLogger(), drainOnShutdown: true, shutdownTimeout: 5_000 })], providers: [Slow] })
    class App {}
    const app = await boot(App);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const closing = app.close();
    setTimeout(() => gate.resolve(), 100);
    await closing;
    expect(ended).toBe(true);
  });

  it('honours cronJobs / intervals / timeouts: false', async () => {
    const { registry } = await start({ cronJobs: false, intervals: false, timeouts: false });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fired).toEqual([]);
    expect(registry.getCronJobs().size).toBe(0);
  });

  it('forRootAsync with useFactory', async () => {
    const TOKEN = Symbol('zone');
    @Module({ providers: [{ provide: TOKEN, useValue: 'Europe/Paris' }], exports: [TOKEN] })
    class ZoneModule {}
    @Module({
      imports: [ScheduleModule.forRootAsync({ imports: [ZoneModule], inject: [TOKEN], useFactory: (timezone: string) => ({ timezone, intervals: false, logger: false }) })],
      providers: [Jobs],
    })
    class App {}
    const app = await boot(App);
    apps.push(app);
    expect(app.get(Scheduler).timezone).toBe('Europe/Paris');
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual([]);
  });
});
