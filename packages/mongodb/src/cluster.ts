/**
 * The cluster view: `<collection>.instances`, one document per instance that beats, stamped with
 * its expiry on MongoDB's clock (and removed by a TTL index some time after it), and the run
 * leases alive, read from the tasks' documents.
 */
import type { HeldRunLease, StoredInstance } from '@horae/core/store';
import type { Connection } from './connection.js';
import { literal, SERVER_NOW } from './documents.js';
import { errors } from './messages.js';

export class Cluster {
  constructor(private readonly connection: Connection) {}

  async beat(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    if (typeof payload !== 'string') throw errors.payloadNotString(instanceId, this.connection.alias, payload);
    await this.connection.ready();
    await this.connection.instances().updateOne(
      { _id: instanceId },
      [{ $set: { expiresAt: { $add: ['$$NOW', ttl] }, payload: literal(payload) } }],
      { upsert: true },
    );
  }

  async instances(): Promise<StoredInstance[]> {
    await this.connection.ready();
    const alive = await this.connection.instances().find({ $expr: { $gt: ['$expiresAt', '$$NOW'] } }).toArray();
    return alive.map((document) => ({ instanceId: document._id, expiresAt: document.expiresAt.getTime(), payload: document.payload }));
  }

  async remove(instanceId: string): Promise<void> {
    await this.connection.ready();
    await this.connection.instances().deleteOne({ _id: instanceId });
  }

  async runLeases(): Promise<HeldRunLease[]> {
    await this.connection.ready();
    const held = await this.connection
      .tasks()
      .aggregate<HeldRunLease>([
        { $match: { runExpiry: { $exists: true } } },
        { $unwind: '$runs' },
        { $match: { $expr: { $gt: ['$runs.expiresAt', SERVER_NOW] } } },
        { $project: { _id: 0, taskId: '$_id', runId: '$runs.runId', owner: '$runs.owner', scheduledAt: '$runs.scheduledAt', expiresAt: '$runs.expiresAt' } },
      ])
      .toArray();
    return held;
  }
}
