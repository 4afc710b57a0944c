/**
 * Tasks as the scheduler adds, changes, reads and removes them: one document each (see
 * {@link StoredTaskDocument}). Documents that cannot be read are moved to the quarantine on the way.
 */
import type { StoredTask } from '@horae/core/store';
import type { Document } from 'mongodb';
import { checkTask } from './checks.js';
import { DUPLICATE_KEY, isDuplicateKey, writeErrors, type Connection } from './connection.js';
import { compare, IS_TASK, literal, newTaskDocument, readTask, SETTLE_RUNS, stored, TO_RUNS_ONLY, type StoredTaskDocument, type TaskRow } from './documents.js';
import { errors } from './messages.js';
import type { Quarantine } from './quarantine.js';

/** Matches tasks that are not paused (claimed or not). */
const SCHEDULED_FILTER: Document = { dueAt: { $type: 'number' } };

/**
 * Inserts a task's document; an id held by a runsOnly document (runs of a task that is gone) is
 * taken over, the runs kept (they still count against maxInstances). Resolves to `false` when a
 * task of that id exists. One round trip: an upsert conditioned on runsOnly, which inserts when
 * the id is free and fails with a duplicate key when a task holds it.
 */
export async function insertTask(connection: Connection, document: StoredTaskDocument): Promise<boolean> {
  const { _id, ...fields } = document;
  try {
    await connection.tasks().updateOne(
      { _id, runsOnly: true },
      // The seal goes too: a document taken over must not keep the seal of the task it held.
      [{ $unset: ['runsOnly', 'releasedBy', 'seal'] }, { $set: Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, literal(value)])) }, ...SETTLE_RUNS],
      { upsert: true },
    );
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Adds, changes, reads and removes tasks, one document each. */
export class Tasks {
  constructor(
    private readonly connection: Connection,
    private readonly quarantine: Quarantine,
  ) {}

  async add(task: StoredTask): Promise<void> {
    const document = this.newDocument(task);
    await this.connection.ready();
    if (!(await insertTask(this.connection, document))) throw errors.conflictingId(task.id, this.connection.alias);
  }

  /**
   * Adds many tasks in one `insertMany` (unordered, so every free id is added); resolves to the
   * ids that existed already, whose tasks are left as they are.
   */
  async addMany(tasks: readonly StoredTask[]): Promise<string[]> {
    const documents = tasks.map((task) => this.newDocument(task));
    if (documents.length === 0) return [];
    await this.connection.ready();
    let failed: { index: number; code: unknown }[];
    try {
      await this.connection.tasks().insertMany(documents, { ordered: false });
      return [];
    } catch (error) {
      const perDocument = writeErrors(error);
      if (perDocument === undefined || perDocument.some((entry) => entry.code !== DUPLICATE_KEY)) throw error;
      failed = perDocument;
    }
    // An id taken by a runsOnly document (runs of a task that is gone) is free for a task.
    const existing: string[] = [];
    for (const { index } of failed) {
      const document = documents[index]!;
      if (!(await insertTask(this.connection, document))) existing.push(document._id);
    }
    return existing;
  }

  async update(task: StoredTask): Promise<void> {
    const { nextRunTime, revision, payload, seal } = this.newDocument(task);
    await this.connection.ready();
    // The claim ends with the change: its release is then refused.
    const { matchedCount } = await this.connection.tasks().updateOne(
      { _id: task.id, ...IS_TASK },
      {
        $set: { nextRunTime, dueAt: nextRunTime, revision, payload, ...(seal === undefined ? {} : { seal }) },
        $unset: { claimedBy: '', claimExpiresAt: '', claimToken: '', releasedBy: '', ...(seal === undefined ? { seal: '' } : {}) },
      },
    );
    if (matchedCount !== 1) throw errors.taskNotFound(task.id, this.connection.alias);
  }

  async delete(id: string): Promise<void> {
    await this.connection.ready();
    const tasks = this.connection.tasks();
    // Without runs in progress the document goes; with some, its runs stay (runsOnly).
    if ((await tasks.deleteOne({ _id: id, ...IS_TASK, runs: { $exists: false } })).deletedCount === 1) return;
    if ((await tasks.updateOne({ _id: id, ...IS_TASK }, TO_RUNS_ONLY)).matchedCount !== 1) throw errors.taskNotFound(id, this.connection.alias);
  }

  async lookup(id: string): Promise<StoredTask | null> {
    await this.connection.ready();
    const found = await this.connection.tasks().findOne({ _id: id, ...IS_TASK });
    if (found === null) return null;
    const task = readTask(found);
    if (typeof task !== 'string') return stored(task);
    await this.quarantine.moveUnreadable(found, task);
    return null;
  }

  /** Every task, earliest next run time first (paused ones last), in the order added for equal times. */
  async all(): Promise<StoredTask[]> {
    await this.connection.ready();
    const tasks: TaskRow[] = [];
    for (const found of await this.connection.tasks().find(IS_TASK).toArray()) {
      const task = readTask(found);
      if (typeof task === 'string') await this.quarantine.moveUnreadable(found, task);
      else tasks.push(task);
    }
    const time = (task: TaskRow): number => task.nextRunTime ?? Infinity;
    return tasks.sort((a, b) => time(a) - time(b) || compare(a.order, b.order) || compare(a.id, b.id)).map(stored);
  }

  async nextRunTime(): Promise<number | null> {
    await this.connection.ready();
    // dueAt already holds, for a claimed task, the later of its run time and the claim's expiry.
    const [first] = await this.connection
      .tasks()
      .find(SCHEDULED_FILTER, { projection: { _id: 0, dueAt: 1 }, sort: { dueAt: 1, seq: 1, _id: 1 }, limit: 1 })
      .toArray();
    return first === undefined ? null : first.dueAt;
  }

  async removeAll(): Promise<void> {
    await this.connection.ready();
    const tasks = this.connection.tasks();
    // The quarantine and the run leases stay, as in every store: tasks with runs in progress
    // become runsOnly documents, the others go.
    await tasks.updateMany({ ...IS_TASK, runs: { $exists: true } }, TO_RUNS_ONLY);
    await tasks.deleteMany({ runs: { $exists: false } });
  }

  /** A task's document as written by add and update, after checking what the scheduler gave. */
  private newDocument(task: StoredTask): StoredTaskDocument {
    checkTask(task, this.connection.alias);
    return newTaskDocument(task);
  }
}
