/**
 * Tasks as the scheduler adds, changes, reads and removes them: one JSON row each in the tasks
 * hash (see {@link RedisStoreKeys}), written by scripts that keep the due index with it. Rows that
 * cannot be read are moved to the quarantine on the way.
 */
import type { StoredTask } from '@horae/core/store';
import type { Connection } from './connection.js';
import { writeKeys, type RedisStoreKeys } from './keys.js';
import { errors } from './messages.js';
import type { Quarantine } from './quarantine.js';
import { parseRow, rowArguments, storedTask } from './rows.js';
import { ADD, ADD_MANY, DELETE, REMOVE_ALL, UPDATE } from './scripts/index.js';
import type { WakeUps } from './wake-ups.js';

/** The most tasks one add script takes: each script stays short, so Redis serves others between. */
const ADD_BATCH = 1_000;

/** Adds, changes, reads and removes tasks, one row each. */
export class Tasks {
  constructor(
    private readonly connection: Connection,
    private readonly quarantine: Quarantine,
    private readonly wakeUps: WakeUps,
  ) {}

  private get keys(): RedisStoreKeys {
    return this.connection.keys;
  }

  async add(task: StoredTask): Promise<void> {
    const added = await this.connection.run(ADD, writeKeys(this.keys), [task.id, ...rowArguments(task, this.connection.alias), ...this.wakeUps.announcement()]);
    if (added !== 1) throw errors.conflictingId(task.id, this.connection.alias);
  }

  /** Adds the tasks whose ids are free, one script per {@link ADD_BATCH} tasks; resolves to the ids that existed. */
  async addMany(tasks: readonly StoredTask[]): Promise<string[]> {
    const batches: Promise<unknown>[] = [];
    for (let start = 0; start < tasks.length; start += ADD_BATCH) {
      const args = tasks.slice(start, start + ADD_BATCH).flatMap((task) => [task.id, ...rowArguments(task, this.connection.alias)]);
      batches.push(this.connection.run(ADD_MANY, writeKeys(this.keys), [...this.wakeUps.announcement(), ...args]));
    }
    return (await Promise.all(batches)).flat() as string[];
  }

  async update(task: StoredTask): Promise<void> {
    const updated = await this.connection.run(UPDATE, writeKeys(this.keys), [task.id, ...rowArguments(task, this.connection.alias), ...this.wakeUps.announcement()]);
    if (updated !== 1) throw errors.taskNotFound(task.id, this.connection.alias);
  }

  async delete(id: string): Promise<void> {
    const deleted = await this.connection.run(DELETE, [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.paused], [id, ...this.wakeUps.announcement()]);
    if (deleted !== 1) throw errors.taskNotFound(id, this.connection.alias);
  }

  async lookup(id: string): Promise<StoredTask | null> {
    const raw = await this.connection.typed(this.keys.tasks, 'hash', (client) => client.hget(this.keys.tasks, id));
    return raw === null ? null : this.quarantine.readRow(id, raw);
  }

  async all(): Promise<StoredTask[]> {
    const rows = await this.connection.scanHash(this.keys.tasks);
    const tasks: (StoredTask & { seq: number })[] = [];
    for (const [id, raw] of rows) {
      const row = parseRow(raw);
      if (typeof row === 'string') await this.quarantine.moveUnreadable(id, raw, row);
      else tasks.push({ ...storedTask(id, row), seq: row.seq });
    }
    const order = (task: StoredTask): number => task.nextRunTime ?? Infinity;
    return tasks
      .sort((a, b) => order(a) - order(b) || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ seq: _seq, ...task }) => task);
  }

  async nextRunTime(): Promise<number | null> {
    // The index already holds, for a claimed task, the later of its run time and the claim's expiry.
    const reply: unknown[] = await this.connection.typed(this.keys.due, 'zset', (client) => client.zrange(this.keys.due, '0', '0', 'WITHSCORES'));
    const score = reply.flat()[1];
    return score === undefined ? null : Number(score);
  }

  async removeAll(): Promise<void> {
    await this.connection.run(REMOVE_ALL, [this.keys.tasks, this.keys.due, this.keys.claims, this.keys.paused], this.wakeUps.announcement());
  }
}
