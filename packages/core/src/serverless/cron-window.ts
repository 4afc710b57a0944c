import { CronExpressionParser } from 'cron-parser';
import { errors } from '../errors/index.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { IntervalTrigger } from '../triggers/interval.js';
import type { Trigger } from '../triggers/trigger.js';

/** What a platform cron invocation says: which of its schedules fired, for which instant. @public */
export interface CronInvocation {
  /** The platform's cron expression that fired, in UTC (Cloudflare's `controller.cron`). */
  readonly cron: string;
  /** The instant it fired for, epoch ms or a Date (Cloudflare's `controller.scheduledTime`). */
  readonly scheduledTime: number | Date;
}

/** What {@link runCronWindow} ran. @public */
export interface CronWindowReport {
  /** The window's open start: the platform cron's previous tick. */
  readonly after: Date;
  /** The window's closed end: the invocation's scheduled time. */
  readonly upTo: Date;
  /**
   * One entry per task that had fires in the window, with every one of them. A coalesced task
   * ran once, for the latest; the others ran once per fire, in order.
   */
  readonly runs: readonly { readonly taskId: string; readonly store: string; readonly scheduledRunTimes: readonly Date[]; readonly coalesced: boolean }[];
}

/** A window holding more fires than this is a mistake (a 1 ms interval under a minute cron). */
const MAX_FIRES_PER_TASK = 10_000;

/** The platform cron's tick before `time`, which opens the window that `time` closes. */
function previousTick(cron: string, time: number): number {
  try {
    return CronExpressionParser.parse(cron, { currentDate: new Date(time), tz: 'UTC' }).prev().getTime();
  } catch (error) {
    throw errors.invalidTrigger(undefined, `the platform's cron expression ${JSON.stringify(cron)} cannot be read: ${(error as Error).message}`, error);
  }
}

/**
 * Where nothing persists between invocations, an interval with no `startAt` would count from
 * each invocation's boot and never come due; it counts from the Unix epoch instead (every 15
 * minutes: :00, :15, :30, :45 UTC).
 */
function anchored(trigger: Trigger): Trigger {
  if (!(trigger instanceof IntervalTrigger) || !trigger.startAtDefaulted) return trigger;
  return new IntervalTrigger(trigger.interval, 0, trigger.endAt, trigger.jitter, trigger.timezone, true);
}

/** The fire times of `trigger` in `(after, upTo]`. */
function firesIn(taskId: string, trigger: Trigger, after: number, upTo: number): number[] {
  const fires: number[] = [];
  let next = trigger.getNextFireTime(null, after + 1);
  // A trigger may answer a fire before `now` (a date trigger's past date, for misfire handling).
  while (next !== null && next <= after) next = trigger.getNextFireTime(next, next);
  while (next !== null && next <= upTo) {
    fires.push(next);
    if (fires.length > MAX_FIRES_PER_TASK) {
      throw errors.invalidTrigger(taskId, `more than ${MAX_FIRES_PER_TASK} fires fall between two ticks of the platform's cron; run the platform's cron more often or the task less often`);
    }
    next = trigger.getNextFireTime(next, next);
  }
  return fires;
}

/**
 * Runs, for one invocation of a platform's cron (a Cloudflare Workers `scheduled` event), every
 * fire of every task that falls in the window from the platform cron's previous tick (open) to
 * the invocation's `scheduledTime` (closed). Consecutive ticks make windows that touch without
 * overlapping, so each fire is dispatched by exactly one invocation, and no fire between two
 * invocations is lost. As in a dispatch, a task whose `coalesce` is on (the default) runs once
 * for all its fires in a window, for the latest; otherwise once per fire, in order. Paused tasks
 * and shutdown triggers do not run; `misfireGraceTime` and jitter do not apply (the platform's
 * cron is the clock). The scheduler is started paused if it is stopped, and paused if it runs:
 * its own timer must not run the same fires.
 *
 * @example
 * ```ts
 * export default {
 *   async scheduled(controller: ScheduledController, _env: unknown, ctx: ExecutionContext) {
 *     ctx.waitUntil(runCronWindow(scheduler, controller));
 *   },
 * };
 * ```
 * @public
 */
export async function runCronWindow(scheduler: Scheduler, invocation: CronInvocation): Promise<CronWindowReport> {
  const upTo = invocation.scheduledTime instanceof Date ? invocation.scheduledTime.getTime() : invocation.scheduledTime;
  if (typeof upTo !== 'number' || !Number.isFinite(upTo)) {
    throw errors.invalidOption(undefined, 'scheduledTime', invocation.scheduledTime, 'give the invocation time as epoch milliseconds or a Date');
  }
  if (typeof invocation.cron !== 'string' || invocation.cron.trim() === '') {
    throw errors.invalidOption(undefined, 'cron', invocation.cron, "give the platform's cron expression that fired (controller.cron)");
  }
  const after = previousTick(invocation.cron, upTo);
  if (scheduler.state === 'stopped') await scheduler.start({ paused: true });
  else if (scheduler.state === 'running') scheduler.pause();
  const runs: { taskId: string; store: string; scheduledRunTimes: Date[]; coalesced: boolean }[] = [];
  const started: Promise<void>[] = [];
  for (const task of await scheduler.getTasks()) {
    if (task.nextRunTime === null || task.trigger.firesOnShutdown === true) continue;
    let fires: number[];
    try {
      fires = firesIn(task.id, anchored(task.trigger), after, upTo);
    } catch (error) {
      // One task that cannot be planned must not keep the others from running.
      scheduler.logger.error(`Task "${task.id}" was not run for this cron invocation.`, error);
      continue;
    }
    if (fires.length === 0) continue;
    const coalesced = task.coalesce && fires.length > 1;
    runs.push({ taskId: task.id, store: task.store, scheduledRunTimes: fires.map((fire) => new Date(fire)), coalesced });
    // As a dispatch does: coalesced, one run for the latest fire; otherwise one run per fire, in order.
    const runTimes = task.coalesce ? fires.slice(-1) : fires;
    started.push(scheduler.runFires(task.id, runTimes, { store: task.store }).catch((error: unknown) => scheduler.logger.error(`Task "${task.id}" could not be run.`, error)));
  }
  await Promise.all(started);
  return { after: new Date(after), upTo: new Date(upTo), runs };
}
