/**
 * App tests as they are written for `@nestjs/schedule` (fake timers, Test.createTestingModule,
 * app.init() / app.close()), run unchanged against the original and against the drop-in: the
 * same assertions must hold for both. Only the import differs, as in a migration.
 */
import { Inject, Injectable, Logger, Module, Scope, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import * as upstream from '@nestjs/schedule';
import { CronJob } from 'cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as dropIn from '../src/schedule/index.js';
import { boot } from './helpers.js';

/** What these tests use of either library. */
interface ScheduleLibrary {
  Cron(cronTime: string, options?: { name?: string; initialDelay?: number; disabled?: boolean }): MethodDecorator;
  Interval(timeout: number): MethodDecorator;
  Interval(name: string, timeout: number): MethodDecorator;
  Timeout(timeout: number): MethodDecorator;
  Timeout(name: string, timeout: number): MethodDecorator;
  ScheduleModule: { forRoot(options?: Record<string, unknown>): DynamicModule };
  SchedulerRegistry: Type<Registry>;
}

interface Job {
  start(): unknown;
  stop(): unknown;
  readonly isActive: boolean;
}

interface Registry {
  getCronJob(name: string): Job;
  getCronJobs(): Map<string, unknown>;
  getInterval(name: string): unknown;
  getIntervals(): string[];
  getTimeouts(): string[];
  addCronJob(name: string, job: CronJob): void;
  deleteCronJob(name: string): void;
  addInterval(name: string, id: unknown): void;
  deleteInterval(name: string): void;
  addTimeout(name: string, id: unknown): void;
  doesExist(type: 'cron' | 'interval' | 'timeout', name: string): boolean;
}

const libraries: [string, ScheduleLibrary][] = [
  ['@nestjs/schedule', upstream],
  ['@horae/nestjs/schedule', dropIn],
];

/** Midnight, New Year 2020: a fire instant of every expression below. */
const NEW_YEAR = new Date('2020-01-01T00:00:00.000Z');

describe.each(libraries)('an app test written for @nestjs/schedule, run on %s', (_name, lib) => {
  let app: INestApplication | undefined;

  /** The app's jobs, declared with this library's decorators. */
  function jobs() {
    @Injectable()
    class Jobs {
      readonly calls: Record<string, number> = {};
      constructor(@Inject(lib.SchedulerRegistry) readonly registry: Registry) {}

      private count(what: string): void {
        this.calls[what] = (this.calls[what] ?? 0) + 1;
      }

      @lib.Cron('* * * * * *', { name: 'every-second' })
      everySecond() {
        this.count('every-second');
      }

      @lib.Cron('0 * * * * *', { name: 'every-minute' })
      everyMinute() {
        this.count('every-minute');
      }

      @lib.Cron('0 0 * * * *')
      everyHour() {
        this.count('every-hour');
      }

      @lib.Cron('0 0 0 * * *')
      everyDay() {
        this.count('every-day');
      }

      @lib.Cron('0 0 0 1 1 *')
      everyYear() {
        this.count('every-year');
      }

      @lib.Cron('* * * * * *', { name: 'delayed', initialDelay: 5_000 })
      delayed() {
        this.count('delayed');
      }

      @lib.Cron('* * * * * *', { name: 'disabled', disabled: true })
      disabled() {
        this.count('disabled');
      }

      @lib.Cron('* * * * * *', { name: 'stops-itself' })
      stopsItself() {
        this.count('stops-itself');
        void this.registry.getCronJob('stops-itself').stop();
      }

      @lib.Interval('poll', 1_000)
      poll() {
        this.count('poll');
      }

      @lib.Interval(2_000)
      unnamedInterval() {
        this.count('unnamed-interval');
      }

      @lib.Timeout('warm-up', 2_500)
      warmUp() {
        this.count('warm-up');
      }

      @lib.Interval('slow', 1_000)
      slow() {
        this.count('slow');
        // Never settles: close must not wait for it.
        return new Promise(() => undefined);
      }
    }
    return Jobs;
  }

  async function start(extra: Type<unknown>[] = [], options?: Record<string, unknown>) {
    const Jobs = jobs();
    @Module({ imports: [lib.ScheduleModule.forRoot(options)], providers: [Jobs, ...extra] })
    class App {}
    app = await boot(App);
    const service = app.get(Jobs);
    return { calls: service.calls, registry: app.get(lib.SchedulerRegistry) };
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: NEW_YEAR });
  });

  afterEach(async () => {
    // Under fake timers, as app tests do.
    await app?.close();
    app = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('runs nothing at init when the clock stands on a fire instant: a cron job first fires strictly after its start', async () => {
    const { calls } = await start();
    vi.advanceTimersByTime(0);
    expect(calls).toEqual({});
  });

  it('times jobs from bootstrap, not from module init', async () => {
    // A provider whose init takes 1.5 s (a connection, a migration) after the jobs were declared.
    @Injectable()
    class SlowInit {
      onModuleInit() {
        vi.setSystemTime(Date.now() + 1_500);
      }
    }
    const { calls } = await start([SlowInit]);
    expect(calls).toEqual({});
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual({ 'every-second': 1, 'stops-itself': 1, poll: 1, slow: 1 });
    vi.advanceTimersByTime(1_500);
    expect(calls).toEqual({ 'every-second': 3, 'stops-itself': 1, poll: 2, slow: 2, 'unnamed-interval': 1, 'warm-up': 1 });
    // initialDelay (5 s) from bootstrap: started at 6.5 s, first fire at 7 s.
    vi.advanceTimersByTime(2_500);
    expect(calls.delayed).toBeUndefined();
    vi.advanceTimersByTime(500);
    expect(calls.delayed).toBe(1);
  });

  it('calls each job once per tick within synchronous advances of the fake clock', async () => {
    const { calls } = await start();
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual({ 'every-second': 1, 'stops-itself': 1, poll: 1, slow: 1 });
    vi.advanceTimersByTime(2_000);
    expect(calls).toEqual({ 'every-second': 3, 'stops-itself': 1, poll: 3, slow: 3, 'unnamed-interval': 1, 'warm-up': 1 });
    vi.advanceTimersByTime(60_000);
    expect(calls).toMatchObject({ 'every-second': 63, poll: 63, 'unnamed-interval': 31, 'warm-up': 1, 'every-minute': 1, delayed: 58 });
    expect(calls['every-hour']).toBeUndefined();
    expect(calls.disabled).toBeUndefined();
  });

  it('calls each job once per tick within asynchronous advances of the fake clock', async () => {
    const { calls } = await start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toEqual({ 'every-second': 3, 'stops-itself': 1, poll: 3, slow: 3, 'unnamed-interval': 1, 'warm-up': 1 });
    await vi.advanceTimersByTimeAsync(3_600_000 - 3_000);
    expect(calls).toMatchObject({ 'every-second': 3_600, 'every-minute': 60, 'every-hour': 1, 'stops-itself': 1 });
  });

  it('counts initialDelay from bootstrap: the first fire is the first slot after it, then every slot', async () => {
    const { calls } = await start();
    vi.advanceTimersByTime(5_000);
    expect(calls.delayed).toBeUndefined();
    vi.advanceTimersByTime(1_000);
    expect(calls.delayed).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(calls.delayed).toBe(3);
  });

  it('keeps a job that stopped itself stopped', async () => {
    const { calls, registry } = await start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls['stops-itself']).toBe(1);
    expect(registry.getCronJob('stops-itself').isActive).toBe(false);
  });

  it('stops and starts a job at once, as seen by the next synchronous advance', async () => {
    const { calls, registry } = await start();
    const job = registry.getCronJob('every-second');
    void job.stop();
    vi.advanceTimersByTime(3_000);
    expect(calls['every-second']).toBeUndefined();
    void job.start();
    vi.advanceTimersByTime(2_000);
    expect(calls['every-second']).toBe(2);
    expect(registry.getCronJob('disabled').isActive).toBe(false);
  });

  it("stops an interval with Node's clearInterval at once", async () => {
    const { calls, registry } = await start();
    vi.advanceTimersByTime(1_000);
    clearInterval(registry.getInterval('poll') as NodeJS.Timeout);
    vi.advanceTimersByTime(3_000);
    expect(calls.poll).toBe(1);
  });

  it('runs jobs added and removed through the registry', async () => {
    const { registry } = await start();
    const dynamic = { cron: 0, interval: 0, timeout: 0 };
    const job = new CronJob('* * * * * *', () => void (dynamic.cron += 1));
    registry.addCronJob('dynamic', job);
    void job.start();
    registry.addInterval('dynamic-interval', setInterval(() => (dynamic.interval += 1), 500));
    registry.addTimeout('dynamic-timeout', setTimeout(() => (dynamic.timeout += 1), 1_500));
    vi.advanceTimersByTime(3_000);
    expect(dynamic).toEqual({ cron: 3, interval: 6, timeout: 1 });
    registry.deleteCronJob('dynamic');
    registry.deleteInterval('dynamic-interval');
    vi.advanceTimersByTime(3_000);
    expect(dynamic).toEqual({ cron: 3, interval: 6, timeout: 1 });
    expect(registry.doesExist('cron', 'dynamic')).toBe(false);
    expect(registry.getIntervals()).not.toContain('dynamic-interval');
  });

  it('closes under fake timers with a handler still running, and leaves no job or timer behind', async () => {
    const { calls, registry } = await start();
    const dynamic = { interval: 0 };
    registry.addInterval('dynamic-interval', setInterval(() => (dynamic.interval += 1), 1_000));
    vi.advanceTimersByTime(1_000);
    expect(calls.slow).toBe(1);
    await app!.close();
    app = undefined;
    expect(registry.getIntervals()).toEqual([]);
    expect(registry.getTimeouts()).toEqual([]);
    expect(registry.getCronJobs().size).toBe(0);
    const before = { ...calls };
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(before);
    expect(dynamic.interval).toBe(1);
  });

  it('fails at init on a name used twice by one kind of job, with the original message', async () => {
    @Injectable()
    class TwoPolls {
      @lib.Interval('poll', 1_000)
      first() {}
      @lib.Interval('poll', 2_000)
      second() {}
    }
    @Module({ imports: [lib.ScheduleModule.forRoot()], providers: [TwoPolls] })
    class App {}
    await expect(boot(App)).rejects.toThrow('Interval with the given name (poll) already exists. Ignored.');
  });

  it('warns about jobs of a request-scoped provider and skips them', async () => {
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    let scopedCalls = 0;
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @lib.Cron('* * * * * *')
      tick() {
        scopedCalls += 1;
      }
      @lib.Interval('per-request-poll', 1_000)
      poll() {
        scopedCalls += 1;
      }
    }
    await start([PerRequest]);
    vi.advanceTimersByTime(3_000);
    expect(scopedCalls).toBe(0);
    expect(warnings).toEqual([
      'Cannot register cron job "PerRequest@tick" because it is defined in a non static provider.',
      'Cannot register interval "PerRequest@poll" because it is defined in a non static provider.',
    ]);
  });
});
