import type { EventHub } from '../events/events.js';
import type { QuarantinedTask } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { Runner } from './runner.js';
import type { StoreSet } from './stores.js';
/** What the quarantine desk needs of the scheduler. */
export interface QuarantineContext {
    readonly stores: StoreSet;
    readonly runner: Runner;
    readonly events: EventHub;
    readonly notifyRunTime: (time: number | null) => void;
}
/**
 * The quarantine across the started stores: records that could not be read or run are kept
 * aside there, with the reason, by {@link StoreHandle}; this lists them, puts them back after the
 * cause was fixed (reading them again at once), and deletes them for good on request only.
 */
export declare class Quarantine {
    private readonly context;
    constructor(context: QuarantineContext);
    list(store?: string): Promise<(QuarantinedTask & {
        store: string;
    })[]>;
    /** Puts a record back; `null` when it still cannot be read or run here (it is then held again). */
    restore(id: string, store: string | undefined): Promise<{
        record: TaskRecord;
        store: string;
    } | null>;
    purge(id: string, store: string | undefined): Promise<void>;
    private holding;
}
