/** Option readers shared by the built-in triggers: each names the task and the value on error. */
import { errors, show } from '../errors/index.js';
import { checkKeys } from '../options/keys.js';
import { isValidTimezone, TIME_RANGE, toEpoch } from '../time/time.js';
import type { TriggerContext, TriggerJSON, TriggerSpec } from './trigger.js';

export function readTimezone(options: TriggerSpec, context: TriggerContext): string {
  const zone = options.timezone ?? context.timezone;
  if (!isValidTimezone(zone)) throw errors.invalidTimezone(context.taskId, zone);
  return zone;
}

export function readDate(options: TriggerSpec, key: string, zone: string, context: TriggerContext): number | null {
  const value = options[key];
  if (value === undefined || value === null) return null;
  const epoch = toEpoch(value, zone);
  if (epoch === undefined) {
    throw errors.invalidTrigger(
      context.taskId,
      `${options.type} trigger: ${key} ${show(value)} is not a date; give a Date, epoch milliseconds or an ISO 8601 string, for ${TIME_RANGE}`,
    );
  }
  return epoch;
}

/** Jitter in milliseconds: a finite number >= 0, or absent. */
export function readJitter(options: TriggerSpec, context: TriggerContext): number | null {
  const jitter = options.jitter;
  if (jitter === undefined || jitter === null || jitter === 0) return null;
  if (typeof jitter !== 'number' || !Number.isFinite(jitter) || jitter < 0) {
    throw errors.invalidOption(context.taskId, `${options.type} trigger jitter`, jitter, 'give milliseconds as a finite number >= 0');
  }
  return jitter;
}

export function checkWindow(type: string, startAt: number | null, endAt: number | null, context: TriggerContext): void {
  if (startAt !== null && endAt !== null && endAt < startAt) {
    throw errors.invalidTrigger(
      context.taskId,
      `${type} trigger: endAt ${new Date(endAt).toISOString()} is before startAt ${new Date(startAt).toISOString()}; endAt must be at or after startAt`,
    );
  }
}

/** Copies the optional common fields into a JSON form, leaving out what is unset. */
export function commonJSON(
  json: TriggerJSON,
  fields: { startAt?: number | null; endAt?: number | null; jitter?: number | null },
): TriggerJSON {
  if (fields.startAt != null) json.startAt = new Date(fields.startAt).toISOString();
  if (fields.endAt != null) json.endAt = new Date(fields.endAt).toISOString();
  if (fields.jitter != null) json.jitter = fields.jitter;
  return json;
}

/**
 * Refuses option keys a trigger does not know, when the options come from code (`{ type: 'date',
 * runat }` would otherwise run at once); a stored record's are left alone.
 */
export function checkTriggerKeys(options: TriggerSpec, context: TriggerContext, allowed: readonly string[]): void {
  if (context.lenient === true) return;
  checkKeys(`the ${String(options.type)} trigger`, options, ['type', ...allowed], context.taskId);
}
