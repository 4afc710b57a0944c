/** Helpers for the trigger tests: triggers built as a scheduler builds them, and their fire times. */
import { TriggerRegistry, type Trigger, type TriggerInput } from '../src/index.js';

/** Builds triggers as a scheduler in `timezone` would, at time `now`. */
export function makeTrigger(input: TriggerInput, now = Date.parse('2026-01-01T00:00:00Z'), timezone = 'UTC'): Trigger {
  return new TriggerRegistry().create(input, { timezone, now, taskId: 'test-task' });
}

/** The first `count` fire times from `now`, as ISO strings. */
export function fireTimes(trigger: Trigger, now: number, count: number): string[] {
  const times: string[] = [];
  let previous: number | null = null;
  for (let i = 0; i < count; i++) {
    const next = trigger.getNextFireTime(previous, now);
    if (next === null) break;
    times.push(new Date(next).toISOString());
    previous = next;
  }
  return times;
}
