import type { TaskRecord } from '../tasks/task.js';
import { isValidEpoch, TIME_RANGE } from '../time/time.js';
import type { Trigger } from '../triggers/trigger.js';

/**
 * How many run times one dispatch lists (to run, or in a missed event); beyond that they are
 * counted as missed, up to {@link MAX_COUNTED_RUN_TIMES}, after which the schedule jumps to now.
 */
export const MAX_LISTED_RUN_TIMES = 1_000;
export const MAX_COUNTED_RUN_TIMES = 100_000;

/** What one dispatch of a due task does. */
export interface RunPlan {
  /** The run times to run now (one when coalesced). */
  readonly runTimes: number[];
  /**
   * With `coalesce`, the on-time run times folded into the one run, earliest first (listed up to
   * the cap): the run stands for them too, and its events list them.
   */
  readonly coalesced: number[];
  /** The run times dropped as later than the misfire grace time (listed up to the cap). */
  readonly missed: number[];
  /** How many run times were dropped in all, listed or not. */
  readonly missedCount: number;
  /** The next run time after this dispatch, strictly after `now`, or null when finished. */
  readonly nextRunTime: number | null;
}

/** Adds a trigger's (or else the task's) jitter to a fire time. */
export function withJitter(time: number | null, trigger: Trigger, taskJitter: number | null, random: () => number): number | null {
  const jitter = trigger.jitter ?? taskJitter;
  return time === null || jitter === null || jitter === 0 ? time : time + Math.floor(random() * jitter);
}

/**
 * Works out a due task's dispatch as Asyncz does: every run time from its next run time up to
 * now is due; those later than `misfireGraceTime` are missed; with `coalesce` the rest run once
 * (for the latest of them), else once each. Listing and counting are bounded, so a task far
 * behind (a 1 ms interval after a week's downtime) cannot stall the scheduler.
 */
export function planRuns(task: TaskRecord, now: number, random: () => number): RunPlan {
  const { trigger } = task;
  const grace = task.misfireGraceTime;
  const onTime: number[] = [];
  const coalesced: number[] = [];
  const missed: number[] = [];
  let missedCount = 0;
  let next = task.nextRunTime;
  for (let seen = 0; next !== null && next <= now; seen++) {
    if (seen === MAX_COUNTED_RUN_TIMES) {
      // Too far behind to count on: jump to the first fire after now.
      missedCount++;
      next = trigger.getNextFireTime(now, now);
      break;
    }
    if (grace !== null && now - next > grace) {
      missedCount++;
      if (missed.length < MAX_LISTED_RUN_TIMES) missed.push(next);
    } else if (task.coalesce) {
      if (onTime.length > 0 && coalesced.length < MAX_LISTED_RUN_TIMES) coalesced.push(onTime[0]!);
      onTime[0] = next;
    } else if (onTime.length < MAX_LISTED_RUN_TIMES) {
      onTime.push(next);
    } else {
      missedCount++;
    }
    next = trigger.getNextFireTime(next, now);
  }
  const nextRunTime = withJitter(next, trigger, task.jitter, random);
  if (nextRunTime !== null && !isValidEpoch(nextRunTime)) throw new RangeError(`the next fire time ${nextRunTime} is not ${TIME_RANGE}`);
  return { runTimes: onTime, coalesced, missed, missedCount, nextRunTime };
}
