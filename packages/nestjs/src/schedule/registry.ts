import { Injectable, Logger } from '@nestjs/common';
import { errors } from '../messages.js';
import { HoraeCronJob, TimerHandle } from './jobs.js';

/** The members of a `cron` package `CronJob` that the registry uses, duck-typed. */
export interface CronJobLike {
  cronTime: { source: unknown; timeZone?: string | undefined; utcOffset?: number | undefined };
  fireOnTick(): unknown;
  start(): unknown;
  stop(): unknown;
  readonly isActive?: boolean;
  readonly running?: boolean;
}

/** A job in the registry: a Horae-backed job, or a `cron` package job given to `addCronJob`. */
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
 * messages. Jobs declared with `@Cron` are {@link HoraeCronJob}s, backed by tasks; `addCronJob`
 * takes a `CronJob` of the `cron` package as the original does and leaves it to run itself, on
 * its own timer in this process (its callback exists nowhere else), with a failing tick logged.
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
   * Registers a job: a `CronJob` of the `cron` package (it runs on its own timer, as with the
   * original; a failing tick is logged, not thrown), or a job taken from this registry.
   */
  addCronJob(name: string, job: RegisteredCronJob): void {
    if (this.cronJobs.get(name)) throw errors.jobExists('Cron Job', name);
    if (job instanceof HoraeCronJob) {
      this.cronJobs.set(name, job);
      return;
    }
    if (!isCronJobLike(job)) throw errors.notACronJob(name, job);
    const fireOnTick = job.fireOnTick.bind(job);
    // As the original registry does: its timer calls job.fireOnTick, whose failure is logged.
    job.fireOnTick = async () => {
      try {
        await fireOnTick();
      } catch (error) {
        this.logger.error(error);
      }
    };
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

  /** Stops a job and removes it; a `@Cron` job's task is deleted. */
  deleteCronJob(name: string): void {
    const job = this.getCronJob(name) as RegisteredCronJob;
    this.cronJobs.delete(name);
    if (job instanceof HoraeCronJob) {
      // A failure is logged by the job.
      job.delete().catch(() => undefined);
    } else {
      void job.stop();
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

  /**
   * Empties the registry at shutdown, as `@nestjs/schedule` does: every job is stopped as this
   * process sees it and removed, and the timers of `addInterval` / `addTimeout` and of `cron`
   * jobs are cleared. The tasks of `@Cron` and `@Interval` jobs are left as they are: the
   * scheduler stops with the application, and a task of a shared store goes on running on the
   * other replicas. @internal
   */
  closeAll(): void {
    for (const [kind, map] of [['interval', this.intervals], ['timeout', this.timeouts]] as const) {
      for (const value of map.values()) {
        if (value instanceof TimerHandle) value.detach();
        else if (kind === 'interval') clearInterval(value as NodeJS.Timeout);
        else clearTimeout(value as NodeJS.Timeout);
      }
      map.clear();
    }
    for (const job of this.cronJobs.values()) {
      if (job instanceof HoraeCronJob) job.detach();
      else void job.stop();
    }
    this.cronJobs.clear();
  }

  /** Registers a decorator-declared job (used by the explorer). @internal */
  registerDeclared(kind: 'cron' | 'interval' | 'timeout', name: string, handle: HoraeCronJob | TimerHandle): void {
    const map = kind === 'cron' ? this.cronJobs : kind === 'interval' ? this.intervals : this.timeouts;
    if (map.has(name)) throw errors.jobExists(kind === 'cron' ? 'Cron Job' : kind === 'interval' ? 'Interval' : 'Timeout', name);
    map.set(name, handle);
  }
}
