import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Scheduler, type AddTaskOptions } from '@horae/core';
import { TaskDeclarations } from '../declarations.js';
import { discoverMethods, methodHandler, type DiscoveredMethod } from '../discovery.js';
import { readMethodMetadata } from '../metadata.js';
import { HORAE_MODULE_OPTIONS } from '../tokens.js';
import { SCHEDULE_METADATA, type CronOptions, type CronTimeInput, type ScheduleDeclaration } from './decorators.js';
import { HoraeCronJob, TimerHandle, cronTimeView, type JobBinding } from './jobs.js';
import { errors } from '../messages.js';
import { SchedulerRegistry } from './registry.js';
import { DEFAULT_THRESHOLD, LOCAL_STORE, UNBOUNDED_INSTANCES, cronTrigger, type ScheduleModuleOptions } from './schedule-options.js';

/**
 * Finds `@Cron`, `@Interval` and `@Timeout` methods at module init and turns them into tasks
 * and registry entries; at bootstrap, starts what should run.
 */
@Injectable()
export class ScheduleExplorer implements OnModuleInit, OnApplicationBootstrap {
  /** Jobs that should be running after bootstrap, by task id and store. */
  private readonly toStart: { id: string; store: string }[] = [];
  /** The names declared so far, by kind: a name used twice by one kind fails as upstream fails. */
  private readonly named = new Map<string, 'Cron Job' | 'Interval' | 'Timeout'>();

  constructor(
    @Inject(HORAE_MODULE_OPTIONS) private readonly options: ScheduleModuleOptions,
    @Inject(Scheduler) private readonly scheduler: Scheduler,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(TaskDeclarations) private readonly declarations: TaskDeclarations,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const found of discoverMethods(this.discovery, this.scanner)) {
      for (const declaration of readMethodMetadata<ScheduleDeclaration>(found.method, SCHEDULE_METADATA)) {
        if (declaration.kind === 'cron' && this.options.cronJobs !== false) await this.addCron(found, declaration.cronTime, declaration.options);
        if (declaration.kind === 'interval' && this.options.intervals !== false) await this.addInterval(found, declaration.name, declaration.timeout);
        if (declaration.kind === 'timeout' && this.options.timeouts !== false) await this.addTimeout(found, declaration.name, declaration.timeout);
      }
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart === false) return;
    await this.scheduler.start();
    // As after a restart of @nestjs/schedule: enabled jobs run, even if a shared task was stopped.
    for (const { id, store } of this.toStart) {
      const task = await this.scheduler.getTask(id, { store });
      if (task !== null && task.nextRunTime === null) await this.scheduler.resumeTask(id, { store });
    }
  }

  /**
   * Claims a job's name: the same name twice for one kind fails with @nestjs/schedule's own
   * message (what app tests match); across kinds, where upstream keeps separate lists, the task
   * ids of Horae still collide, with Horae's message.
   */
  private claim(kind: 'Cron Job' | 'Interval' | 'Timeout', id: string, found: DiscoveredMethod): void {
    if (this.named.get(id) === kind) throw errors.jobExists(kind, id);
    this.declarations.claim(id, found.where);
    this.named.set(id, kind);
  }

  private binding(id: string, store: string, found: DiscoveredMethod): JobBinding {
    return {
      scheduler: this.scheduler,
      id,
      store,
      invoke: methodHandler(found, this.moduleRef),
      report: (message, error) => this.scheduler.logger.error(message, error),
    };
  }

  private async addCron(found: DiscoveredMethod, cronTime: CronTimeInput, options: CronOptions): Promise<void> {
    const id = options.name ?? found.where;
    this.claim('Cron Job', id, found);
    const trigger = cronTrigger(cronTime, options.timeZone, options.utcOffset, `@Cron on ${found.where}`, this.scheduler.timezone);
    const source = typeof cronTime === 'string' || cronTime instanceof Date ? cronTime : cronTime.toJSDate();
    const zone = typeof trigger === 'object' && 'timezone' in trigger ? (trigger.timezone as string) : undefined;
    const job = new HoraeCronJob(this.binding(id, 'default', found), cronTimeView(source, zone, options.utcOffset), options.disabled !== true);
    this.scheduler.define(id, job.track(methodHandler(found, this.moduleRef)));
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
    else if (options.initialDelay !== undefined && options.initialDelay > 0) task.nextRunTime = this.firstFireAfter(trigger, id, Date.now() + options.initialDelay);
    await this.scheduler.addTask(task);
    if (options.disabled !== true) this.toStart.push({ id, store: 'default' });
    this.registry.registerDeclared('cron', id, job);
  }

  private async addInterval(found: DiscoveredMethod, name: string | undefined, timeout: number): Promise<void> {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 1) {
      throw errors.invalidTimeout('Interval', found.where, timeout);
    }
    const id = name ?? found.where;
    this.claim('Interval', id, found);
    this.scheduler.define(id, methodHandler(found, this.moduleRef));
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
    this.toStart.push({ id, store: 'default' });
    const handle = new TimerHandle(id, () => {
      this.scheduler.pauseTask(id).catch((error: unknown) => this.scheduler.logger.error(`Interval "${id}" could not be stopped.`, error));
    });
    this.registry.registerDeclared('interval', id, handle);
  }

  private async addTimeout(found: DiscoveredMethod, name: string | undefined, timeout: number): Promise<void> {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw errors.invalidTimeout('Timeout', found.where, timeout);
    }
    const id = name ?? found.where;
    this.claim('Timeout', id, found);
    // In this process only: "N ms after this process started" is not a shared schedule.
    await this.scheduler.addTask({
      id,
      store: LOCAL_STORE,
      handler: methodHandler(found, this.moduleRef),
      trigger: { type: 'date', runAt: Date.now() + timeout },
      misfireGraceTime: null,
      maxInstances: UNBOUNDED_INSTANCES,
      replaceExisting: true,
    });
    const handle = new TimerHandle(id, () => {
      this.scheduler
        .getTask(id, { store: LOCAL_STORE })
        .then((task) => task?.delete())
        .catch((error: unknown) => this.scheduler.logger.error(`Timeout "${id}" could not be cleared.`, error));
    });
    this.registry.registerDeclared('timeout', id, handle);
  }

  private firstFireAfter(trigger: ReturnType<typeof cronTrigger>, id: string, after: number): number | null {
    return this.scheduler.triggers.create(trigger, { timezone: this.scheduler.timezone, now: after, taskId: id }).getNextFireTime(null, after);
  }
}
