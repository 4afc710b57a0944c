/**
 * What the file store does with the entries it finds but cannot take as they are: task files
 * that cannot be read, files under names it does not write, and entries it must not read at all
 * (not regular files, or too large; see `safe-read.ts`). Each is quarantined and reported, never
 * deleted silently, and never stops the store: every other task goes on.
 */
import { join } from 'node:path';
import type { Logger } from '../../logger/logger.js';
import { errorCode, removeQuietly } from './disk.js';
import type { NameLog, UnreadableFile } from './generations.js';
import { taskIdOf } from './naming.js';
import { unreadableFileRecord, unreadEntryRecord, type Quarantine } from './quarantine.js';
import type { LeaseSlot, TaskGeneration } from './records.js';
import { readRegularFile } from './safe-read.js';

export interface IntakeContext {
  readonly directory: string;
  readonly suffix: string;
  readonly maxFileSize: number;
  readonly quarantine: Quarantine;
  /** The quarantine directory's name inside `directory`, for messages. */
  readonly quarantineName: string;
  readonly names: NameLog;
  /** Publishes a tombstone over the file: the task leaves scheduling. */
  tombstone(file: UnreadableFile, id: string): Promise<void>;
  /** Read at each use: the store learns them when it is started. */
  alias(): string;
  logger(): Logger;
  reportQuarantined(id: string, reason: string): void;
}

export class Intake {
  /** Foreign entries that could neither be read nor moved away: reported once, then left alone. */
  private readonly stuckForeign = new Set<string>();

  constructor(private readonly context: IntakeContext) {}

  /**
   * A task file that cannot be read: its bytes go to the quarantine (only its name when it was
   * not read at all), and a tombstone takes the task out of scheduling. The file itself is then
   * swept like any superseded generation, or set aside into the quarantine if it was not read.
   */
  async unreadableTask(file: UnreadableFile): Promise<TaskGeneration | undefined> {
    const { quarantine } = this.context;
    const id = taskIdOf(file.key) ?? file.fileName;
    const reason = file.raw === undefined ? `its file ${file.fileName} ${file.reason}` : `its file ${file.fileName} cannot be read: ${file.reason}`;
    try {
      await quarantine.put(file.raw === undefined ? unreadEntryRecord(id, file.fileName, reason) : unreadableFileRecord(id, file.fileName, file.raw, reason));
    } catch (error) {
      this.context.logger().error(`Task "${id}" in store "${this.context.alias()}" cannot be read (${file.reason}), nor moved to the quarantine; it is skipped.`, error);
      // Skipped without a tombstone, so the file stays current and is never collected.
      return { id, deleted: true, writtenAt: Infinity };
    }
    this.context.reportQuarantined(id, reason);
    await this.context.tombstone(file, id);
    return undefined;
  }

  /**
   * A file with the task suffix this store did not name: kept in the quarantine under its file
   * name. One that must not be read (not a regular file, too large) is moved into the quarantine
   * directory whole, unread, and its record holds its name only.
   */
  async foreign(name: string): Promise<void> {
    if (this.stuckForeign.has(name)) return;
    const { directory, quarantine, quarantineName } = this.context;
    const path = join(directory, name);
    let read;
    try {
      read = await readRegularFile(path, this.context.maxFileSize);
    } catch (error) {
      this.stuckForeign.add(name);
      this.context.logger().error(`File ${name} in store "${this.context.alias()}" (${directory}) cannot be read; it is left where it is, and ignored.`, error);
      return;
    }
    if (read === undefined) return; // another process moved it first
    const misnamed = `its file name is not <id>.<generation>${this.context.suffix}, the names this store writes`;
    this.context.names.add(name);
    if ('raw' in read) {
      await quarantine.put(unreadableFileRecord(name, name, read.raw, misnamed));
      this.context.reportQuarantined(name, misnamed);
      await removeQuietly(path);
      return;
    }
    let reason = `${misnamed}, and it ${read.refused}; it was not read`;
    try {
      const aside = await quarantine.setAside(path, name);
      if (aside === undefined) return; // another process moved it first
      reason += `, and was moved to ${quarantineName}/${aside}`;
    } catch (error) {
      this.stuckForeign.add(name);
      reason += `, nor could it be moved away (${errorCode(error) ?? String(error)}): it is left where it is, and ignored`;
    }
    await quarantine.put(unreadEntryRecord(name, name, reason));
    this.context.reportQuarantined(name, reason);
  }

  /**
   * Moves an entry (see `GenerationFilesOptions.setAside`) out of the directory into the
   * quarantine directory, as it is; `label` names it in messages. Its quarantine record, if it
   * had one, was written when it was found: this only says where it went.
   */
  async setAside(path: string, label: string, reason: string): Promise<boolean> {
    const { quarantineName } = this.context;
    try {
      const aside = await this.context.quarantine.setAside(path, label);
      if (aside !== undefined) this.context.logger().warn(`File ${label} in store "${this.context.alias()}" ${reason}; it was moved, as it is, to ${quarantineName}/${aside}.`);
      return true;
    } catch (error) {
      this.context.logger().warn(`File ${label} in store "${this.context.alias()}" ${reason}; it cannot be moved into ${quarantineName}/, and is left where it is.`, error);
      return false;
    }
  }

  /** A run-lease file that cannot be read counts as a free slot: leases are bookkeeping, not tasks. */
  unreadableSlot(file: UnreadableFile, taskId: string): LeaseSlot {
    this.context.logger().warn(`Run-lease file ${file.fileName} in store "${this.context.alias()}" cannot be read (${file.reason}); its slot counts as free.`);
    return { taskId, lease: null, interrupted: [], writtenAt: 0 };
  }
}
