import type { EventHub } from '../events/events.js';
import type { Executor, ExecutorHost } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import type { TaskCatalog } from './catalog.js';
import type { Dispatcher } from './dispatcher.js';
import type { RunLeases } from './run-leases.js';
import type { Runner } from './runner.js';
import type { SchedulerState, ShutdownOptions } from './scheduler-options.js';
import type { StoreHandle } from './store-handle.js';
import type { StoreSet } from './stores.js';
/** What starting and stopping act on. */
export interface StartStopContext {
    readonly logger: Logger;
    readonly events: EventHub;
    readonly clock: () => number;
    readonly executors: ReadonlyMap<string, Executor>;
    readonly executorHost: ExecutorHost;
    readonly stores: StoreSet;
    readonly runLeases: RunLeases;
    readonly runner: Runner;
    readonly dispatcher: Dispatcher;
    readonly catalog: TaskCatalog;
    readonly instanceId: () => string;
    readonly setState: (state: SchedulerState) => void;
}
/**
 * Starting and stopping the scheduler, each step in its order: at start the executors, the
 * stores, the staged tasks, then dispatching; at shutdown dispatching stops, shutdown-trigger
 * tasks fire, running handlers get one deadline for the whole shutdown, run leases are given
 * back, and the stores close last.
 */
export declare class StartStop {
    private readonly context;
    constructor(context: StartStopContext);
    startStore(handle: StoreHandle): Promise<void>;
    /** Starts everything; `stopping`, a shutdown under way, is waited for first. */
    start(paused: boolean, stopping: Promise<void> | undefined): Promise<void>;
    /** Shuts everything down; `starting`, a start under way, is waited for first. */
    shutdown({ wait, timeout }: ShutdownOptions, starting: Promise<void> | undefined): Promise<void>;
    private shutdownExecutors;
    private fireShutdownTasks;
}
