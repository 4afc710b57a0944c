/**
 * The cluster view: `{prefix}:instances`, a hash of the instances that beat (id → `<expiry>:<payload>`,
 * the expiry on Redis's clock), and the run leases alive, read from the run-lease keys.
 */
import type { HeldRunLease, StoredInstance } from '@horae/core/store';
import type { Connection } from './connection.js';
import { parseRunLease } from './rows.js';
import { BEAT_INSTANCE, LIST_INSTANCES, LIST_RUN_LEASES } from './scripts/index.js';

export class Cluster {
  constructor(private readonly connection: Connection) {}

  async beat(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    await this.connection.run(BEAT_INSTANCE, [this.connection.keys.instances], [instanceId, String(ttl), payload as string]);
  }

  async instances(): Promise<StoredInstance[]> {
    const flat = (await this.connection.run(LIST_INSTANCES, [this.connection.keys.instances], [])) as string[];
    const alive: StoredInstance[] = [];
    for (let at = 0; at < flat.length; at += 3) alive.push({ instanceId: flat[at]!, expiresAt: Number(flat[at + 1]), payload: flat[at + 2]! });
    return alive;
  }

  async remove(instanceId: string): Promise<void> {
    const key = this.connection.keys.instances;
    await this.connection.typed(key, 'hash', (client) => client.hdel(key, instanceId));
  }

  async runLeases(): Promise<HeldRunLease[]> {
    const { keys } = this.connection;
    const flat = (await this.connection.run(LIST_RUN_LEASES, [keys.runs, keys.runExpiry], [])) as string[];
    const held: HeldRunLease[] = [];
    for (let at = 0; at < flat.length; at += 2) {
      const lease = parseRunLease(flat[at]!);
      if (lease !== undefined) held.push({ ...lease, expiresAt: Number(flat[at + 1]) });
    }
    return held;
  }
}
