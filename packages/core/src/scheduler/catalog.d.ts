import type { EventHub } from '../events/events.js';
import type { Executor } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import { type TaskRecord } from '../tasks/task.js';
import { type TaskInfo } from './inspection.js';
import type { StoreHandle } from './store-handle.js';
import type { StoreSet } from './stores.js';
import type { Addition, TaskOptions } from './task-options.js';
/** Where a task was found, and whether it still waits for its store to start. */
export interface Located {
    record: TaskRecord;
    store: string;
    pending: boolean;
    handle: StoreHandle;
}
/** What the catalog needs of the scheduler. */
export interface CatalogContext {
    readonly stores: StoreSet;
    readonly options: TaskOptions;
    readonly events: EventHub;
    readonly logger: Logger;
    readonly executors: ReadonlyMap<string, Executor>;
    readonly notifyRunTime: (time: number | null) => void;
}
/**
 * The tasks across the scheduler's stores: adding them (with `replaceExisting`, which keeps a
 * re-declared task's schedule), finding, listing, changing and deleting them. A task added
 * before its store starts is staged (see {@link StoreSet.stagingOf}) and reaches the store at
 * start, as if it had been added then.
 */
export declare class TaskCatalog {
    private readonly context;
    /** The staged tasks, by store and id, in the order they were added. */
    private readonly staged;
    constructor(context: CatalogContext);
    /** Keeps a validated task until its store starts. */
    stage(addition: Addition): Promise<Located>;
    /** Whether a task of this id waits for this store to start. */
    isStaged(store: string, id: string): boolean;
    /** Moves the staged tasks of the started stores into them; one that fails is logged. */
    commitStaged(): Promise<void>;
    /** Puts a validated task into its store, honouring `replaceExisting`; returns what is stored. */
    commit(addition: Addition): Promise<TaskRecord>;
    /** Puts validated tasks into their stores, one step per store where it can. */
    commitAll(additions: readonly Addition[]): Promise<Map<Addition, TaskRecord>>;
    /**
     * Puts validated tasks into one store in one step where it can. Ids that exist go the way of
     * {@link TaskCatalog.commit} when they may be replaced, and are reported together when not.
     */
    commitMany(alias: string, additions: readonly Addition[]): Promise<Map<Addition, TaskRecord>>;
    /**
     * Writes a changed record where the task lives. A staged task's `schedule` says how it gets
     * its next run time at start: the one it has now (`'given'`), its trigger's first fire time
     * then (`'from-trigger'`), or as before (omitted).
     */
    replace(located: Located, record: TaskRecord, schedule?: 'given' | 'from-trigger'): Promise<Located>;
    delete(located: Located): Promise<void>;
    /** Deletes every task of the given stores, staged ones included. */
    removeAll(aliases: readonly string[]): Promise<void>;
    /** Forgets the staged tasks of a store that is removed. */
    forgetStore(alias: string): void;
    find(id: string, storeAlias: string | undefined): Promise<Located | undefined>;
    locate(id: string, storeAlias: string | undefined): Promise<Located>;
    /** Every task (of one store, or of all), by next run time; paused ones last. */
    collect(storeAlias: string | undefined): Promise<Located[]>;
    /** A snapshot of a task with its state. */
    info(located: Located): TaskInfo;
}
