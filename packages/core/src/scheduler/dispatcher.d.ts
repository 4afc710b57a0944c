import type { EventHub } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { TaskRecord } from '../tasks/task.js';
import type { RunLeases } from './run-leases.js';
import { type RunPlan } from './run-plan.js';
import type { Runner } from './runner.js';
import type { StoreHandle } from './store-handle.js';
/** What the dispatcher needs of the scheduler. */
export interface DispatcherContext {
    readonly logger: Logger;
    readonly events: EventHub;
    readonly clock: () => number;
    readonly instanceId: () => string;
    readonly leaseDuration: number;
    readonly batchSize: number;
    readonly storeRetryInterval: number;
    readonly unrefTimer: boolean;
    readonly runner: Runner;
    readonly runLeases: RunLeases;
    /** Whether the scheduler dispatches (`running`), holds (`paused`) or has stopped. */
    readonly state: () => 'running' | 'paused' | 'stopped';
    /** The stores to dispatch from: those started. */
    readonly stores: () => StoreHandle[];
}
/** What became of a task dispatched now for `runTask`. */
export type DirectOutcome = {
    readonly released: false;
} | {
    readonly released: true;
    readonly plan: RunPlan;
    readonly removed: boolean;
    readonly done?: Promise<void>;
};
/**
 * The dispatcher: sleeps on one timer until the earliest next run time across the stores, then
 * claims the due tasks, plans their runs (misfires, coalescing, jitter), commits each batch's new
 * schedules with its runs' leases in one store step, and starts the runs. A fire is committed
 * before it runs, so it never runs twice; a claim that is never committed expires and another
 * instance dispatches it. `runTask` takes the same path for one task.
 */
export declare class Dispatcher {
    private readonly context;
    private readonly timer;
    /** Whether a dispatch round is under way; set and cleared synchronously, so no wake-up is lost. */
    private processing;
    /** The latest dispatch round, for shutdown to wait on. */
    private round;
    private rerun;
    private readonly failingStores;
    /** Fires refused a run lease at dispatch, waiting for a slot (see waitForRunSlot). */
    private readonly waitingForSlot;
    constructor(context: DispatcherContext);
    /** Looks for due tasks now, unless a round is under way (which then runs once more). */
    wakeup(): void;
    /** Wakes the loop earlier if a task now runs before the timer would have fired. */
    notifyRunTime(time: number | null): void;
    /** Stops the timer (pause, shutdown); a round under way finishes. */
    sleep(): void;
    /** Resolves once the fires waiting for a run slot have given up (within {@link SLOT_RETRY}). */
    slotWaitsSettled(): Promise<void>;
    /** Resolves once the round under way has ended. */
    roundSettled(): Promise<void>;
    /**
     * Runs a task now, for `runTask`. When fire times are due, it is claimed and dispatched as the
     * loop would (its schedule moves on; a finished one is removed with `removeWhenFinished`, else
     * left paused); when none is due, `force` runs it once now without changing its schedule.
     * Resolves when the run has ended (an inline run) or has been handed to its executor.
     */
    runNow(task: TaskRecord, handle: StoreHandle, options: {
        force: boolean;
        removeWhenFinished: boolean;
    }): Promise<'extra-run' | 'dispatched' | 'removed' | 'not-dispatched'>;
    /**
     * Dispatches one claimed task now, for `runTask`: the same plan and store step as the loop's,
     * with a run at `forceAt` when no fire time is due. Errors are thrown to the caller: a trigger
     * that fails (the claim is handed back unchanged), a run that cannot start here, or one
     * refused under `maxInstances` (the schedule has moved on by then, as the loop's would).
     */
    private dispatchNow;
    private processLoop;
    /** Dispatches every due task of every store; returns when to look again. */
    private processDueTasks;
    /**
     * Dispatches a claimed batch. The new schedules are committed before anything runs, so a fire
     * is never run twice: if this instance dies before the commit, the claims expire and another
     * instance dispatches the fires. The run leases are recorded in the same store step as the
     * commit (see {@link StoreHandle.dispatch}), so if this instance dies after it, its runs are
     * reported as interrupted once their leases expire, instead of vanishing.
     */
    private dispatchBatch;
    /**
     * Plans a claimed task's dispatch: its new schedule, and the run (with its lease) when a fire
     * time is due or `forceAt` asks for one. Throws when its trigger fails. A run this process
     * cannot start is reported and left out; the schedule still moves on.
     */
    private plan;
    /** The release that hands a claimed task back as it was. */
    private unchangedRelease;
    /**
     * A fire whose run lease the store refused at dispatch (`maxInstances` runs hold leases: live
     * ones, or those of a replica that died, which lapse within one lease duration) is committed to
     * this instance, which waits for a slot rather than skipping the fire at once: it asks again
     * every {@link SLOT_RETRY} ms until the fire's misfire grace time is spent (one lease duration at
     * most, by when a dead replica's leases have lapsed). Only then is it reported as refused.
     */
    private waitForRunSlot;
}
