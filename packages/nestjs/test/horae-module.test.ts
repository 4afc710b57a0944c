import { Controller, Get, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { MemoryStore, Scheduler, isHoraeError, type RunContext } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HORAE_SCHEDULER,
  HoraeModule,
  InjectScheduler,
  Scheduled,
  type HoraeModuleOptions,
  type HoraeOptionsFactory,
} from '../src/index.js';
import { calls, PerRun, PerRunModule, ReportsModule } from './fixtures/reports.module.js';
import { boot, deferred, recordingLogger } from './helpers.js';

const START = new Date('2030-01-01T00:00:00.000Z');
const quiet = recordingLogger;

const apps: INestApplication[] = [];
const track = (app: INestApplication) => (apps.push(app), app);

beforeEach(() => {
  calls.length = 0;
  vi.useFakeTimers({ now: START });
});

afterEach(async () => {
  vi.useRealTimers();
  for (const app of apps.splice(0)) await app.close();
});

describe('HoraeModule.forRoot', () => {
  it('discovers @Scheduled methods, defines them under Class.method or their id, and runs them on schedule', async () => {
    @Module({ imports: [HoraeModule.forRoot({ timezone: 'UTC', logger: quiet() }), ReportsModule] })
    class App {}
    const app = track(await boot(App));
    const scheduler = app.get(Scheduler);
    const infos = await scheduler.getTaskInfos({ sortBy: 'id' });
    expect(infos.map((info) => [info.id, info.handler, info.name])).toEqual([
      ['Reports.tick', 'Reports.tick', 'Reports.tick'],
      ['reports:nightly', 'reports:nightly', 'Nightly report'],
    ]);
    expect(infos[1]!.triggerDescription).toContain('Europe/Berlin');
    expect(infos[1]!.args).toEqual({ format: 'pdf' });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls.filter((call) => call.what === 'tick')).toHaveLength(3);
    expect(calls[0]!.ctx!.taskId).toBe('Reports.tick');
  });

  it('discovers @Scheduled on controller methods too, and the controller still serves its routes', async () => {
    @Controller('status')
    class StatusController {
      private refreshed = 0;
      @Get()
      status() {
        return { refreshed: this.refreshed };
      }
      @Scheduled({ interval: 1_000 })
      refresh() {
        this.refreshed += 1;
        calls.push({ what: 'controller', instance: this });
      }
    }
    @Module({ controllers: [StatusController] })
    class StatusModule {}
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() }), StatusModule] })
    class App {}
    const app = track(await boot(App));
    expect((await app.get(Scheduler).getTaskInfos()).map((info) => info.id)).toEqual(['StatusController.refresh']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls.map((call) => call.what)).toEqual(['controller', 'controller']);
    // Called on the controller instance Nest serves requests with.
    const controller = app.get(StatusController);
    expect(calls[0]!.instance).toBe(controller);
    expect(controller.status()).toEqual({ refreshed: 2 });
  });

  it('makes the scheduler injectable as the class and through @InjectScheduler()', async () => {
    @Injectable()
    class Admin {
      constructor(
        @InjectScheduler() readonly byToken: Scheduler,
        @Inject(Scheduler) readonly byClass: Scheduler,
      ) {}
    }
    @Module({ providers: [Admin] })
    class AdminModule {}
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() }), AdminModule] })
    class App {}
    const app = track(await boot(App));
    const admin = app.get(Admin);
    expect(admin.byToken).toBeInstanceOf(Scheduler);
    expect(admin.byToken).toBe(admin.byClass);
    expect(app.get(HORAE_SCHEDULER)).toBe(admin.byClass);
    expect(admin.byClass.state).toBe('running');
  });

  it('does not discover decorated methods with discover: false', async () => {
    @Module({ imports: [HoraeModule.forRoot({ discover: false, logger: quiet() }), ReportsModule] })
    class App {}
    const app = track(await boot(App));
    expect(await app.get(Scheduler).getTaskInfos()).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toEqual([]);
  });

  it('refuses two declarations of one task id, naming both', async () => {
    @Injectable()
    class First {
      @Scheduled({ interval: 1_000, id: 'cleanup' })
      run() {}
    }
    @Injectable()
    class Second {
      @Scheduled({ cron: '* * * * *', id: 'cleanup' })
      run() {}
    }
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() })], providers: [First, Second] })
    class App {}
    const error: unknown = await boot(App).catch((caught: unknown) => caught);
    expect(isHoraeError(error, 'CONFLICTING_ID')).toBe(true);
    expect((error as Error).message).toContain('"cleanup" is declared twice, by First.run and by Second.run');
  });

  it('refuses a declaration with no trigger or two, naming the method', async () => {
    @Injectable()
    class Wrong {
      @Scheduled({ cron: '* * * * *', interval: 5 })
      run() {}
    }
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() })], providers: [Wrong] })
    class App {}
    await expect(boot(App)).rejects.toThrow('@Scheduled on Wrong.run: give exactly one of cron, interval, date or trigger; got cron and interval.');
  });

  it('resolves request-scoped providers afresh for every run, with the run as the request', async () => {
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() }), PerRunModule] })
    class App {}
    track(await boot(App));
    await vi.advanceTimersByTimeAsync(2_000);
    const runs = calls.filter((call) => call.what === 'per-run');
    expect(runs).toHaveLength(2);
    expect(runs[0]!.instance).toBeInstanceOf(PerRun);
    expect(runs[0]!.instance).not.toBe(runs[1]!.instance);
    expect(runs.map((call) => call.run!.scheduledAt.getTime())).toEqual([START.getTime() + 1_000, START.getTime() + 2_000]);
    expect(runs[0]!.run!.taskId).toBe('per-run');
  });
});

describe('HoraeModule.forRootAsync', () => {
  const CONFIG = Symbol('config');
  const config = { get: (key: string) => ({ TICK_MS: 500, TZ: 'Asia/Tokyo', REPORT_CRON: '*/2 * * * * *', REPORT_ON: true })[key] };
  @Module({ providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] })
  class ConfigModule {}

  @Injectable()
  class Configured {
    @Scheduled({ cron: (cfg: typeof config) => cfg.get('REPORT_CRON') as string, disabled: (cfg: typeof config) => cfg.get('REPORT_ON') !== true })
    report() {
      calls.push({ what: 'report' });
    }
    @Scheduled({ interval: (cfg: typeof config) => cfg.get('TICK_MS') as number, id: 'configured:off', disabled: () => true })
    off() {
      calls.push({ what: 'off' });
    }
  }

  it('useFactory with injected providers; decorator options read from the config', async () => {
    @Module({
      imports: [
        HoraeModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (cfg: typeof config): HoraeModuleOptions => ({ timezone: cfg.get('TZ') as string, config: cfg, logger: quiet() }),
        }),
      ],
      providers: [Configured],
    })
    class App {}
    const app = track(await boot(App));
    const scheduler = app.get(Scheduler);
    expect(scheduler.timezone).toBe('Asia/Tokyo');
    const infos = await scheduler.getTaskInfos();
    expect(infos.map((info) => info.id)).toEqual(['Configured.report']);
    expect(infos[0]!.triggerDescription).toContain('*/2 * * * * *');
    // At 00:00:00 (the boot instant), :02 and :04; the disabled one never.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(calls.map((call) => call.what)).toEqual(['report', 'report', 'report']);
  });

  it('useClass', async () => {
    @Injectable()
    class Options implements HoraeOptionsFactory {
      createHoraeOptions(): HoraeModuleOptions {
        return { timezone: 'America/New_York', logger: quiet() };
      }
    }
    @Module({ imports: [HoraeModule.forRootAsync({ useClass: Options })] })
    class App {}
    const app = track(await boot(App));
    expect(app.get(Scheduler).timezone).toBe('America/New_York');
  });

  it('useExisting', async () => {
    @Injectable()
    class Options implements HoraeOptionsFactory {
      createHoraeOptions(): Promise<HoraeModuleOptions> {
        return Promise.resolve({ timezone: 'Australia/Sydney', logger: quiet() });
      }
    }
    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}
    @Module({ imports: [HoraeModule.forRootAsync({ imports: [OptionsModule], useExisting: Options })] })
    class App {}
    const app = track(await boot(App));
    expect(app.get(Scheduler).timezone).toBe('Australia/Sydney');
  });

  it('takes a store built in another module and provided through DI', async () => {
    const STORE = Symbol('store');
    const store = new MemoryStore();
    @Module({ providers: [{ provide: STORE, useValue: store }], exports: [STORE] })
    class StoreModule {}
    @Module({
      imports: [HoraeModule.forRootAsync({ imports: [StoreModule], inject: [STORE], useFactory: (injected: MemoryStore) => ({ stores: { default: injected }, logger: quiet() }) }), ReportsModule],
    })
    class App {}
    track(await boot(App));
    // The tasks are in the injected store (added at start, in one call or one by one).
    expect((await store.getAllTasks()).map((task) => task.id).sort()).toEqual(['Reports.tick', 'reports:nightly']);
  });
});

describe('HoraeModule.forFeature', () => {
  it('adds a named store, handlers and tasks from a feature module, and forFeatureAsync builds them from DI', async () => {
    const auditStore = new MemoryStore();
    const ANALYTICS = Symbol('analytics store');
    @Module({ providers: [{ provide: ANALYTICS, useValue: new MemoryStore() }], exports: [ANALYTICS] })
    class AnalyticsStoreModule {}
    @Module({
      imports: [
        HoraeModule.forFeature({
          stores: { audit: auditStore },
          handlers: { 'audit:compact': () => void calls.push({ what: 'compact' }) },
          tasks: [{ id: 'audit:compact', handler: 'audit:compact', store: 'audit', trigger: { type: 'interval', seconds: 1 } }],
        }),
        HoraeModule.forFeatureAsync({ imports: [AnalyticsStoreModule], inject: [ANALYTICS], useFactory: (store: MemoryStore) => ({ stores: { analytics: store } }) }),
      ],
    })
    class AuditModule {}
    @Injectable()
    class Analytics {
      @Scheduled({ interval: 1_000, store: 'analytics' })
      roll() {
        calls.push({ what: 'roll' });
      }
    }
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet() }), AuditModule], providers: [Analytics] })
    class App {}
    const app = track(await boot(App));
    const infos = await app.get(Scheduler).getTaskInfos({ sortBy: 'id' });
    expect(infos.map((info) => [info.id, info.store])).toEqual([
      ['Analytics.roll', 'analytics'],
      ['audit:compact', 'audit'],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls.map((call) => call.what).sort()).toEqual(['compact', 'roll']);
  });
});

describe('errors', () => {
  it('logs a failing run with the task name, emits task:error, calls onError, and keeps running', async () => {
    const logger = quiet();
    const onError = vi.fn();
    @Injectable()
    class Flaky {
      @Scheduled({ interval: 1_000, name: 'Flaky sync' })
      sync() {
        throw new Error('upstream is down');
      }
    }
    @Module({ imports: [HoraeModule.forRoot({ logger, onError })], providers: [Flaky] })
    class App {}
    const app = track(await boot(App));
    const events: string[] = [];
    app.get(Scheduler).on('task:error', ({ taskId }) => void events.push(taskId));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual(['Flaky.sync', 'Flaky.sync']);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls[0]![0]).toEqual(new Error('upstream is down'));
    expect(onError.mock.calls[0]![1]).toMatchObject({ taskId: 'Flaky.sync', store: 'default', scheduledAt: new Date(START.getTime() + 1_000) });
    const logged = logger.lines.filter((line) => line.level === 'error');
    expect(logged[0]!.message).toContain('Task "Flaky.sync" (Flaky sync) failed');
    expect(logged[0]!.meta[0]).toEqual(new Error('upstream is down'));
  });

  it("passes errors to Nest's Logger by default, with the stack", async () => {
    const { Logger } = await import('@nestjs/common');
    const spy = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      @Injectable()
      class Broken {
        @Scheduled({ interval: 1_000 })
        run() {
          throw new Error('boom');
        }
      }
      @Module({ imports: [HoraeModule.forRoot({})], providers: [Broken] })
      class App {}
      track(await boot(App));
      await vi.advanceTimersByTimeAsync(1_000);
      const call = spy.mock.calls.find(([message]) => String(message).includes('Broken.run'));
      expect(call).toBeDefined();
      expect(String(call![1])).toContain('Error: boom');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('lifecycle', () => {
  it('starts at bootstrap and, on close, waits for a running handler to finish', async () => {
    const release = deferred();
    const finished: string[] = [];
    @Injectable()
    class Slow {
      @Scheduled({ interval: 1_000 })
      async run() {
        await release.promise;
        finished.push('slow');
      }
    }
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet(), shutdownTimeout: 60_000 })], providers: [Slow] })
    class App {}
    const app = await boot(App);
    const scheduler = app.get(Scheduler);
    await vi.advanceTimersByTimeAsync(1_000);
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(closed).toBe(false);
    release.resolve();
    await closing;
    expect(finished).toEqual(['slow']);
    expect(scheduler.state).toBe('stopped');
    await app.close(); // twice is harmless
  });

  it('aborts a stuck handler through ctx.signal at the shutdown timeout', async () => {
    let signal: AbortSignal | undefined;
    @Injectable()
    class Stuck {
      @Scheduled({ interval: 1_000 })
      run(_args: unknown, ctx: RunContext) {
        signal = ctx.signal;
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      }
    }
    @Module({ imports: [HoraeModule.forRoot({ logger: quiet(), shutdownTimeout: 5_000 })], providers: [Stuck] })
    class App {}
    const app = await boot(App);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(signal?.aborted).toBe(false);
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(closed).toBe(false);
    expect(signal!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(signal!.aborted).toBe(true);
  });

  it('refuses a shutdown timeout that is not a number of milliseconds', async () => {
    @Module({ imports: [HoraeModule.forRoot({ shutdownTimeout: -1, logger: quiet() })] })
    class App {}
    await expect(boot(App)).rejects.toThrow('invalid shutdownTimeout -1: give milliseconds as a finite number >= 0, or Infinity');
  });

  it('does not start with autoStart: false', async () => {
    @Module({ imports: [HoraeModule.forRoot({ autoStart: false, logger: quiet() }), ReportsModule] })
    class App {}
    const app = track(await boot(App));
    expect(app.get(Scheduler).state).toBe('stopped');
    expect((await app.get(Scheduler).getTaskInfos()).map((info) => info.state)).toEqual(['pending', 'pending']);
  });
});
