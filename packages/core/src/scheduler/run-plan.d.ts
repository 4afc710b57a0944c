import type { TaskRecord } from '../tasks/task.js';
import type { Trigger } from '../triggers/trigger.js';
/**
 * How many run times one dispatch lists (to run, or in a missed event); beyond that they are
 * counted as missed, up to {@link MAX_COUNTED_RUN_TIMES}, after which the schedule jumps to now.
 */
export declare const MAX_LISTED_RUN_TIMES = 1000;
export declare const MAX_COUNTED_RUN_TIMES = 100000;
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
export declare function withJitter(time: number | null, trigger: Trigger, taskJitter: number | null, random: () => number): number | null;
/**
 * Works out a due task's dispatch as Asyncz does: every run time from its next run time up to
 * now is due; those later than `misfireGraceTime` are missed; with `coalesce` the rest run once
 * (for the latest of them), else once each. Listing and counting are bounded, so a task far
 * behind (a 1 ms interval after a week's downtime) cannot stall the scheduler.
 */
export declare function planRuns(task: TaskRecord, now: number, random: () => number): RunPlan;
