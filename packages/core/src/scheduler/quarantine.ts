import { errors } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { QuarantinedTask } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { Runner } from './runner.js';
import type { StoreHandle } from './store-handle.js';
import type { StoreSet } from './stores.js';

/** What the quarantine desk needs of the scheduler. */
export interface QuarantineContext {
  readonly stores: StoreSet;
  readonly runner: Runner;
  readonly events: EventHub;
  readonly notifyRunTime: (time: number | null) => void;
  /** Whether the scheduler only observes: then the instances that run the task judge whether they can. */
  readonly observing: () => boolean;
}

/**
 * The quarantine across the started stores: records that could not be read or run are kept
 * aside there, with the reason, by {@link StoreHandle}; this lists them, puts them back after the
 * cause was fixed (reading them again at once), and deletes them for good on request only.
 */
export class Quarantine {
  constructor(private readonly context: QuarantineContext) {}

  async list(store?: string): Promise<(QuarantinedTask & { store: string })[]> {
    const { stores } = this.context;
    if (store !== undefined) stores.get(undefined, store);
    const held: (QuarantinedTask & { store: string })[] = [];
    for (const handle of stores.startedHandles()) {
      if (store !== undefined && handle.alias !== store) continue;
      for (const task of await handle.getQuarantined()) held.push({ ...task, store: handle.alias });
    }
    return held;
  }

  /** Puts a record back; `null` when it still cannot be read or run here (it is then held again). */
  async restore(id: string, store: string | undefined): Promise<{ record: TaskRecord; store: string } | null> {
    const handle = await this.holding(id, store);
    const record = await handle.restoreQuarantined(id);
    if (record === null) return null;
    const refusal = this.context.observing() ? undefined : this.context.runner.cannotRunHere(record);
    if (refusal !== undefined) {
      await handle.quarantine(id, refusal);
      return null;
    }
    this.context.events.emit('task:added', { taskId: id, store: handle.alias });
    this.context.notifyRunTime(record.nextRunTime);
    return { record, store: handle.alias };
  }

  async purge(id: string, store: string | undefined): Promise<void> {
    await (await this.holding(id, store)).purgeQuarantined(id);
  }

  private async holding(id: string, store: string | undefined): Promise<StoreHandle> {
    const match = (await this.list(store)).find((task) => task.id === id);
    if (match === undefined) throw errors.notQuarantined(id, store);
    return this.context.stores.get(id, match.store);
  }
}
