import type { SchedulerEventMap, SchedulerEventType } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { RunLease } from '../stores/store.js';
import type { StoreHandle } from './store-handle.js';
interface Host {
    readonly logger: Logger;
    emit<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]): void;
}
/**
 * The run leases of one scheduler instance: taken before each run so that `maxInstances` holds
 * across every instance on a store, renewed by a heartbeat while the run goes on, given back
 * when it ends. The same heartbeat collects the expired leases of dead instances and reports
 * their runs as interrupted.
 */
export declare class RunLeases {
    /** This instance's id; read when first needed (see Scheduler.instanceId). */
    private readonly ownerId;
    private readonly duration;
    private readonly host;
    private readonly active;
    private heartbeat;
    private handles;
    /** Stores whose heartbeat failed: one warning per outage, not one per beat. */
    private readonly failing;
    /** Releases waiting to be sent, by store. */
    private readonly releasing;
    private flushing;
    /** Releases sent and not yet answered. */
    private readonly sending;
    constructor(
    /** This instance's id; read when first needed (see Scheduler.instanceId). */
    ownerId: () => string, duration: number, host: Host);
    /** Takes a lease for one run; resolves to its id, or `null` when `maxInstances` runs hold one. */
    acquire(handle: StoreHandle, taskId: string, maxInstances: number, scheduledAt: number): Promise<string | null>;
    /** A run id for a lease taken elsewhere (a batched dispatch) and then {@link RunLeases.adopt}ed. */
    newRunId(): string;
    /** The lease to ask for with a run, for a store that records it along with the dispatch. */
    lease(taskId: string, runId: string, scheduledAt: number): {
        lease: RunLease;
        duration: number;
    };
    /** Starts renewing a lease the store recorded, until it is released. */
    adopt(handle: StoreHandle, taskId: string, runId: string): void;
    /**
     * Gives a run's lease back. Releases that come together (the runs of one batch settling) go to
     * the store in one call, a moment later; the promise settles once that call has.
     */
    release(runId: string): Promise<void>;
    /**
     * Sends the queued releases now; resolves when the stores answered (or failed) — those of
     * releases sent earlier too, so that a store is not shut down under one still in flight.
     */
    flush(): Promise<void>;
    /** Never rejects: a failed release is logged. */
    private send;
    /** Starts beating for these stores, whenever there is something to beat for. */
    start(handles: () => StoreHandle[]): void;
    stop(): void;
    /**
     * The heartbeat runs while this instance has runs to renew, or shares a persistent store whose
     * dead instances' runs need reporting; a scheduler on memory stores alone keeps one timer. It
     * never keeps the process alive by itself.
     */
    private arm;
    /** Renews this instance's leases and reports runs whose instance stopped renewing theirs. */
    beat(handles: Iterable<StoreHandle>): Promise<void>;
}
export {};
