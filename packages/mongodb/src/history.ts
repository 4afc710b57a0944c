/**
 * The run history: `<collection>.runs`, one document per run (`_id` = run id) with its task id,
 * its end (epoch ms, indexed per task), the payload verbatim and an `expireAt` for MongoDB's TTL
 * monitor, which removes runs past their age even for tasks that never run again. A write adds a
 * batch and trims the tasks it touched, in three commands whatever their number.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { AnyBulkWriteOperation, Filter } from 'mongodb';
import { isDuplicateKey, writeErrors, type Connection } from './connection.js';
import type { RunDocument } from './documents.js';
import { errors } from './messages.js';

export class History {
  constructor(private readonly connection: Connection) {}

  async add(runs: readonly StoredRun[], { perTask, maxAge, now }: RunRetention): Promise<void> {
    await this.connection.ready();
    const store = this.connection.alias;
    const documents = runs.map((run): RunDocument => {
      if (typeof run.payload !== 'string') throw errors.payloadNotString(run.taskId, store, run.payload);
      return { _id: run.runId, taskId: run.taskId, endedAt: run.endedAt, expireAt: new Date(run.endedAt + maxAge), payload: run.payload };
    });
    const collection = this.connection.runs();
    try {
      await collection.insertMany(documents, { ordered: false });
    } catch (error) {
      // A batch written again after a lost reply: the runs that arrived the first time stay once.
      if (!(writeErrors(error)?.every((entry) => entry.code === 11_000) ?? isDuplicateKey(error))) throw error;
    }
    const taskIds = [...new Set(runs.map((run) => run.taskId))];
    // The newest run past `perTask` of each task: it and everything older goes.
    const cutoffs = await collection
      .aggregate<{ _id: string; cutoff?: { endedAt: number; id: string } }>([
        { $match: { taskId: { $in: taskIds } } },
        { $sort: { taskId: 1, endedAt: -1, _id: -1 } },
        { $group: { _id: '$taskId', runs: { $push: { endedAt: '$endedAt', id: '$_id' } } } },
        { $project: { cutoff: { $arrayElemAt: ['$runs', perTask] } } },
      ])
      .toArray();
    const trims: AnyBulkWriteOperation<RunDocument>[] = [{ deleteMany: { filter: { taskId: { $in: taskIds }, endedAt: { $lt: now - maxAge } } } }];
    for (const { _id: taskId, cutoff } of cutoffs) {
      if (cutoff === undefined) continue;
      const older: Filter<RunDocument> = { taskId, $or: [{ endedAt: { $lt: cutoff.endedAt } }, { endedAt: cutoff.endedAt, _id: { $lte: cutoff.id } }] };
      trims.push({ deleteMany: { filter: older } });
    }
    await collection.bulkWrite(trims, { ordered: false });
  }

  async list(taskId: string, { limit, before }: { limit: number; before?: number }): Promise<StoredRun[]> {
    await this.connection.ready();
    const filter: Filter<RunDocument> = before === undefined ? { taskId } : { taskId, endedAt: { $lt: before } };
    const found = await this.connection.runs().find(filter).sort({ endedAt: -1, _id: -1 }).limit(limit).toArray();
    return found.map((document) => ({ taskId: document.taskId, runId: document._id, endedAt: document.endedAt, payload: document.payload }));
  }
}
