/**
 * The quarantine: `<collection>.quarantine`, one entry per task moved out of scheduling, with the
 * reason and its document exactly as found. Moves lose nothing without transactions, which a
 * standalone server does not have.
 */
import { randomUUID } from 'node:crypto';
import type { QuarantinedTask } from '@horae/core/store';
import type { Document } from 'mongodb';
import type { Connection } from './connection.js';
import { compare, IS_TASK, literal, newTaskDocument, readQuarantined, readTask, SERVER_NOW, TO_RUNS_ONLY, unchanged } from './documents.js';
import { errors, reasons } from './messages.js';
import { insertTask } from './tasks.js';

/** How often a move to the quarantine is tried again when the task keeps changing under it. */
const QUARANTINE_ATTEMPTS = 5;

/** Moves tasks to the quarantine, lists, restores and purges them. */
export class Quarantine {
  constructor(private readonly connection: Connection) {}

  /**
   * Moves a task document to the quarantine, exactly as found, if the task still matches
   * `stillAsFound`. Without transactions (standalone servers have none) in an order that loses
   * nothing: the quarantine entry is written first, then the task deleted; when the task changed
   * meanwhile, the entry is taken back. Resolves to whether the task was moved.
   */
  async move(found: Document, reason: string, stillAsFound: Document): Promise<boolean> {
    const id = found._id as string;
    const moveToken = randomUUID();
    await this.connection.quarantine().updateOne(
      { _id: id },
      [{ $replaceWith: literal({ _id: id, reason, record: found, moveToken }) }, { $set: { quarantinedAt: SERVER_NOW } }],
      { upsert: true },
    );
    const tasks = this.connection.tasks();
    // The task goes; runs in progress stay behind in a runsOnly document, still counted and reported.
    if ((await tasks.deleteOne({ ...stillAsFound, runs: { $exists: false } })).deletedCount === 1) return true;
    if ((await tasks.updateOne({ ...stillAsFound, ...IS_TASK }, TO_RUNS_ONLY)).matchedCount === 1) return true;
    await this.connection.quarantine().deleteOne({ _id: id, moveToken });
    return false;
  }

  /**
   * Quarantines a document this store cannot read (`why` says how), and reports it, unless it no
   * longer matches `stillAsFound` (by default: unless it changed since it was read).
   */
  async moveUnreadable(found: Document, why: string, stillAsFound: Document = unchanged(found)): Promise<void> {
    const reason = reasons.cannotBeRead(why);
    if (await this.move(found, reason, stillAsFound)) this.connection.reportQuarantined(String(found._id), reason);
  }

  /** `quarantineTask`: the task as it is when the move begins; tried again while it keeps changing. */
  async take(id: string, reason: string): Promise<void> {
    await this.connection.ready();
    for (let attempt = 0; attempt < QUARANTINE_ATTEMPTS; attempt++) {
      const found = await this.connection.tasks().findOne({ _id: id, ...IS_TASK });
      if (found === null) throw errors.taskNotFound(id, this.connection.alias);
      if (await this.move(found, reason, unchanged(found))) return;
    }
    throw errors.quarantineRaced(id, this.connection.alias, QUARANTINE_ATTEMPTS);
  }

  async list(): Promise<QuarantinedTask[]> {
    await this.connection.ready();
    const held = await this.connection.quarantine().find({}).toArray();
    return held.map(readQuarantined).sort((a, b) => a.quarantinedAt - b.quarantinedAt || compare(a.id, b.id));
  }

  /** Reads an entry again: a readable record is scheduled anew, an unreadable one stays with the news. */
  async restore(id: string): Promise<void> {
    await this.connection.ready();
    const quarantine = this.connection.quarantine();
    const entry = await quarantine.findOne({ _id: id });
    if (entry === null) throw errors.notQuarantined(id, this.connection.alias);
    const record: unknown = entry.record;
    const task = typeof record === 'object' && record !== null ? readTask(record) : reasons.noDocument;
    if (typeof task === 'string') {
      const reason = reasons.stillUnreadable(task);
      await quarantine.updateOne({ _id: id, moveToken: entry.moveToken }, [{ $set: { reason: literal(reason), quarantinedAt: SERVER_NOW } }]);
      return;
    }
    // Back at the end of its run time's queue, as a new task would be.
    if (!(await insertTask(this.connection, newTaskDocument({ ...task, id })))) throw errors.conflictingId(id, this.connection.alias);
    await quarantine.deleteOne({ _id: id, moveToken: entry.moveToken });
  }

  async purge(id: string): Promise<void> {
    await this.connection.ready();
    if ((await this.connection.quarantine().deleteOne({ _id: id })).deletedCount !== 1) throw errors.notQuarantined(id, this.connection.alias);
  }
}
