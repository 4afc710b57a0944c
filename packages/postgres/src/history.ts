/**
 * The run history: `<table>_runs`, one row per finished run, shared by every instance. A batch is
 * added, trimmed to the newest `perTask` runs of each of its tasks, and swept of runs past
 * `maxAge` (of every task, so those of tasks that record nothing more go too) in one call of the
 * store's function.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { Connection } from './connection.js';
import { errors } from './messages.js';

interface RunRow {
  readonly task_id: string;
  readonly run_id: string;
  readonly ended_at: number;
  readonly payload: string;
}

/** Keeps and lists finished runs. */
export class History {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly connection: Connection) {
    this.sql = statements(connection);
  }

  async add(runs: readonly StoredRun[], { perTask, maxAge, now }: RunRetention): Promise<void> {
    if (runs.length === 0) return;
    for (const run of runs) {
      if (typeof run.payload !== 'string') throw errors.payloadNotString(run.taskId, this.connection.alias, run.payload);
      if (run.payload.includes('\0')) throw errors.nulInText(run.taskId, this.connection.alias, 'run record');
    }
    await this.connection.query(this.sql.add, [
      runs.map((run) => run.taskId),
      runs.map((run) => run.runId),
      runs.map((run) => run.endedAt),
      runs.map((run) => run.payload as string),
      Math.max(0, Math.floor(perTask)),
      now - maxAge,
    ]);
  }

  /** A task's runs, newest first, at most `limit`, those that ended before `before` when given. */
  async list(taskId: string, { limit, before }: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]> {
    if (!(limit >= 1)) return [];
    const { rows } = await this.connection.query<RunRow>(this.sql.list, [taskId, before ?? null, Math.floor(limit)]);
    return rows.map((row) => ({ taskId: row.task_id, runId: row.run_id, endedAt: row.ended_at, payload: row.payload }));
  }
}

/** The statements of {@link History}, for one store's table. */
function statements({ names: n }: Connection) {
  return {
    add: `SELECT ${n.functions.addRuns}($1::text[], $2::text[], $3::float8[], $4::text[], $5, $6)`,
    list: `SELECT task_id, run_id, ended_at, payload FROM ${n.runs}
            WHERE task_id = $1 AND ($2::float8 IS NULL OR ended_at < $2::float8)
            ORDER BY ended_at DESC, run_id DESC LIMIT $3`,
  };
}
