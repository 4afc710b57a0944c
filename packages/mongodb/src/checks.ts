/**
 * Checks of what the scheduler hands the store, made before anything is written: a value MongoDB
 * would keep as given but no reader could use (a NaN run time, an object for a payload) is
 * refused with a typed error, rather than quarantined later.
 */
import type { StoredTask } from '@horae/core/store';
import { errors } from './messages.js';

/** A task the store can write: its payload is the scheduler's encoded record. */
export type WritableTask = StoredTask & { readonly payload: string };

/** Refuses a task whose id, revision, next run time, payload or seal the store cannot keep. */
export function checkTask(task: StoredTask, store: string): asserts task is WritableTask {
  if (typeof task.payload !== 'string') throw errors.payloadNotString(task.id, store, task.payload);
  if (typeof task.id !== 'string' || task.id === '') throw errors.invalidTaskId(task.id);
  if (!Number.isSafeInteger(task.revision)) throw errors.invalidRevision(task.id, task.revision);
  checkTime(task.id, task.nextRunTime);
  if (!(task.seal === undefined || typeof task.seal === 'string')) throw errors.invalidSeal(task.id, task.seal);
}

/** Refuses a next run time that is neither epoch milliseconds nor `null`. */
export function checkTime(id: string, time: number | null): void {
  if (time !== null && (typeof time !== 'number' || !Number.isFinite(time))) {
    throw errors.invalidNextRunTime(id, time);
  }
}

/** Refuses a lease duration that is not a number of milliseconds of at least 1. */
export function checkDuration(duration: number): void {
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
    throw errors.invalidLeaseDuration(duration);
  }
}
