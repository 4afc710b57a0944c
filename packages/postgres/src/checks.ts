/**
 * Checks of what the scheduler hands the store, made before anything is written: a value
 * PostgreSQL cannot keep (a NUL character in text) or no reader could use (a NaN run time, an
 * object for a payload) is refused with a typed error.
 */
import type { StoredTask } from '@horae/core/store';
import { errors } from './messages.js';

/** A task the store can write: its payload is the scheduler's encoded record. */
export type WritableTask = StoredTask & { readonly payload: string };

/** Refuses a task whose id, revision, next run time, payload or seal the store cannot keep. */
export function checkTask(task: StoredTask, store: string): asserts task is WritableTask {
  checkTaskId(task.id);
  if (typeof task.payload !== 'string') throw errors.payloadNotString(task.id, store, task.payload);
  if (task.payload.includes('\0')) throw errors.nulInText(task.id, store, 'payload');
  if (!Number.isSafeInteger(task.revision)) throw errors.invalidRevision(task.id, task.revision);
  checkTime(task.id, task.nextRunTime);
  checkSeal(task.id, task.seal);
}

/** Refuses an id PostgreSQL text cannot hold, or that is not a non-empty string. */
export function checkTaskId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.includes('\0')) throw errors.invalidTaskId(id);
}

/** Refuses a seal that is not a string (or absent). */
export function checkSeal(id: string, seal: unknown): void {
  if (!(seal === undefined || typeof seal === 'string')) throw errors.invalidSeal(id, seal);
}

/** Refuses a next run time that is neither epoch milliseconds nor `null`. */
export function checkTime(id: string, time: number | null): void {
  if (time !== null && (typeof time !== 'number' || !Number.isFinite(time) || Math.abs(time) >= 1e16)) {
    throw errors.invalidNextRunTime(id, time);
  }
}

/** Refuses a lease duration that is not a number of milliseconds of at least 1. */
export function checkDuration(duration: number): void {
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
    throw errors.invalidLeaseDuration(duration);
  }
}
