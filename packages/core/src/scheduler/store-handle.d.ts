import type { DispatchOutcome, QuarantinedTask, RunLease, StoreContext, TaskDispatch, TaskRelease, TaskStore } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { TriggerRegistry } from '../triggers/registry.js';
/** What a store handle reports to its scheduler. */
export interface StoreHandleHooks {
    /** A record was moved to the quarantine. */
    quarantined(taskId: string, store: string, reason: string, cause: unknown): void;
}
/**
 * One store as the scheduler sees it: task records in and out, encoded by the store's codec.
 * Every call the scheduler makes to a store passes here. A record that cannot be read is moved
 * to the quarantine and reported, never returned, never deleted — the one place that rule lives,
 * whatever the store.
 */
export declare class StoreHandle {
    readonly alias: string;
    private readonly store;
    private readonly hooks;
    private readonly codec;
    constructor(alias: string, store: TaskStore, triggers: TriggerRegistry, timezone: string, hooks: StoreHandleHooks);
    get persistent(): boolean;
    start(context: StoreContext): Promise<void>;
    shutdown(): Promise<void>;
    /** When the store next has work (see {@link TaskStore.getNextRunTime}). */
    nextRunTime(): Promise<number | null>;
    add(record: TaskRecord): Promise<void>;
    /** Adds records in one step where the store can; resolves to the ids that existed already. */
    addMany(records: readonly TaskRecord[]): Promise<string[]>;
    /**
     * The release of a record claimed through this handle, sealed for its new revision and next
     * run time when the store encrypts (see {@link TaskCodec}).
     */
    releaseOf(record: TaskRecord, release: Omit<TaskRelease, 'id' | 'claimedRevision' | 'seal'>): TaskRelease;
    /** Hands back one claimed task: the release path of a batch, for one. */
    release(release: TaskRelease): Promise<boolean>;
    /**
     * Hands back claimed tasks with their run leases: in one step where the store can, else task
     * by task with the same outcome (the run lease first, given back if the release is refused).
     */
    dispatch(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]>;
    /** Gives back run leases, in one step where the store can. */
    releaseRunLeases(leases: readonly {
        taskId: string;
        runId: string;
    }[]): Promise<void>;
    update(record: TaskRecord): Promise<void>;
    delete(id: string): Promise<void>;
    removeAll(): Promise<void>;
    lookup(id: string): Promise<TaskRecord | null>;
    /** Every readable task; unreadable ones are quarantined on the way. */
    all(): Promise<TaskRecord[]>;
    claimDue(now: number, limit: number, owner: string, duration: number): Promise<TaskRecord[]>;
    claim(id: string, owner: string, duration: number): Promise<TaskRecord | null>;
    /** Moves a task to the quarantine and reports it. */
    quarantine(id: string, reason: string, cause?: unknown): Promise<void>;
    /** Reports a record moved to the quarantine (by this handle, or by the store itself). */
    reportQuarantined(id: string, reason: string, cause?: unknown): void;
    getQuarantined(): Promise<QuarantinedTask[]>;
    /** Moves a quarantined record back and reads it again: `null` when it went back to the quarantine. */
    restoreQuarantined(id: string): Promise<TaskRecord | null>;
    purgeQuarantined(id: string): Promise<void>;
    acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean>;
    renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void>;
    takeExpiredRunLeases(): Promise<RunLease[]>;
    private readAll;
    private read;
}
