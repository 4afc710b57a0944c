import { describe, expect, it } from 'vitest';
import { taskRecord, type TaskRecord } from '../tasks/task.js';
import { makeTrigger } from '../../test/trigger-helpers.js';
import { MAX_COUNTED_RUN_TIMES, MAX_LISTED_RUN_TIMES, planRuns } from './run-plan.js';

const start = Date.parse('2026-01-01T00:00:00Z');
const noJitter = () => 0;

function everySecond(options: Partial<TaskRecord> & { nextRunTime: number }): TaskRecord {
  return taskRecord({
    id: 't',
    name: 't',
    handler: 'h',
    args: undefined,
    trigger: makeTrigger({ type: 'interval', seconds: 1, startAt: start }, start),
    executor: 'default',
    coalesce: false,
    misfireGraceTime: null,
    maxInstances: 1,
    jitter: null,
    revision: 1,
    ...options,
  });
}

describe('planRuns: misfires and coalescing', () => {
  it('runs every due run time once each when not coalescing', () => {
    const plan = planRuns(everySecond({ nextRunTime: start }), start + 3_500, noJitter);
    expect(plan.runTimes).toEqual([start, start + 1_000, start + 2_000, start + 3_000]);
    expect(plan.missedCount).toBe(0);
    expect(plan.nextRunTime).toBe(start + 4_000);
  });

  it('coalesces the due run times into one run for the latest', () => {
    const plan = planRuns(everySecond({ nextRunTime: start, coalesce: true }), start + 3_500, noJitter);
    expect(plan.runTimes).toEqual([start + 3_000]);
    expect(plan.nextRunTime).toBe(start + 4_000);
  });

  it('drops run times later than the misfire grace time and lists them', () => {
    const plan = planRuns(everySecond({ nextRunTime: start, misfireGraceTime: 1_500 }), start + 3_500, noJitter);
    expect(plan.missed).toEqual([start, start + 1_000]);
    expect(plan.missedCount).toBe(2);
    expect(plan.runTimes).toEqual([start + 2_000, start + 3_000]);
  });

  it('with coalesce and a grace time, runs once if any run time is within grace, else only reports', () => {
    const within = planRuns(everySecond({ nextRunTime: start, misfireGraceTime: 600, coalesce: true }), start + 3_500, noJitter);
    expect(within.runTimes).toEqual([start + 3_000]);
    expect(within.missedCount).toBe(3);
    const none = planRuns(everySecond({ nextRunTime: start, misfireGraceTime: 100, coalesce: true }), start + 3_500, noJitter);
    expect(none.runTimes).toEqual([]);
    expect(none.missedCount).toBe(4);
    expect(none.nextRunTime).toBe(start + 4_000);
  });

  it('always leaves the next run time in the future, even exactly on a fire time', () => {
    const plan = planRuns(everySecond({ nextRunTime: start }), start + 2_000, noJitter);
    expect(plan.runTimes.at(-1)).toBe(start + 2_000);
    expect(plan.nextRunTime).toBeGreaterThan(start + 2_000);
  });

  it('adds jitter to the next run time only, and the trigger\'s jitter wins over the task\'s', () => {
    const task = everySecond({ nextRunTime: start, jitter: 400 });
    expect(planRuns(task, start, () => 0.5).nextRunTime).toBe(start + 1_000 + 200);
    const triggerJitter = everySecond({
      nextRunTime: start,
      jitter: 400,
      trigger: makeTrigger({ type: 'interval', seconds: 1, startAt: start, jitter: 100 }, start),
    });
    expect(planRuns(triggerJitter, start, () => 0.5).nextRunTime).toBe(start + 1_000 + 50);
  });

  it('bounds the work for a task that is very far behind', () => {
    const task = everySecond({ nextRunTime: start, trigger: makeTrigger({ type: 'interval', milliseconds: 1, startAt: start }, start) });
    const now = start + 7 * 86_400_000; // a week of 1 ms fires
    const plan = planRuns(task, now, noJitter);
    expect(plan.runTimes).toHaveLength(MAX_LISTED_RUN_TIMES);
    expect(plan.missedCount).toBe(MAX_COUNTED_RUN_TIMES - MAX_LISTED_RUN_TIMES + 1);
    expect(plan.nextRunTime).toBe(now + 1);
  });

  it('finishes a schedule whose trigger has no more fires', () => {
    const task = everySecond({ nextRunTime: start, trigger: makeTrigger({ type: 'date', runAt: start }, start) });
    const plan = planRuns(task, start + 10, noJitter);
    expect(plan.runTimes).toEqual([start]);
    expect(plan.nextRunTime).toBeNull();
  });
});
