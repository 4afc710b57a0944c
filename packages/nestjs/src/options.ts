import type { AddTaskOptions, Executor, SchedulerOptions, TaskDefaults, TaskHandler, TaskStore } from '@horae/core';
import type { HoraeLoggerOption } from './logger.js';

/**
 * What a handler error hands to {@link HoraeModuleOptions.onError}: the task and the fire time
 * the failed run stood for.
 * @public
 */
export interface TaskErrorInfo {
  readonly taskId: string;
  /** The store the task lives in. */
  readonly store: string;
  /** The fire time the failed run stood for. */
  readonly scheduledAt: Date;
  /** How long the run took before it failed, ms. */
  readonly duration: number;
}

/**
 * Options of {@link HoraeModule.forRoot} (and what `forRootAsync`'s factory returns).
 *
 * @example
 * ```ts
 * HoraeModule.forRoot({
 *   stores: { default: new FileStore({ directory: '.horae' }) },
 *   timezone: 'Europe/Berlin',
 *   shutdownTimeout: 15_000,
 * });
 * ```
 * @public
 */
export interface HoraeModuleOptions<TConfig = unknown> {
  /** Stores by alias; a `default` memory store is added when none is named `default`. */
  stores?: Record<string, TaskStore>;
  /** Executors by alias; a `default` async executor is added when none is named `default`. */
  executors?: Record<string, Executor>;
  /** IANA time zone of triggers that name none; default the system's. */
  timezone?: string;
  /** Defaults for task options (coalesce, misfireGraceTime, maxInstances, jitter, executor). */
  taskDefaults?: Partial<TaskDefaults>;
  /** Where the scheduler logs; default Nest's `Logger` with the context `Horae`. `false`: silent. */
  logger?: HoraeLoggerOption;
  /**
   * How long `app.close()` (or SIGTERM with `enableShutdownHooks()`) waits for running handlers
   * before aborting them through `ctx.signal`, ms. Default 10,000; `Infinity` waits as long as
   * they take.
   */
  shutdownTimeout?: number;
  /**
   * Whether `app.close()` waits for running handlers, up to `shutdownTimeout` (default `true`;
   * `ScheduleModule`'s default is `false`, as `@nestjs/schedule` does not wait). `false`: close
   * returns at once and the runs still going are aborted through `ctx.signal`.
   */
  drainOnShutdown?: boolean;
  /** Find `@Scheduled` methods on providers and controllers at module init (default `true`). */
  discover?: boolean;
  /** Start the scheduler at application bootstrap (default `true`); `false`: call `scheduler.start()` yourself. */
  autoStart?: boolean;
  /**
   * What `@Scheduled` option functions receive, e.g. a `ConfigService`:
   * `@Scheduled({ cron: (config: ConfigService) => config.get('REPORT_CRON') })`.
   */
  config?: TConfig;
  /** Called for every failed run, after the error is logged and emitted as `task:error`. */
  onError?: (error: unknown, info: TaskErrorInfo) => unknown;
  /** Further scheduler options: lease duration, batch size, instance id, clock, ... */
  scheduler?: Omit<SchedulerOptions, 'stores' | 'executors' | 'timezone' | 'taskDefaults' | 'logger'>;
}

/**
 * A class that makes the module's options, for `forRootAsync({ useClass })` or `useExisting`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class HoraeConfig implements HoraeOptionsFactory {
 *   constructor(@Inject(RedisClient) private readonly redis: Redis) {}
 *   createHoraeOptions(): HoraeModuleOptions {
 *     return { stores: { default: new RedisStore({ client: this.redis }) } };
 *   }
 * }
 * HoraeModule.forRootAsync({ imports: [RedisModule], useClass: HoraeConfig });
 * ```
 * @public
 */
export interface HoraeOptionsFactory {
  createHoraeOptions(): HoraeModuleOptions | Promise<HoraeModuleOptions>;
}

/**
 * What a feature module adds through {@link HoraeModule.forFeature}: stores, named handlers and
 * tasks, registered before the scheduler starts.
 *
 * @example
 * ```ts
 * HoraeModule.forFeature({
 *   stores: { audit: new FileStore({ directory: '.horae/audit' }) },
 *   handlers: { 'audit:compact': () => compactAuditLog() },
 *   tasks: [{ id: 'audit:compact', handler: 'audit:compact', store: 'audit', trigger: { type: 'cron', expression: '0 4 * * *' } }],
 * });
 * ```
 * @public
 */
export interface HoraeFeatureOptions {
  /** Stores by alias; an alias that exists already is an error. */
  stores?: Record<string, TaskStore>;
  /** Handlers by name, for `tasks` (and for tasks that other replicas add) to refer to. */
  handlers?: Record<string, TaskHandler>;
  /** Tasks added at init; `replaceExisting` defaults to `true` so every replica may declare them. */
  tasks?: AddTaskOptions[];
}

/**
 * The object a request-scoped provider gets for `@Inject(REQUEST)` during a scheduled run: there
 * is no HTTP request, so it describes the run instead.
 *
 * @example
 * ```ts
 * @Injectable({ scope: Scope.REQUEST })
 * class Digest {
 *   constructor(@Inject(REQUEST) private readonly run: ScheduledRun) {}
 *   @Scheduled({ cron: '0 8 * * *' })
 *   send() { this.log.info(`digest for ${this.run.scheduledAt.toISOString()}`); }
 * }
 * ```
 * @public
 */
export interface ScheduledRun {
  readonly taskId: string;
  readonly taskName: string;
  readonly scheduledAt: Date;
  readonly signal: AbortSignal;
}
