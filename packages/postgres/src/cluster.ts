/**
 * The cluster view: `<table>_instances`, one row per instance that beats, stamped with its expiry
 * on the database's clock. Rows of instances that stopped beating are swept a minute after they
 * expired, by whoever lists the instances.
 */
import type { StoredInstance } from '@horae/core/store';
import type { Connection } from './connection.js';
import { errors } from './messages.js';
import { NOW_MS } from './names.js';

/** How long (ms) an expired instance's row stays before a listing sweeps it. */
const SWEEP_AFTER = 60_000;

export class Cluster {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly connection: Connection) {
    this.sql = statements(connection);
  }

  async beat(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    if (typeof payload !== 'string') throw errors.payloadNotString(instanceId, this.connection.alias, payload);
    await this.connection.query(this.sql.beat, [instanceId, ttl, payload]);
  }

  /** The instances whose beat has not expired; sweeps those that expired more than a minute ago. */
  async instances(): Promise<StoredInstance[]> {
    await this.connection.query(this.sql.sweep, [SWEEP_AFTER]);
    const { rows } = await this.connection.query<{ instance_id: string; expires_at: number; payload: string }>(this.sql.alive);
    return rows.map((row) => ({ instanceId: row.instance_id, expiresAt: row.expires_at, payload: row.payload }));
  }

  async remove(instanceId: string): Promise<void> {
    await this.connection.query(this.sql.remove, [instanceId]);
  }
}

/** The statements of {@link Cluster}, for one store's table. */
function statements({ names: n }: Connection) {
  return {
    beat: `INSERT INTO ${n.instances} (instance_id, expires_at, payload) VALUES ($1, ${NOW_MS} + $2, $3)
           ON CONFLICT (instance_id) DO UPDATE SET expires_at = excluded.expires_at, payload = excluded.payload`,
    sweep: `DELETE FROM ${n.instances} WHERE expires_at < ${NOW_MS} - $1`,
    alive: `SELECT instance_id, expires_at, payload FROM ${n.instances} WHERE expires_at > ${NOW_MS} ORDER BY instance_id`,
    remove: `DELETE FROM ${n.instances} WHERE instance_id = $1`,
  };
}
