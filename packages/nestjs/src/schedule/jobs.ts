import { DateTime } from 'luxon';
import type { Scheduler, TaskInfo, TaskHandler, TriggerInput } from '@horae/core';
import { errors } from '../messages.js';

/** What a job handle needs to act on its task. */
export interface JobBinding {
  readonly scheduler: Scheduler;
  /** The task id (also the job's name in the registry). */
  readonly id: string;
  /** The store the task lives in. */
  readonly store: string;
  /**
   * Whether that store lives in this process: then this process's view of the job is the whole
   * truth, and a stopped job's method is not called even by a tick its task's pause has not
   * reached yet (stop() takes effect at once, as `cron`'s does).
   */
  readonly local: boolean;
  /** Calls the method, in this process. */
  readonly invoke: TaskHandler;
  /** Reports an error of an operation nobody awaits (a handle method called without `await`). */
  readonly report: (message: string, error: unknown) => void;
}

/** The cron time of a job, shaped like the `cron` package's `CronTime` where users read it. */
export interface CronTimeView {
  readonly source: string | Date;
  readonly timeZone?: string;
  readonly utcOffset?: number;
  toString(): string;
}

/** A callback added with {@link HoraeCronJob.addCallback}; `this` is the job, as in `cron`. */
export type CronJobCallback = (this: HoraeCronJob) => unknown;

/**
 * A cron job of the {@link SchedulerRegistry}, backed by a Horae task: it offers what code and
 * tests call on `@nestjs/schedule`'s jobs (the `cron` package's `CronJob`) — `start`, `stop`,
 * `isActive`, `lastDate`, `nextDate`, `nextDates`, `fireOnTick`, `setTime`, `addCallback` — and
 * acts on the task. On a shared store, `start` and `stop` resume and pause the task for every
 * replica.
 *
 * As on the original, `start`, `stop` and `setTime` take effect on `isActive` and `cronTime` at
 * once, so code that does not await them reads what it expects; the store catches up in the order
 * of the calls. They return a promise for callers that want to know when the store has: a failure
 * is logged and rejects that promise, without an unhandled rejection when nobody awaits it.
 *
 * @example
 * ```ts
 * const job = this.registry.getCronJob('sync');
 * await job.stop();
 * console.log(job.isActive, job.nextDate().toISO());
 * ```
 * @public
 */
export class HoraeCronJob {
  /** The job's name, which is also its task id. */
  readonly name: string;
  /** When the handler last started in this process (`cron`'s `lastExecution`). */
  lastExecution: Date | null = null;
  private active: boolean;
  private callbacksRunning = 0;
  /** fireOnTick calls under way, whose run goes ahead even while the job is stopped. */
  private forced = 0;
  private time: CronTimeView;
  private readonly callbacks: CronJobCallback[] = [];
  /** The store operations of start, stop and setTime, one after the other in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  declare private readonly binding: JobBinding;

  constructor(binding: JobBinding, cronTime: CronTimeView, active: boolean) {
    Object.defineProperty(this, 'binding', { value: binding });
    this.name = binding.id;
    this.time = cronTime;
    this.active = active;
  }

  /** The alias of the store the job's task lives in. */
  get store(): string {
    return this.binding.store;
  }

  /** The schedule, as `cron`'s `job.cronTime` (`source`, `timeZone`, `utcOffset`). */
  get cronTime(): CronTimeView {
    return this.time;
  }

  /**
   * Whether the job is started, as far as this process knows (another replica may have stopped
   * a shared task since; `await job.info()` reads the store).
   */
  get isActive(): boolean {
    return this.active;
  }

  /** `cron` 3's name for {@link HoraeCronJob.isActive}. @deprecated Use `isActive`. */
  get running(): boolean {
    return this.active;
  }

  /** Whether the handler is running in this process now. */
  get isCallbackRunning(): boolean {
    return this.callbacksRunning > 0;
  }

  /** Starts (resumes) the job's task; `isActive` is `true` at once. */
  start(): Promise<void> {
    this.active = true;
    return this.enqueue('start', async () => {
      const { scheduler, store } = this.binding;
      // Only a paused task is resumed: resuming a running one would recompute its next run time.
      const task = await scheduler.getTask(this.name, { store });
      if (task === null || task.nextRunTime === null) await scheduler.resumeTask(this.name, { store });
    });
  }

  /** Stops the job and removes its task (`deleteCronJob`); a failure is logged and rejects. @internal */
  delete(): Promise<void> {
    this.active = false;
    return this.enqueue('be deleted', async () => {
      const { scheduler, store } = this.binding;
      if ((await scheduler.getTask(this.name, { store })) !== null) await scheduler.deleteTask(this.name, { store });
    });
  }

  /** Stops (pauses) the job's task, a run in progress goes on; `isActive` is `false` at once. */
  stop(): Promise<void> {
    this.active = false;
    return this.enqueue('stop', () => this.binding.scheduler.pauseTask(this.name, { store: this.binding.store }));
  }

  /**
   * Adds a function to call on every tick, after the method, as `cron`'s `addCallback` does. It
   * lives in this process: on a shared store, a tick taken by another replica calls the
   * callbacks added there, so add it in every replica (at module init, say) for every tick.
   */
  addCallback(callback: CronJobCallback): void {
    if (typeof callback === 'function') this.callbacks.push(callback);
  }

  /** When the handler last started in this process, or `null`. */
  lastDate(): Date | null {
    return this.lastExecution;
  }

  /** The next fire time by the schedule, as a Luxon `DateTime` (as `cron` returns it). */
  nextDate(): DateTime {
    const [next] = this.fireTimes(1);
    if (next === undefined) throw errors.noFireTimeAfterNow(this.name);
    return next;
  }

  /** The next `count` fire times by the schedule (none when `count` is left out, as in `cron`). */
  nextDates(count = 0): DateTime[] {
    return this.fireTimes(count);
  }

  /** Runs the handler now, outside the schedule (through the scheduler once it runs, so events and error routing apply). */
  async fireOnTick(): Promise<void> {
    const { scheduler, store, invoke, id } = this.binding;
    if (scheduler.state !== 'stopped') {
      // Called on purpose: runs even while the job is stopped, as cron's fireOnTick does.
      this.forced += 1;
      try {
        await scheduler.runTask(id, { store, force: true });
      } finally {
        this.forced -= 1;
      }
      return;
    }
    const controller = new AbortController();
    await this.track(invoke)(undefined, { taskId: id, taskName: id, scheduledAt: new Date(), signal: controller.signal, logger: scheduler.logger });
  }

  /**
   * Gives the job a new schedule: a `CronTime` of the `cron` package, or an expression. As in
   * `cron`, a started job goes on from the new schedule and a stopped one stays stopped; a time
   * that is not one throws at once.
   */
  setTime(time: string | { source: unknown; timeZone?: unknown }): Promise<void> {
    const source = typeof time === 'string' ? time : (time as { source?: unknown } | null)?.source;
    if (typeof source !== 'string' && !(source instanceof Date)) throw errors.invalidCronTimeForSetTime(this.name);
    const timeZone = typeof time === 'object' && typeof time.timeZone === 'string' ? time.timeZone : this.time.timeZone;
    const view = cronTimeView(source, timeZone, undefined);
    this.time = view;
    const { scheduler, store } = this.binding;
    const trigger = triggerOf(view, scheduler.timezone);
    // Read when the operation runs, not now: a stop() called after setTime() must win.
    return this.enqueue('setTime', () =>
      this.active ? scheduler.rescheduleTask(this.name, trigger, { store }) : scheduler.updateTask(this.name, { trigger }, { store }),
    );
  }

  /** Marks the job stopped in this process only, leaving its task as it is (at shutdown). @internal */
  detach(): void {
    this.active = false;
  }

  /** A fresh snapshot of the job's task, read from its store. */
  info(): Promise<TaskInfo | null> {
    return this.binding.scheduler.getTaskInfo(this.name, { store: this.binding.store });
  }

  /** Wraps the handler so that `lastDate` and `isCallbackRunning` follow its runs, and added callbacks run after it. */
  track(handler: TaskHandler): TaskHandler {
    return async (args, ctx) => {
      if (this.binding.local && !this.active && this.forced === 0) return undefined;
      this.lastExecution = new Date();
      this.callbacksRunning += 1;
      try {
        const result = await handler(args, ctx);
        for (const callback of [...this.callbacks]) await callback.call(this);
        return result;
      } finally {
        this.callbacksRunning -= 1;
      }
    };
  }

  private fireTimes(count: number): DateTime[] {
    const { scheduler } = this.binding;
    const trigger = scheduler.triggers.create(triggerOf(this.time, scheduler.timezone), { timezone: scheduler.timezone, now: Date.now(), taskId: this.name });
    const zone = this.time.timeZone ?? scheduler.timezone;
    const times: DateTime[] = [];
    let previous: number | null = null;
    const now = Date.now();
    while (times.length < count) {
      const next = trigger.getNextFireTime(previous, previous === null ? now + 1 : now);
      if (next === null) break;
      times.push(DateTime.fromMillis(next, { zone }));
      previous = next;
    }
    return times;
  }

  /** Runs a store operation after the ones called before it; see the class comment on errors. */
  private enqueue(what: string, operation: () => Promise<unknown>): Promise<void> {
    const done = this.queue.then(operation).then(
      () => undefined,
      (error: unknown) => {
        this.binding.report(`CronJob "${this.name}" could not ${what}.`, error);
        throw error;
      },
    );
    this.queue = done.catch(() => undefined);
    // Handled here (it is logged above); a caller that awaits the promise still gets the error.
    done.catch(() => undefined);
    return done;
  }
}

/** A cron time view for a `@Cron` time and zone. */
export function cronTimeView(source: string | Date, timeZone: string | undefined, utcOffset: number | undefined): CronTimeView {
  return Object.freeze({
    source,
    ...(timeZone === undefined ? {} : { timeZone }),
    ...(utcOffset === undefined ? {} : { utcOffset }),
    toString: () => (source instanceof Date ? source.toISOString() : source),
  });
}

/** The trigger spec of a cron time view. */
export function triggerOf(view: CronTimeView, defaultZone: string): TriggerInput {
  const timezone = view.timeZone ?? defaultZone;
  return view.source instanceof Date ? { type: 'date', runAt: view.source, timezone } : { type: 'cron', expression: view.source, timezone };
}

/**
 * What `getInterval` and `getTimeout` return for `@Interval` and `@Timeout` methods: a handle
 * that Node's own `clearInterval` / `clearTimeout` accept, as they accept the timers
 * `@nestjs/schedule` keeps, so that `clearInterval(registry.getInterval('x'))` still stops it.
 *
 * @example
 * ```ts
 * clearInterval(this.registry.getInterval('refresh')); // pauses the task
 * ```
 * @public
 */
export class TimerHandle {
  /** The task id. */
  readonly name: string;
  private cleared = false;
  declare private readonly onClear: () => void;

  constructor(name: string, onClear: () => void) {
    Object.defineProperty(this, 'onClear', { value: onClear });
    this.name = name;
  }

  /** Whether the timer was cleared. */
  get isCleared(): boolean {
    return this.cleared;
  }

  /**
   * Node's `clearTimeout(timer)` sets `timer._onTimeout = null` on what it is given; this accessor
   * is how a handle learns it was cleared. @internal
   */
  get _onTimeout(): (() => void) | null {
    return this.cleared ? null : noop;
  }

  set _onTimeout(value: unknown) {
    if (value === null && !this.cleared) {
      this.cleared = true;
      this.onClear();
    }
  }

  /** Stops the timer, as `clearInterval(handle)` does. */
  clear(): void {
    this._onTimeout = null;
  }

  /** Marks the handle cleared without acting on its task (at shutdown). @internal */
  detach(): void {
    this.cleared = true;
  }
}

const noop = (): void => undefined;
