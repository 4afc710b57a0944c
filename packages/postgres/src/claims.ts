/**
 * Claims: taking due tasks (or one given task) under a lease on the database's clock, so that of
 * several instances exactly one wins each task whatever their own clocks say; and handing a
 * claimed batch back (releases and run leases) in one round trip.
 */
import type { ClaimOptions, DispatchOutcome, Lease, StoredTask, TaskDispatch } from '@horae/core/store';
import { checkDuration, checkSeal, checkTaskId, checkTime } from './checks.js';
import type { Connection } from './connection.js';
import { NOW_MS, type StoreNames } from './names.js';
import { byRunTime, TASK_COLUMNS, taskOf, type TaskRow } from './rows.js';

/** The most tasks one claim call takes, whatever the limit asked: the scheduler asks again while batches come full. */
const CLAIM_BATCH = 1_000;

/** Takes due tasks, or one given task, under a lease; hands claimed tasks back. */
export class Claims {
  private readonly sql: ReturnType<typeof claimStatements>;

  constructor(private readonly connection: Connection) {
    this.sql = claimStatements(connection.names);
  }

  /**
   * Claims by the database's clock (`now` is ignored) in one statement: the earliest due rows of
   * the due index, locked with `FOR UPDATE SKIP LOCKED` so that concurrent instances take
   * disjoint sets without waiting for each other, and leased in the same step.
   */
  async claimDue({ limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    checkDuration(duration);
    if (!(limit >= 1)) return [];
    const { rows } = await this.connection.query<TaskRow>(this.sql.claimDue, [Math.min(Math.floor(limit), CLAIM_BATCH), owner, duration]);
    return rows.sort(byRunTime).map(taskOf);
  }

  /** Claims one task if it is free (due or not, paused or not). */
  async claimOne(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    checkDuration(duration);
    if (typeof id !== 'string' || id.includes('\0')) return null;
    const { rows } = await this.connection.query<TaskRow>(this.sql.claimOne, [id, owner, duration]);
    return rows.length === 0 ? null : taskOf(rows[0]!);
  }

  /**
   * Hands back a claimed batch in one round trip, whatever its size: the store's dispatch
   * function commits each release and records its run lease, in order (see migration 1).
   */
  async dispatch(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    if (dispatches.length === 0) return [];
    for (const dispatch of dispatches) {
      checkTaskId(dispatch.id);
      checkTime(dispatch.id, dispatch.nextRunTime);
      checkSeal(dispatch.id, dispatch.seal);
      if (dispatch.run !== undefined) {
        checkTaskId(dispatch.run.lease.taskId);
        checkDuration(dispatch.run.duration);
      }
    }
    const column = <T>(pick: (dispatch: TaskDispatch) => T): T[] => dispatches.map(pick);
    const { rows } = await this.connection.query<{ released: boolean; run_leased: boolean }>(this.sql.dispatch, [
      column((d) => d.id),
      column((d) => d.owner),
      column((d) => d.claimedRevision),
      column((d) => d.nextRunTime),
      column((d) => d.seal ?? null),
      column((d) => d.removeWhenFinished),
      column((d) => d.run?.lease.taskId ?? null),
      column((d) => d.run?.lease.runId ?? null),
      column((d) => d.run?.lease.owner ?? null),
      column((d) => d.run?.lease.scheduledAt ?? null),
      column((d) => d.run?.maxInstances ?? null),
      column((d) => d.run?.duration ?? null),
    ]);
    return rows.map((row) => ({ released: row.released, runLeased: row.run_leased }));
  }
}

/** The statements of {@link Claims}, for one store's table (exported for the test that EXPLAINs the claim). */
export function claimStatements(n: StoreNames) {
  // While claimed, a task's place in the due index is the later of its run time and the claim's
  // expiry, so that it is not due again until the claim runs out; a paused one stays out of it.
  const leased = (expiry: string): string =>
    `claim_owner = $2, claim_expires_at = ${expiry}, due_at = CASE WHEN t.next_run_time IS NULL THEN NULL ELSE greatest(t.next_run_time, ${expiry}) END`;
  return {
    claimDue: `WITH clock AS (SELECT ${NOW_MS} AS now),
                    picked AS MATERIALIZED (
                      SELECT id FROM ${n.tasks}
                       WHERE due_at <= (SELECT now FROM clock)
                       ORDER BY due_at, seq
                       LIMIT $1
                         FOR UPDATE SKIP LOCKED)
               UPDATE ${n.tasks} AS t SET ${leased('clock.now + $3')}
                 FROM picked, clock
                WHERE t.id = picked.id
               RETURNING ${prefixed('t', TASK_COLUMNS)}`,
    claimOne: `WITH clock AS (SELECT ${NOW_MS} AS now)
               UPDATE ${n.tasks} AS t SET ${leased('clock.now + $3')}
                 FROM clock
                WHERE t.id = $1 AND (t.claim_owner IS NULL OR t.claim_expires_at <= clock.now)
               RETURNING ${prefixed('t', TASK_COLUMNS)}`,
    dispatch: `SELECT released, run_leased FROM ${n.functions.dispatch}(
                 $1::text[], $2::text[], $3::bigint[], $4::float8[], $5::text[], $6::boolean[],
                 $7::text[], $8::text[], $9::text[], $10::float8[], $11::integer[], $12::float8[])`,
  };
}

/** `a, b` as `t.a, t.b`. */
function prefixed(table: string, columns: string): string {
  return columns
    .split(',')
    .map((column) => `${table}.${column.trim()}`)
    .join(', ');
}
