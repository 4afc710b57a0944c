import { TaskCodec, UnreadableRecordError } from '../stores/codec.js';
import type { QuarantinedTask, StoredTask, TaskStore } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { TriggerRegistry } from '../triggers/registry.js';

/** What a store handle reports to its scheduler. */
export interface StoreHandleHooks {
  /** A record was moved to the quarantine. */
  quarantined(taskId: string, store: string, reason: string, cause: unknown): void;
}

/**
 * One store as the scheduler sees it: task records in and out, encoded by the store's codec.
 * A record that cannot be read is moved to the quarantine and reported, never returned, never
 * deleted — the one place that rule lives, whatever the store.
 */
export class StoreHandle {
  private readonly codec: TaskCodec;

  constructor(
    readonly alias: string,
    readonly store: TaskStore,
    triggers: TriggerRegistry,
    timezone: string,
    private readonly hooks: StoreHandleHooks,
  ) {
    this.codec = new TaskCodec(store.persistent, store.encryptionKey, triggers, timezone);
  }

  get persistent(): boolean {
    return this.store.persistent;
  }

  add(record: TaskRecord): Promise<void> {
    return this.store.addTask(this.codec.encode(record));
  }

  update(record: TaskRecord): Promise<void> {
    return this.store.updateTask(this.codec.encode(record));
  }

  async lookup(id: string): Promise<TaskRecord | null> {
    const stored = await this.store.lookupTask(id);
    return stored === null ? null : this.read(stored);
  }

  /** Every readable task; unreadable ones are quarantined on the way. */
  async all(): Promise<TaskRecord[]> {
    return this.readAll(await this.store.getAllTasks());
  }

  async claimDue(now: number, limit: number, owner: string, duration: number): Promise<TaskRecord[]> {
    return this.readAll(await this.store.claimDueTasks({ now, limit, owner, duration }));
  }

  async claim(id: string, owner: string, duration: number): Promise<TaskRecord | null> {
    const stored = await this.store.claimTask(id, { owner, duration });
    return stored === null ? null : this.read(stored);
  }

  /** Moves a task to the quarantine and reports it. */
  async quarantine(id: string, reason: string, cause?: unknown): Promise<void> {
    await this.store.quarantineTask(id, reason);
    this.reportQuarantined(id, reason, cause);
  }

  /** Reports a record moved to the quarantine (by this handle, or by the store itself). */
  reportQuarantined(id: string, reason: string, cause?: unknown): void {
    this.hooks.quarantined(id, this.alias, reason, cause);
  }

  getQuarantined(): Promise<QuarantinedTask[]> {
    return this.store.getQuarantinedTasks();
  }

  private async readAll(stored: StoredTask[]): Promise<TaskRecord[]> {
    const records: TaskRecord[] = [];
    for (const task of stored) {
      const record = await this.read(task);
      if (record !== null) records.push(record);
    }
    return records;
  }

  private async read(stored: StoredTask): Promise<TaskRecord | null> {
    try {
      return this.codec.decode(stored);
    } catch (error) {
      if (!(error instanceof UnreadableRecordError)) throw error;
      await this.quarantine(stored.id, `the record cannot be read: ${error.message}`, error.cause ?? error);
      return null;
    }
  }
}
