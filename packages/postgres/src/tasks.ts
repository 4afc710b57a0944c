/**
 * Tasks as the scheduler adds, changes, reads and removes them: one row each. Writes that can
 * make work due earlier (add, update) notify the other instances in the same statement, so the
 * notification goes out exactly when the change commits.
 */
import type { StoredTask } from '@horae/core/store';
import { checkTask, checkTaskId } from './checks.js';
import { isUniqueViolation, type Connection } from './connection.js';
import { errors } from './messages.js';
import { TASK_COLUMNS, taskOf, type TaskRow } from './rows.js';
import type { WakeUps } from './wake-ups.js';

/** Adds, changes, reads and removes tasks, one row each. */
export class Tasks {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly connection: Connection,
    private readonly wakeUps: Pick<WakeUps, 'notice'>,
  ) {
    this.sql = statements(connection);
  }

  async add(task: StoredTask): Promise<void> {
    checkTask(task, this.connection.alias);
    try {
      await this.connection.query(this.sql.add, [task.id, task.nextRunTime, task.revision, task.payload, task.seal ?? null, ...this.wakeUps.notice()]);
    } catch (error) {
      if (isUniqueViolation(error)) throw errors.conflictingId(task.id, this.connection.alias);
      throw error;
    }
  }

  /**
   * Adds many tasks in one statement (`ON CONFLICT DO NOTHING`, in the order given); resolves to
   * the ids that existed already, whose tasks are left as they are. Of an id given twice, the
   * first is added and the second reported as existing.
   */
  async addMany(tasks: readonly StoredTask[]): Promise<string[]> {
    for (const task of tasks) checkTask(task, this.connection.alias);
    if (tasks.length === 0) return [];
    const { rows } = await this.connection.query<{ id: string }>(this.sql.addMany, [
      tasks.map((task) => task.id),
      tasks.map((task) => task.nextRunTime),
      tasks.map((task) => task.revision),
      tasks.map((task) => task.payload as string),
      tasks.map((task) => task.seal ?? null),
      ...this.wakeUps.notice(),
    ]);
    const added = new Set(rows.map((row) => row.id));
    const existing: string[] = [];
    for (const { id } of tasks) {
      if (added.has(id)) added.delete(id);
      else existing.push(id);
    }
    return existing;
  }

  /** Replaces a task whatever claim it is under; the claim ends with the change (its release is then refused). */
  async update(task: StoredTask): Promise<void> {
    checkTask(task, this.connection.alias);
    const { rowCount } = await this.connection.query(this.sql.update, [task.id, task.nextRunTime, task.revision, task.payload, task.seal ?? null, ...this.wakeUps.notice()]);
    if (rowCount !== 1) throw errors.taskNotFound(task.id, this.connection.alias);
  }

  /** Deletes a task; its runs in progress keep their leases (they are rows of their own). */
  async delete(id: string): Promise<void> {
    checkTaskId(id);
    const { rowCount } = await this.connection.query(this.sql.delete, [id]);
    if (rowCount !== 1) throw errors.taskNotFound(id, this.connection.alias);
  }

  async lookup(id: string): Promise<StoredTask | null> {
    if (typeof id !== 'string' || id.includes('\0')) return null;
    const { rows } = await this.connection.query<TaskRow>(this.sql.lookup, [id]);
    return rows.length === 0 ? null : taskOf(rows[0]!);
  }

  /** Every task, earliest next run time first (paused ones last), in the order added for equal times. */
  async all(): Promise<StoredTask[]> {
    const { rows } = await this.connection.query<TaskRow>(this.sql.all);
    return rows.map(taskOf);
  }

  /** The first entry of the due index: for a claimed task, the later of its run time and the claim's expiry. */
  async nextRunTime(): Promise<number | null> {
    const { rows } = await this.connection.query<{ due_at: number }>(this.sql.nextRunTime);
    return rows.length === 0 ? null : rows[0]!.due_at;
  }

  /** Removes every task; the quarantine, the run leases and the run history stay, as in every store. */
  async removeAll(): Promise<void> {
    await this.connection.query(this.sql.removeAll);
  }
}

/** The statements of {@link Tasks}, for one store's table. */
function statements({ names: n }: Connection) {
  return {
    add: `WITH added AS (
            INSERT INTO ${n.tasks} (id, next_run_time, due_at, revision, payload, seal) VALUES ($1, $2, $2, $3, $4, $5) RETURNING id)
          SELECT id, pg_notify($6, $7) FROM added`,
    addMany: `WITH added AS (
                INSERT INTO ${n.tasks} (id, next_run_time, due_at, revision, payload, seal)
                SELECT r.id, r.next_run_time, r.next_run_time, r.revision, r.payload, r.seal
                  FROM unnest($1::text[], $2::float8[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS r(id, next_run_time, revision, payload, seal, place)
                 ORDER BY r.place
                ON CONFLICT (id) DO NOTHING
                RETURNING id)
              SELECT id, pg_notify($6, $7) FROM added`,
    update: `WITH changed AS (
               UPDATE ${n.tasks} SET next_run_time = $2, due_at = $2, revision = $3, payload = $4, seal = $5, claim_owner = NULL, claim_expires_at = NULL
                WHERE id = $1 RETURNING id)
             SELECT id, pg_notify($6, $7) FROM changed`,
    delete: `DELETE FROM ${n.tasks} WHERE id = $1`,
    lookup: `SELECT ${TASK_COLUMNS} FROM ${n.tasks} WHERE id = $1`,
    all: `SELECT ${TASK_COLUMNS} FROM ${n.tasks} ORDER BY next_run_time ASC NULLS LAST, seq`,
    nextRunTime: `SELECT due_at FROM ${n.tasks} WHERE due_at IS NOT NULL ORDER BY due_at, seq LIMIT 1`,
    removeAll: `DELETE FROM ${n.tasks}`,
  };
}
