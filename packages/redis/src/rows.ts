/**
 * What RedisStore keeps in Redis and how it reads it back: task rows (JSON in the tasks hash),
 * quarantine entries and run leases; and the values the scripts take, checked and written as text
 * before anything is sent. Rows are read with the same checks as the scripts' `decode_row`: one
 * of the wrong shape is reported as unreadable with the reason, for the quarantine.
 */
import type { QuarantinedTask, RunLease, StoredTask } from '@horae/core/store';
import { errors } from './messages.js';

/** A task row as stored. */
export interface Row {
  readonly nextRunTime: number | null;
  readonly revision: number;
  readonly seq: number;
  readonly payload: string;
  readonly seal?: string;
}

/** A row, or why it cannot be read (the same checks as the scripts' decode_row). */
export function parseRow(raw: string): Row | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return `it is not JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const { nextRunTime = null, revision, seq, payload, seal } = value as Record<string, unknown>;
  if (nextRunTime !== null && typeof nextRunTime !== 'number') return 'its nextRunTime is neither a number nor null';
  if (typeof revision !== 'number') return 'its revision is not a number';
  if (typeof payload !== 'string') return 'its payload is not a string';
  if (seal !== undefined && typeof seal !== 'string') return 'its seal is not a string';
  return { nextRunTime, revision, seq: typeof seq === 'number' ? seq : 0, payload, ...(seal === undefined ? {} : { seal }) };
}

export function storedTask(id: string, row: Row): StoredTask {
  const { nextRunTime, revision, payload, seal } = row;
  return seal === undefined ? { id, nextRunTime, revision, payload } : { id, nextRunTime, revision, payload, seal };
}

/** ARGV of a row for ADD and UPDATE: next run time, revision, payload and seal as JSON. */
export function rowArguments(task: StoredTask, alias: string): [string, string, string, string] {
  if (typeof task.payload !== 'string') {
    throw errors.payloadNotString(task.id, alias, task.payload);
  }
  if (!Number.isSafeInteger(task.revision)) {
    throw errors.invalidRevision(task.id, task.revision);
  }
  return [timeText(task.id, task.nextRunTime), String(task.revision), JSON.stringify(task.payload), sealText(task.seal)];
}

/** A seal as the scripts take it: JSON, or "" for none. */
export function sealText(seal: string | undefined): string {
  return seal === undefined ? '' : JSON.stringify(seal);
}

export function quarantinedTask(id: string, raw: string): QuarantinedTask {
  let entry: { reason?: unknown; quarantinedAt?: unknown; row?: unknown } = {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null) entry = value;
  } catch {
    // an entry edited by hand: shown as found
  }
  const found = typeof entry.row === 'string' ? entry.row : raw;
  const row = parseRow(found);
  const reason = typeof entry.reason === 'string' ? entry.reason : 'its quarantine entry cannot be read';
  const quarantinedAt = typeof entry.quarantinedAt === 'number' ? entry.quarantinedAt : 0;
  // A readable row gives back the task's fields; an unreadable one is shown exactly as found.
  if (typeof row === 'string') return { id, payload: found, nextRunTime: null, revision: 0, reason, quarantinedAt };
  return { ...storedTask(id, row), reason, quarantinedAt };
}

export function runLeaseJson(lease: RunLease): string {
  return JSON.stringify({ taskId: lease.taskId, runId: lease.runId, owner: lease.owner, scheduledAt: lease.scheduledAt });
}

/** Lua reads no "Infinity": an unbounded maxInstances becomes a bound no count reaches. */
export function instanceBound(maxInstances: number): number {
  return Number.isFinite(maxInstances) ? maxInstances : Number.MAX_SAFE_INTEGER;
}

export function parseRunLease(raw: string): RunLease | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof RunLease, unknown>>;
    const { taskId, runId, owner, scheduledAt } = value;
    if (typeof taskId !== 'string' || typeof runId !== 'string' || typeof owner !== 'string' || typeof scheduledAt !== 'number') return undefined;
    return { taskId, runId, owner, scheduledAt };
  } catch {
    return undefined;
  }
}

/** A next run time as the scripts take it: "null", or a number Redis and JSON both read. */
export function timeText(id: string, time: number | null): string {
  if (time === null) return 'null';
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw errors.invalidNextRunTime(id, time);
  }
  return String(time);
}

export function checkDuration(duration: number): void {
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
    throw errors.invalidLeaseDuration(duration);
  }
}
