/**
 * Run leases: runs in progress anywhere, one row each in `<table>_leases`, counted against a
 * task's `maxInstances` under the task's advisory lock, renewed by their owner's heartbeat, and
 * each expired one handed to exactly one caller.
 */
import type { HeldRunLease, RunLease } from '@horae/core/store';
import { checkDuration, checkTaskId } from './checks.js';
import type { Connection } from './connection.js';
import { NOW_MS } from './names.js';

interface LeaseRow {
  readonly task_id: string;
  readonly run_id: string;
  readonly owner: string;
  readonly scheduled_at: number;
  readonly expires_at: number;
}

/** Acquires, renews, releases, lists and collects run leases. */
export class RunLeases {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly connection: Connection) {
    this.sql = statements(connection);
  }

  /** Counts and records in one call of the store's function, on the database's clock. */
  async acquire(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    checkTaskId(lease.taskId);
    checkDuration(duration);
    const { rows } = await this.connection.query<{ acquired: boolean }>(this.sql.acquire, [lease.taskId, lease.runId, lease.owner, lease.scheduledAt, maxInstances, duration]);
    return rows[0]!.acquired;
  }

  async renew(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    checkDuration(duration);
    if (runIds.length === 0) return;
    await this.connection.query(this.sql.renew, [owner, runIds, duration]);
  }

  async release(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.connection.query(this.sql.release, [leases.map((lease) => lease.taskId), leases.map((lease) => lease.runId)]);
  }

  /** One `DELETE … RETURNING`: of concurrent callers, each expired lease goes to the one that deleted it. */
  async takeExpired(): Promise<RunLease[]> {
    const { rows } = await this.connection.query<LeaseRow>(this.sql.takeExpired);
    return rows.map(({ task_id, run_id, owner, scheduled_at }) => ({ taskId: task_id, runId: run_id, owner, scheduledAt: scheduled_at }));
  }

  /** Every lease alive, of every instance. */
  async alive(): Promise<HeldRunLease[]> {
    const { rows } = await this.connection.query<LeaseRow>(this.sql.alive);
    return rows.map(({ task_id, run_id, owner, scheduled_at, expires_at }) => ({ taskId: task_id, runId: run_id, owner, scheduledAt: scheduled_at, expiresAt: expires_at }));
  }
}

/** The statements of {@link RunLeases}, for one store's table. */
function statements({ names: n }: Connection) {
  return {
    acquire: `SELECT ${n.functions.acquireRunLease}($1, $2, $3, $4, $5, $6) AS acquired`,
    renew: `UPDATE ${n.leases} SET expires_at = ${NOW_MS} + $3 WHERE owner = $1 AND run_id = ANY ($2::text[])`,
    release: `DELETE FROM ${n.leases} AS l USING unnest($1::text[], $2::text[]) AS r(task_id, run_id) WHERE l.task_id = r.task_id AND l.run_id = r.run_id`,
    takeExpired: `DELETE FROM ${n.leases} WHERE expires_at <= ${NOW_MS} RETURNING task_id, run_id, owner, scheduled_at`,
    alive: `SELECT task_id, run_id, owner, scheduled_at, expires_at FROM ${n.leases} WHERE expires_at > ${NOW_MS} ORDER BY expires_at, task_id, run_id`,
  };
}
