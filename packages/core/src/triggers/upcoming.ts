import type { Trigger } from './trigger.js';

/**
 * A trigger's next `count` fire times after `previous` (or from `now` when there is none),
 * without jitter: what previews and inspection show. Fewer when the schedule finishes; none
 * for a trigger that fires at shutdown rather than by time.
 */
export function upcomingFireTimes(trigger: Trigger, previous: number | null, now: number, count: number): number[] {
  const times: number[] = [];
  if (trigger.firesOnShutdown === true) return times;
  let next = trigger.getNextFireTime(previous, now);
  // A trigger that does not move forward would repeat one time; the count bounds the loop anyway.
  while (next !== null && times.length < count && (times.length === 0 || next > times[times.length - 1]!)) {
    times.push(next);
    next = trigger.getNextFireTime(next, next);
  }
  return times;
}
