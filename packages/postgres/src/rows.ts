/**
 * The rows PostgresStore reads, as the scheduler is given them. The table's column types and
 * checks make every row readable: a task's fields cannot be of another type, so unlike the stores
 * on schemaless servers this one never quarantines a row on its own; a payload the scheduler
 * cannot decode is quarantined by the scheduler.
 */
import type { QuarantinedTask, StoredTask } from '@horae/core/store';

/** The columns of a task, as the store's queries select them. */
export const TASK_COLUMNS = 'id, next_run_time, revision, payload, seal, seq';

/** A task's row as pg gives it (bigint columns as strings). */
export interface TaskRow {
  readonly id: string;
  readonly next_run_time: number | null;
  readonly revision: string;
  readonly payload: string;
  readonly seal: string | null;
  readonly seq: string;
}

/** A task from its row. */
export function taskOf(row: TaskRow): StoredTask {
  const task = { id: row.id, nextRunTime: row.next_run_time, revision: Number(row.revision), payload: row.payload };
  return row.seal === null ? task : { ...task, seal: row.seal };
}

/** Orders rows by next run time, then the order they were added in (as the due index does). */
export function byRunTime(a: TaskRow, b: TaskRow): number {
  const time = (row: TaskRow): number => row.next_run_time ?? Infinity;
  return time(a) - time(b) || Number(BigInt(a.seq) - BigInt(b.seq));
}

/** A quarantine entry's row. */
export interface QuarantineRow {
  readonly id: string;
  readonly next_run_time: number | null;
  readonly revision: string;
  readonly payload: string;
  readonly seal: string | null;
  readonly reason: string;
  readonly quarantined_at: number;
}

/** A quarantined task from its row. */
export function quarantinedOf(row: QuarantineRow): QuarantinedTask {
  const entry = { id: row.id, payload: row.payload, nextRunTime: row.next_run_time, revision: Number(row.revision), reason: row.reason, quarantinedAt: row.quarantined_at };
  return row.seal === null ? entry : { ...entry, seal: row.seal };
}
