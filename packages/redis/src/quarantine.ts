/**
 * The quarantine: a hash of the tasks moved out of scheduling, each with the reason and its row
 * exactly as found, never deleted or run. Rows this store cannot read go there on the way.
 */
import type { QuarantinedTask, StoredTask } from '@horae/core/store';
import type { Connection } from './connection.js';
import { quarantineKeys } from './keys.js';
import { errors } from './messages.js';
import { parseRow, quarantinedTask, storedTask } from './rows.js';
import { QUARANTINE, RESTORE } from './scripts/index.js';
import type { WakeUps } from './wake-ups.js';

/** Moves tasks to the quarantine, lists, restores and purges them. */
export class Quarantine {
  constructor(
    private readonly connection: Connection,
    private readonly wakeUps: WakeUps,
  ) {}

  async take(id: string, reason: string): Promise<void> {
    const moved = await this.connection.run(QUARANTINE, quarantineKeys(this.connection.keys), [id, reason]);
    if (moved !== 1) throw errors.taskNotFound(id, this.connection.alias);
  }

  async list(): Promise<QuarantinedTask[]> {
    const held = await this.connection.scanHash(this.connection.keys.quarantine);
    return [...held].map(([id, raw]) => quarantinedTask(id, raw)).sort((a, b) => a.quarantinedAt - b.quarantinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async restore(id: string): Promise<void> {
    const { keys, alias } = this.connection;
    const [status] = (await this.connection.run(RESTORE, [keys.tasks, keys.due, keys.claims, keys.quarantine, keys.seq, keys.paused], [id, ...this.wakeUps.announcement()])) as [string, string?];
    if (status === 'missing') throw errors.notQuarantined(id, alias);
    if (status === 'conflict') throw errors.conflictingId(id, alias);
    // 'unreadable': still unreadable, so it stays in the quarantine with the new reason.
  }

  async purge(id: string): Promise<void> {
    const { quarantine } = this.connection.keys;
    if ((await this.connection.typed(quarantine, 'hash', (client) => client.hdel(quarantine, id))) !== 1) throw errors.notQuarantined(id, this.connection.alias);
  }

  /** A row as read with a plain command; an unreadable one goes to the quarantine. */
  async readRow(id: string, raw: string): Promise<StoredTask | null> {
    const row = parseRow(raw);
    if (typeof row !== 'string') return storedTask(id, row);
    await this.moveUnreadable(id, raw, row);
    return null;
  }

  /** Quarantines a row this store cannot read, unless it changed since it was read. */
  async moveUnreadable(id: string, raw: string, why: string): Promise<void> {
    const reason = `its record in Redis cannot be read: ${why}`;
    if ((await this.connection.run(QUARANTINE, quarantineKeys(this.connection.keys), [id, reason, raw])) === 1) this.connection.reportQuarantined(id, reason);
  }
}
