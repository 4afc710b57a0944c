import { Inject, Injectable, Logger } from '@nestjs/common';
import { Scheduler, type AddTaskOptions, type TriggerInput } from '@horae/core';
import { errors } from '../messages.js';
import { HoraeCronJob, TimerHandle } from './jobs.js';
import { LOCAL_STORE, cronTrigger, UNBOUNDED_INSTANCES, DEFAULT_THRESHOLD } from './schedule-options.js';

/** The members of a `cron` package `CronJob` that the registry uses, duck-typed. */
export interface CronJobLike {
  cronTime: { source: unknown; timeZone?: string | undefined; utcOffset?: number | undefined };
  fireOnTick(): unknown;
  start(): unknown;
  stop(): unknown;
  readonly isActive?: boolean;
  readonly running?: boolean;
  threshold?: number;
  waitForCompletion?: boolean;
}

/** A job in the registry: a Horae-backed job, or a `cron` package job adopted by `addCronJob`. */
export type RegisteredCronJob = HoraeCronJob | CronJobLike;

function isCronJobLike(job: unknown): job is CronJobLike {
  if (typeof job !== 'object' || job === null) return false;
  const candidate = job as Partial<CronJobLike>;
  return (
    typeof candidate.fireOnTick === 'function' &&
    typeof candidate.start === 'function' &&
    typeof candidate.stop === 'function' &&
    typeof candidate.cronTime === 'object' &&
    candidate.cronTime !== null
  );
}

/**
 * `@nestjs/schedule`'s `SchedulerRegistry`, on Horae: the same methods, names and error
 * messages. Jobs declared with `@Cron` are {@link HoraeCronJob}s; `addCronJob` also takes a
 * `CronJob` of the `cron` package, as the original does, and runs it through the scheduler (in
 * this process's `local` memory store, since its callback cannot be shared with other replicas).
 * `getInterval` / `getTimeout` return {@link TimerHandle}s that Node's `clearInterval` /
 * `clearTimeout` stop; values given to `addInterval` / `addTimeout` are kept as they are.
 *
 * @example
 * ```ts
 * @Injectable()
 * class Jobs {
 *   constructor(private readonly registry: SchedulerRegistry) {}
 *   addReminder(name: string) {
 *     const job = new CronJob('0 9 * * *', () => this.remind(name));
 *     this.registry.addCronJob(name, job);
 *     job.start();
 *   }
 * }
 * ```
 * @public
 */
@Injectable()
export class SchedulerRegistry {
  private readonly logger = new Logger('SchedulerRegistry');
  private readonly cronJobs = new Map<string, RegisteredCronJob>();
  private readonly intervals = new Map<string, unknown>();
  private readonly timeouts = new Map<string, unknown>();
  /** Operations on adopted jobs, in call order (start right after add must see the task). */
  private readonly queues = new WeakMap<object, Promise<unknown>>();

  constructor(@Inject(Scheduler) private readonly scheduler: Scheduler) {}

  /** Whether a job of a kind is registered under a name. */
  doesExist(type: 'cron' | 'interval' | 'timeout', name: string): boolean {
    if (type === 'cron') return this.cronJobs.has(name);
    if (type === 'interval') return this.intervals.has(name);
    if (type === 'timeout') return this.timeouts.has(name);
    return false;
  }

  getCronJob(name: string): HoraeCronJob {
    const job = this.cronJobs.get(name);
    if (!job) throw errors.jobNotFound('Cron Job', name);
    return job as HoraeCronJob;
  }

  getInterval(name: string): TimerHandle {
    const ref = this.intervals.get(name);
    if (typeof ref === 'undefined') throw errors.jobNotFound('Interval', name);
    return ref as TimerHandle;
  }

  getTimeout(name: string): TimerHandle {
    const ref = this.timeouts.get(name);
    if (typeof ref === 'undefined') throw errors.jobNotFound('Timeout', name);
    return ref as TimerHandle;
  }

  /**
   * Registers a job: a `CronJob` of the `cron` package (run by Horae from now on, stopped as the
   * original leaves it until `job.start()`), or a job taken from this registry.
   */
  addCronJob(name: string, job: RegisteredCronJob): void {
    if (this.cronJobs.get(name)) throw errors.jobExists('Cron Job', name);
    if (job instanceof HoraeCronJob) {
      this.cronJobs.set(name, job);
      return;
    }
    if (!isCronJobLike(job)) throw errors.notACronJob(name, job);
    this.adopt(name, job);
    this.cronJobs.set(name, job);
  }

  addInterval<T = unknown>(name: string, intervalId: T): void {
    if (this.intervals.get(name)) throw errors.jobExists('Interval', name);
    this.intervals.set(name, intervalId);
  }

  addTimeout<T = unknown>(name: string, timeoutId: T): void {
    if (this.timeouts.get(name)) throw errors.jobExists('Timeout', name);
    this.timeouts.set(name, timeoutId);
  }

  getCronJobs(): Map<string, RegisteredCronJob> {
    return this.cronJobs;
  }

  /** Stops a job and removes it (and its task). */
  deleteCronJob(name: string): void {
    const job = this.getCronJob(name) as RegisteredCronJob;
    this.cronJobs.delete(name);
    if (job instanceof HoraeCronJob) {
      this.background(`Cron Job "${name}" could not be deleted`, this.deleteTask(name, job));
    } else {
      void job.stop();
      this.enqueue(job, () => this.deleteTask(name, undefined));
    }
  }

  getIntervals(): string[] {
    return [...this.intervals.keys()];
  }

  deleteInterval(name: string): void {
    const interval = this.getInterval(name);
    clearInterval(interval as unknown as NodeJS.Timeout);
    this.intervals.delete(name);
  }

  getTimeouts(): string[] {
    return [...this.timeouts.keys()];
  }

  deleteTimeout(name: string): void {
    const timeout = this.getTimeout(name);
    clearTimeout(timeout as unknown as NodeJS.Timeout);
    this.timeouts.delete(name);
  }

  /** Registers a decorator-declared job (used by the explorer). @internal */
  registerDeclared(kind: 'cron' | 'interval' | 'timeout', name: string, handle: HoraeCronJob | TimerHandle): void {
    const map = kind === 'cron' ? this.cronJobs : kind === 'interval' ? this.intervals : this.timeouts;
    if (map.has(name)) throw errors.jobExists(kind === 'cron' ? 'Cron Job' : kind === 'interval' ? 'Interval' : 'Timeout', name);
    map.set(name, handle);
  }

  /** Hands a `cron` package job to the scheduler: its timer stops, its start/stop act on a task. */
  private adopt(name: string, job: CronJobLike): void {
    const wasActive = job.isActive === true || job.running === true;
    const ownStop = job.stop.bind(job);
    const ownFireOnTick = job.fireOnTick.bind(job);
    if (wasActive) void ownStop();
    let active = wasActive;
    const trigger = (): TriggerInput => cronTrigger(job.cronTime.source, job.cronTime.timeZone ?? undefined, job.cronTime.utcOffset ?? undefined, `Cron Job "${name}"`, this.scheduler.timezone);
    const task: AddTaskOptions = {
      id: name,
      store: LOCAL_STORE,
      handler: async () => {
        await ownFireOnTick();
      },
      trigger: trigger(),
      coalesce: true,
      misfireGraceTime: job.threshold ?? DEFAULT_THRESHOLD,
      maxInstances: job.waitForCompletion === true ? 1 : UNBOUNDED_INSTANCES,
      replaceExisting: true,
      ...(wasActive ? {} : { nextRunTime: null }),
    };
    this.enqueue(job, () => this.scheduler.addTask(task));
    Object.defineProperties(job, {
      isActive: { get: () => active, configurable: true },
      running: { get: () => active, configurable: true },
      start: {
        configurable: true,
        value: () => {
          active = true;
          // From job.cronTime each time: cron's own setTime stops, changes cronTime and starts.
          this.enqueue(job, () => this.scheduler.rescheduleTask(name, trigger(), { store: LOCAL_STORE }));
        },
      },
      stop: {
        configurable: true,
        value: () => {
          active = false;
          this.enqueue(job, async () => {
            if ((await this.scheduler.getTask(name, { store: LOCAL_STORE })) !== null) await this.scheduler.pauseTask(name, { store: LOCAL_STORE });
          });
        },
      },
      fireOnTick: {
        configurable: true,
        // As the original registry does: a failing tick is logged, not thrown.
        value: async () => {
          try {
            await ownFireOnTick();
          } catch (error) {
            this.logger.error(error);
          }
        },
      },
    });
  }

  private enqueue(job: object, operation: () => Promise<unknown>): void {
    const previous = this.queues.get(job) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    this.queues.set(job, next.catch(() => undefined));
    this.background(`An operation on a cron job failed`, next);
  }

  /** Waits for the operations queued on adopted jobs so far (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.cronJobs.values()].map((job) => this.queues.get(job) ?? Promise.resolve()));
  }

  private async deleteTask(name: string, job: HoraeCronJob | undefined): Promise<void> {
    const store = job === undefined ? LOCAL_STORE : job.store;
    if ((await this.scheduler.getTask(name, { store })) !== null) await this.scheduler.deleteTask(name, { store });
  }

  private background(message: string, promise: Promise<unknown>): void {
    promise.catch((error: unknown) => this.logger.error(message, error instanceof Error ? error.stack : String(error)));
  }
}
