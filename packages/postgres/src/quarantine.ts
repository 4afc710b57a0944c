/**
 * The quarantine: `<table>_quarantine`, one row per task moved out of scheduling, with the reason
 * and its fields exactly as they were. Each move is one statement (delete from one table, insert
 * into the other), so a task is never in both places or in neither.
 */
import type { QuarantinedTask } from '@horae/core/store';
import { checkTaskId } from './checks.js';
import { isUniqueViolation, type Connection } from './connection.js';
import { errors } from './messages.js';
import { NOW_MS } from './names.js';
import { quarantinedOf, type QuarantineRow } from './rows.js';
import type { WakeUps } from './wake-ups.js';

/** Moves tasks to the quarantine, lists, restores and purges them. */
export class Quarantine {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly connection: Connection,
    private readonly wakeUps: Pick<WakeUps, 'notice'>,
  ) {
    this.sql = statements(connection);
  }

  /**
   * Moves a task, as it is, to the quarantine. An entry of the same id already there (an earlier
   * task of that id, quarantined before) is replaced, as in every Horae store.
   */
  async take(id: string, reason: string): Promise<void> {
    checkTaskId(id);
    const { rowCount } = await this.connection.query(this.sql.take, [id, reason]);
    if (rowCount !== 1) throw errors.taskNotFound(id, this.connection.alias);
  }

  async list(): Promise<QuarantinedTask[]> {
    const { rows } = await this.connection.query<QuarantineRow>(this.sql.list);
    return rows.map(quarantinedOf);
  }

  /** Moves an entry back among the tasks, at the end of its run time's queue, and wakes the other instances. */
  async restore(id: string): Promise<void> {
    checkTaskId(id);
    let restored: number | null;
    try {
      ({ rowCount: restored } = await this.connection.query(this.sql.restore, [id, ...this.wakeUps.notice()]));
    } catch (error) {
      // A task of that id exists: the whole statement is undone, the entry stays.
      if (isUniqueViolation(error)) throw errors.conflictingId(id, this.connection.alias);
      throw error;
    }
    if (restored !== 1) throw errors.notQuarantined(id, this.connection.alias);
  }

  async purge(id: string): Promise<void> {
    checkTaskId(id);
    const { rowCount } = await this.connection.query(this.sql.purge, [id]);
    if (rowCount !== 1) throw errors.notQuarantined(id, this.connection.alias);
  }
}

/** The statements of {@link Quarantine}, for one store's table. */
function statements({ names: n }: Connection) {
  const fields = 'id, next_run_time, revision, payload, seal';
  return {
    take: `WITH moved AS (DELETE FROM ${n.tasks} WHERE id = $1 RETURNING ${fields})
           INSERT INTO ${n.quarantine} (${fields}, reason, quarantined_at)
           SELECT ${fields}, $2, ${NOW_MS} FROM moved
           ON CONFLICT (id) DO UPDATE SET next_run_time = excluded.next_run_time, revision = excluded.revision, payload = excluded.payload,
                                          seal = excluded.seal, reason = excluded.reason, quarantined_at = excluded.quarantined_at`,
    list: `SELECT ${fields}, reason, quarantined_at FROM ${n.quarantine} ORDER BY quarantined_at, id`,
    restore: `WITH entry AS (DELETE FROM ${n.quarantine} WHERE id = $1 RETURNING ${fields}),
                   restored AS (INSERT INTO ${n.tasks} (${fields}, due_at) SELECT ${fields}, next_run_time FROM entry RETURNING id)
              SELECT id, pg_notify($2, $3) FROM restored`,
    purge: `DELETE FROM ${n.quarantine} WHERE id = $1`,
  };
}
