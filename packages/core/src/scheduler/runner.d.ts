import type { EventHub } from '../events/events.js';
import type { Executor } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import type { HandlerDefinition, TaskRecord } from '../tasks/task.js';
import type { RunLeases } from './run-leases.js';
import type { StoreHandle } from './store-handle.js';
/** A run ready to start: its executor, handler and run lease. */
export interface PreparedRun {
    executor: Executor;
    handler: HandlerDefinition;
    runId: string;
}
/** What the runner needs of the scheduler. */
export interface RunnerContext {
    readonly logger: Logger;
    readonly events: EventHub;
    readonly executors: ReadonlyMap<string, Executor>;
    readonly handlers: ReadonlyMap<string, HandlerDefinition>;
    readonly runLeases: RunLeases;
}
/**
 * Hands runs to executors: finds a run's executor and handler, takes its run lease (so that
 * `maxInstances` holds across every instance on a store), starts it, and reports what could not
 * run. Every fire time a run stands for is named in its events, coalesced ones included.
 */
export declare class Runner {
    private readonly context;
    constructor(context: RunnerContext);
    /** Why this instance cannot run a task (its handler or executor is unknown here), if it cannot. */
    cannotRunHere(task: TaskRecord): string | undefined;
    /**
     * What a run needs from this process: its executor and handler, and room under `maxInstances`
     * here (the local count answers without a round trip when this instance alone is at the limit).
     * Throws why it cannot run.
     */
    resolve(task: TaskRecord): Omit<PreparedRun, 'runId'>;
    /**
     * Gets a run ready: finds the executor and handler and takes a run lease. A refusal is
     * reported (and, with `rethrow`, thrown) and yields `undefined`.
     */
    prepare(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded?: readonly number[]): Promise<PreparedRun | undefined>;
    /**
     * Hands a prepared run to the executor; resolves to its promise when it has one (inline's).
     * `settled`, if given, is called once the run has ended and its run lease is released.
     * `folded`: the fire times a coalesced run stands for besides its own, listed in its events.
     */
    start(task: TaskRecord, handle: StoreHandle, runTimes: number[], run: PreparedRun, settled?: () => void, folded?: readonly number[]): Promise<void> | undefined;
    /** Prepares and starts runs at once, for runs that commit no schedule change first. */
    submit(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded?: readonly number[]): Promise<{
        done?: Promise<void>;
    }>;
    /** Reports runs that could not start: over `maxInstances`, or failing to get ready. */
    reportRefused(task: TaskRecord, store: string, runTimes: readonly number[], error: unknown): void;
    /** Reports fire times that came later than the task's misfire grace time, and were skipped. */
    reportMissed(task: TaskRecord, store: string, missed: number[], count: number): void;
}
