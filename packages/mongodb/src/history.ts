/**
 * The run history: `<collection>.runs`, one document per task (`_id` = task id) holding its
 * newest runs, oldest first, and an `expireAt` for MongoDB's TTL monitor, which removes the
 * history of a task that records nothing more. A batch is one bulk write of one update per task:
 * each adds its runs, keeps them in end order and cuts them to `perTask`, atomically, so that
 * instances writing the same task at once keep its bound.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Connection } from './connection.js';
import type { RunEntryDocument, RunsDocument } from './documents.js';
import { errors } from './messages.js';

export class History {
  constructor(private readonly connection: Connection) {}

  async add(runs: readonly StoredRun[], { perTask, maxAge, now }: RunRetention): Promise<void> {
    const byTask = new Map<string, RunEntryDocument[]>();
    for (const run of runs) {
      if (typeof run.payload !== 'string') throw errors.payloadNotString(run.taskId, this.connection.alias, run.payload);
      const entry = { runId: run.runId, endedAt: run.endedAt, payload: run.payload };
      const list = byTask.get(run.taskId);
      if (list === undefined) byTask.set(run.taskId, [entry]);
      else list.push(entry);
    }
    const expireAt = new Date(now + maxAge);
    const updates: AnyBulkWriteOperation<RunsDocument>[] = [...byTask].map(([taskId, entries]) => ({
      updateOne: {
        filter: { _id: taskId },
        update: { $push: { runs: { $each: entries, $sort: { endedAt: 1 }, $slice: -perTask } }, $set: { expireAt } },
        upsert: true,
      },
    }));
    await this.connection.ready();
    await this.connection.runs().bulkWrite(updates, { ordered: false });
  }

  async list(taskId: string, { limit, before }: { limit: number; before?: number }): Promise<StoredRun[]> {
    await this.connection.ready();
    const found = await this.connection.runs().findOne({ _id: taskId });
    const runs: StoredRun[] = [];
    const seen = new Set<string>();
    // Newest first; a batch written twice (its reply lost with a connection) shows each run once.
    for (const entry of [...(found?.runs ?? [])].reverse()) {
      if (runs.length >= limit) break;
      if ((before !== undefined && entry.endedAt >= before) || seen.has(entry.runId)) continue;
      seen.add(entry.runId);
      runs.push({ taskId, runId: entry.runId, endedAt: entry.endedAt, payload: entry.payload });
    }
    return runs;
  }
}
