import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Scheduler, type AddTaskOptions, type TriggerInput } from '@horae/core';
import { Bootstrap } from '../bootstrap.js';
import { TaskDeclarations } from '../declarations.js';
import { discoverMethods, methodHandler, type DiscoveredMethod } from '../discovery.js';
import { readMethodMetadata } from '../metadata.js';
import { HORAE_MODULE_OPTIONS } from '../tokens.js';
import { SCHEDULE_METADATA, type CronOptions, type CronTimeInput, type ScheduleDeclaration } from './decorators.js';
import { HoraeCronJob, TimerHandle, cronTimeView, type JobBinding } from './jobs.js';
import { errors, logs } from '../messages.js';
import { SchedulerRegistry } from './registry.js';
import { DEFAULT_THRESHOLD, LOCAL_STORE, UNBOUNDED_INSTANCES, cronTrigger, type ScheduleModuleOptions } from './schedule-options.js';

type Kind = 'Cron Job' | 'Interval' | 'Timeout';

/** A job declared with a decorator, as bootstrap times it. */
type Declared =
  | { readonly kind: 'Cron Job'; readonly id: string; readonly store: string; readonly job: HoraeCronJob; readonly trigger: TriggerInput; readonly initialDelay: number }
  | { readonly kind: 'Interval' | 'Timeout'; readonly id: string; readonly store: string; readonly handle: TimerHandle; readonly milliseconds: number };

/**
 * Finds `@Cron`, `@Interval` and `@Timeout` methods at module init and turns them into tasks
 * and registry entries. At bootstrap, jobs in stores of this process are timed from that moment,
 * as `@nestjs/schedule` mounts its timers then: a cron job's first fire is strictly after it
 * (after it plus `initialDelay`), an interval's first tick and a timeout one period after it.
 * Jobs in a shared store keep the schedule the store holds (another replica may be running it);
 * those stopped meanwhile stay stopped. At shutdown the registry is emptied, as upstream's is.
 */
@Injectable()
export class ScheduleExplorer implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly declared: Declared[] = [];
  /** The names declared so far, by kind: a name used twice by one kind fails as upstream fails. */
  private readonly named = new Map<string, Kind>();

  constructor(
    @Inject(HORAE_MODULE_OPTIONS) private readonly options: ScheduleModuleOptions,
    @Inject(Scheduler) private readonly scheduler: Scheduler,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(TaskDeclarations) private readonly declarations: TaskDeclarations,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(Bootstrap) bootstrap: Bootstrap,
  ) {
    bootstrap.beforeStart(() => this.timeLocalJobs());
    bootstrap.afterStart(() => this.startSharedJobs());
  }

  async onModuleInit(): Promise<void> {
    for (const found of discoverMethods(this.discovery, this.scanner)) {
      for (const declaration of readMethodMetadata<ScheduleDeclaration>(found.method, SCHEDULE_METADATA)) {
        if (declaration.kind === 'cron' && this.options.cronJobs === false) continue;
        if (declaration.kind === 'interval' && this.options.intervals === false) continue;
        if (declaration.kind === 'timeout' && this.options.timeouts === false) continue;
        if (!found.wrapper.isDependencyTreeStatic() && this.options.requestScoped !== 'run') {
          // As upstream: skipped with its warning, word for word, unless asked to run them.
          this.logger.warn(logs.nonStaticSkipped(declaration.kind, found.wrapper.name, found.methodName));
          continue;
        }
        if (declaration.kind === 'cron') await this.addCron(found, declaration.cronTime, declaration.options);
        if (declaration.kind === 'interval') await this.addInterval(found, declaration.name, declaration.timeout);
        if (declaration.kind === 'timeout') await this.addTimeout(found, declaration.name, declaration.timeout);
      }
    }
  }

  beforeApplicationShutdown(): void {
    this.registry.closeAll();
  }

  /** Whether a store lives in this process (its jobs are timed as upstream's timers are). */
  private isLocal(store: string): boolean {
    return this.options.stores?.[store]?.persistent !== true;
  }

  /** Before the scheduler starts: the jobs of this process's stores, timed from now. */
  private async timeLocalJobs(): Promise<void> {
    const now = Date.now();
    for (const entry of this.declared) {
      if (!this.isLocal(entry.store)) continue;
      const at = { store: entry.store };
      if (entry.kind === 'Cron Job') {
        const next = entry.job.isActive ? this.firstFireAfter(entry.trigger, entry.id, now + entry.initialDelay) : null;
        await this.scheduler.updateTask(entry.id, { nextRunTime: next }, at);
      } else if (entry.handle.isCleared) {
        if (entry.kind === 'Interval') await this.scheduler.updateTask(entry.id, { nextRunTime: null }, at);
      } else {
        const trigger: TriggerInput =
          entry.kind === 'Interval'
            ? { type: 'interval', milliseconds: entry.milliseconds, startAt: now + entry.milliseconds }
            : { type: 'date', runAt: now + entry.milliseconds };
        await this.scheduler.updateTask(entry.id, { trigger }, at);
      }
    }
  }

  /**
   * Once the scheduler runs: jobs of a shared store that this process wants running run, even if
   * a replica had stopped the shared task (as after a restart of `@nestjs/schedule`); a job
   * stopped here since it was declared stays stopped.
   */
  private async startSharedJobs(): Promise<void> {
    for (const entry of this.declared) {
      if (this.isLocal(entry.store) || entry.kind === 'Timeout') continue;
      const active = entry.kind === 'Cron Job' ? entry.job.isActive : !entry.handle.isCleared;
      if (!active) continue;
      const task = await this.scheduler.getTask(entry.id, { store: entry.store });
      if (task !== null && task.nextRunTime === null) await this.scheduler.resumeTask(entry.id, { store: entry.store });
    }
  }

  /**
   * Claims a job's name: the same name twice for one kind fails with @nestjs/schedule's own
   * message (what app tests match); across kinds, where upstream keeps separate lists, the task
   * ids of Horae still collide, with Horae's message.
   */
  private claim(kind: Kind, id: string, found: DiscoveredMethod): void {
    if (this.named.get(id) === kind) throw errors.jobExists(kind, id);
    this.declarations.claim(id, found.where);
    this.named.set(id, kind);
  }

  private binding(id: string, store: string, found: DiscoveredMethod): JobBinding {
    return {
      scheduler: this.scheduler,
      id,
      store,
      local: this.isLocal(store),
      invoke: methodHandler(found, this.moduleRef),
      report: (message, error) => this.scheduler.logger.error(message, error),
    };
  }

  private async addCron(found: DiscoveredMethod, cronTime: CronTimeInput, options: CronOptions): Promise<void> {
    const id = options.name ?? found.where;
    const store = 'default';
    this.claim('Cron Job', id, found);
    const trigger = cronTrigger(cronTime, options.timeZone, options.utcOffset, `@Cron on ${found.where}`, this.scheduler.timezone);
    const source = typeof cronTime === 'string' || cronTime instanceof Date ? cronTime : cronTime.toJSDate();
    const zone = typeof trigger === 'object' && 'timezone' in trigger ? (trigger.timezone as string) : undefined;
    const job = new HoraeCronJob(this.binding(id, store, found), cronTimeView(source, zone, options.utcOffset), options.disabled !== true);
    this.scheduler.define(id, job.track(methodHandler(found, this.moduleRef)));
    const initialDelay = options.initialDelay !== undefined && options.initialDelay > 0 ? options.initialDelay : 0;
    const task: AddTaskOptions = {
      id,
      handler: id,
      trigger,
      coalesce: true,
      misfireGraceTime: options.threshold ?? DEFAULT_THRESHOLD,
      maxInstances: options.waitForCompletion === true ? 1 : UNBOUNDED_INSTANCES,
      replaceExisting: true,
    };
    if (options.disabled === true) task.nextRunTime = null;
    // As cron's start(): the first fire strictly after now (in a store of this process, timed
    // again at bootstrap); in a shared store, only a delay sets it, else the schedule it holds stands.
    else if (this.isLocal(store) || initialDelay > 0) task.nextRunTime = this.firstFireAfter(trigger, id, Date.now() + initialDelay);
    await this.scheduler.addTask(task);
    this.declared.push({ kind: 'Cron Job', id, store, job, trigger, initialDelay });
    this.registry.registerDeclared('cron', id, job);
  }

  private async addInterval(found: DiscoveredMethod, name: string | undefined, timeout: number): Promise<void> {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 1) {
      throw errors.invalidTimeout('Interval', found.where, timeout);
    }
    const id = name ?? found.where;
    const store = 'default';
    this.claim('Interval', id, found);
    const handle = new TimerHandle(id, () => {
      this.scheduler.pauseTask(id).catch((error: unknown) => this.scheduler.logger.error(`Interval "${id}" could not be stopped.`, error));
    });
    const invoke = methodHandler(found, this.moduleRef);
    // In a store of this process, a cleared interval calls nothing more at once, as clearInterval stops a timer.
    this.scheduler.define(id, this.isLocal(store) ? (args, ctx) => (handle.isCleared ? undefined : invoke(args, ctx)) : invoke);
    await this.scheduler.addTask({
      id,
      handler: id,
      trigger: { type: 'interval', milliseconds: timeout },
      coalesce: true,
      // setInterval runs late rather than never.
      misfireGraceTime: null,
      maxInstances: UNBOUNDED_INSTANCES,
      replaceExisting: true,
    });
    this.declared.push({ kind: 'Interval', id, store, handle, milliseconds: timeout });
    this.registry.registerDeclared('interval', id, handle);
  }

  private async addTimeout(found: DiscoveredMethod, name: string | undefined, timeout: number): Promise<void> {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw errors.invalidTimeout('Timeout', found.where, timeout);
    }
    const id = name ?? found.where;
    this.claim('Timeout', id, found);
    const invoke = methodHandler(found, this.moduleRef);
    const handle = new TimerHandle(id, () => {
      this.scheduler
        .getTask(id, { store: LOCAL_STORE })
        .then((task) => task?.delete())
        .catch((error: unknown) => this.scheduler.logger.error(`Timeout "${id}" could not be cleared.`, error));
    });
    // In this process only: "N ms after this process started" is not a shared schedule.
    await this.scheduler.addTask({
      id,
      store: LOCAL_STORE,
      handler: (args, ctx) => (handle.isCleared ? undefined : invoke(args, ctx)),
      trigger: { type: 'date', runAt: Date.now() + timeout },
      misfireGraceTime: null,
      maxInstances: UNBOUNDED_INSTANCES,
      replaceExisting: true,
    });
    this.declared.push({ kind: 'Timeout', id, store: LOCAL_STORE, handle, milliseconds: timeout });
    this.registry.registerDeclared('timeout', id, handle);
  }

  /** The first fire time strictly after `after`, as cron's start() finds it (whole-second schedules: one ms on is after). */
  private firstFireAfter(trigger: TriggerInput, id: string, after: number): number | null {
    const start = after + 1;
    return this.scheduler.triggers.create(trigger, { timezone: this.scheduler.timezone, now: start, taskId: id }).getNextFireTime(null, start);
  }
}
