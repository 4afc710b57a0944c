import { type SchedulerEventType, type SchedulerListener } from '../events/events.js';
import type { Executor } from '../executors/executor.js';
import { type Logger } from '../logger/logger.js';
import type { QuarantinedTask, TaskStore } from '../stores/store.js';
import { type AddTaskOptions, type ModuleHandler, type TaskChanges, type TaskHandler } from '../tasks/task.js';
import { TriggerRegistry } from '../triggers/registry.js';
import type { TriggerInput } from '../triggers/trigger.js';
import { type TaskInfo, type TaskInfoQuery } from './inspection.js';
import { Task, type TaskOperations } from './task-handle.js';
import { type SchedulerOptions, type SchedulerState, type ShutdownOptions } from './scheduler-options.js';
export type { SchedulerOptions, SchedulerState, ShutdownOptions } from './scheduler-options.js';
/**
 * The scheduler: keeps tasks in stores, wakes when the earliest is due, and hands due runs to
 * executors — with Asyncz's semantics for misfires, coalescing, max instances and jitter.
 *
 * It runs on one timer, whatever the number of tasks: it sleeps until the earliest next run
 * time across its stores and wakes early when a task is added or moved earlier.
 *
 * @example
 * ```ts
 * import { Scheduler } from '@horae/core';
 *
 * const scheduler = new Scheduler({ timezone: 'Europe/Berlin' });
 * scheduler.define('send-digest', async ({ list }: { list: string }, ctx) => {
 *   ctx.logger.info(`sending the ${list} digest for ${ctx.scheduledAt.toISOString()}`);
 * });
 * await scheduler.addTask({
 *   id: 'daily-digest',
 *   handler: 'send-digest',
 *   args: { list: 'news' },
 *   trigger: { type: 'cron', expression: '0 8 * * *' },
 * });
 * await scheduler.start();
 * process.on('SIGTERM', () => void scheduler.shutdown({ timeout: 10_000 }));
 * ```
 * @public
 */
export declare class Scheduler implements TaskOperations {
    /** The trigger types this scheduler knows; register custom ones here. */
    readonly triggers: TriggerRegistry;
    /** The default time zone of triggers. */
    readonly timezone: string;
    readonly logger: Logger;
    /** The id given in the options, else made when first read (see {@link Scheduler.instanceId}). */
    private ownId;
    private readonly stores;
    private readonly executors;
    private readonly handlers;
    private readonly events;
    private readonly executorHost;
    private readonly runLeases;
    private readonly runner;
    private readonly dispatcher;
    private readonly options;
    private readonly catalog;
    private readonly startStop;
    private readonly quarantine;
    private currentState;
    private starting;
    private stopping;
    constructor(options?: SchedulerOptions);
    /**
     * This instance's id, the owner of its claims and run leases: the `instanceId` option, else the
     * host name, process id and a random suffix (a restarted container has the host name and pid
     * of the one it replaces). Made when first read, not at construction: Cloudflare Workers refuse
     * random values in a module's global scope, where an app makes its scheduler.
     */
    get instanceId(): string;
    /** `stopped`, `running` or `paused`. */
    get state(): SchedulerState;
    /**
     * Registers a handler under a name, for tasks to refer to. Persistent stores keep only this
     * name, so every process that runs the tasks must define the same names.
     *
     * @example
     * ```ts
     * scheduler.define('cleanup', async ({ olderThanDays }: { olderThanDays: number }) => purge(olderThanDays));
     * ```
     */
    define<TArgs = unknown>(name: string, handler: TaskHandler<TArgs> | ModuleHandler): this;
    /**
     * Defines the `@Scheduled` methods of an object as handlers (named `Class.method`, or their
     * `id`) and adds their tasks with `replaceExisting`: before `start()` they wait and reach their
     * stores at start, so N replicas registering the same class leave one task each, whose
     * schedule is kept when its definition is unchanged. Every declaration is checked before
     * anything is added; an id declared twice is a `CONFLICTING_ID` error; registering the same
     * instance again does nothing. Resolves to the tasks added.
     *
     * @example
     * ```ts
     * class Billing {
     *   @Scheduled({ cron: '0 2 * * *', id: 'billing:invoices' })
     *   async invoices(_args: unknown, ctx: RunContext) { await sendInvoices(ctx.signal); }
     * }
     * await scheduler.register(new Billing());
     * await scheduler.start();
     * ```
     */
    register(instance: object): Promise<Task[]>;
    /**
     * Listens for an event (or `'*'` for all); returns a function that stops listening. A listener
     * that throws or rejects is logged and never disturbs the scheduler.
     *
     * @example
     * ```ts
     * const stop = scheduler.on('task:error', ({ taskId, error }) => alerts.notify(taskId, error));
     * ```
     */
    on<TType extends SchedulerEventType | '*'>(type: TType, listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>): () => void;
    /** Listens for the next event of a type only. */
    once<TType extends SchedulerEventType>(type: TType, listener: SchedulerListener<TType>): () => void;
    off<TType extends SchedulerEventType | '*'>(type: TType, listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>): void;
    /** Adds a store under an alias; started at once when the scheduler runs. */
    addStore(alias: string, store: TaskStore): Promise<void>;
    /** Removes a store (shutting it down); its tasks stay in it but are no longer scheduled. */
    removeStore(alias: string): Promise<void>;
    /** Adds an executor under an alias. */
    addExecutor(alias: string, executor: Executor): void;
    /** Removes an executor, waiting for its running handlers. */
    removeExecutor(alias: string): Promise<void>;
    /**
     * Starts the stores and executors, adds the tasks added so far, and begins dispatching (or,
     * with `paused`, waits for {@link Scheduler.resume}). Calling it again while running does nothing.
     */
    start(options?: {
        paused?: boolean;
    }): Promise<void>;
    /**
     * Stops dispatching, fires the shutdown-trigger tasks, waits for running handlers (up to
     * `timeout`, then aborts them through `ctx.signal`) and shuts the stores down. Calling it
     * again, or on a stopped scheduler, does nothing.
     */
    shutdown(options?: ShutdownOptions): Promise<void>;
    /** Stops dispatching until {@link Scheduler.resume}; runs in progress go on. */
    pause(): void;
    /** Resumes dispatching after {@link Scheduler.pause}; due tasks are dispatched at once. */
    resume(): void;
    /** Looks for due tasks now instead of at the next timer (e.g. after changing a store directly). */
    wakeup(): void;
    /**
     * Adds a task. Before `start()` it waits, pending, and reaches its store at start.
     *
     * @example
     * ```ts
     * await scheduler.addTask({ id: 'reindex', handler: 'reindex', trigger: { type: 'interval', hours: 1 }, replaceExisting: true });
     * ```
     */
    addTask<TArgs = unknown>(options: AddTaskOptions<TArgs>): Promise<Task>;
    /**
     * Adds many tasks at once: every task is checked before any is added, and each store gets
     * them in one step where it can (one round trip for a Redis store). Each task is added as
     * {@link Scheduler.addTask} would add it, `replaceExisting` included. Ids that exist already
     * in a store, on tasks without `replaceExisting`, reject the call with a `CONFLICTING_ID`
     * error naming them, after the other tasks were added.
     *
     * @example
     * ```ts
     * await scheduler.addTasks(users.map((user) => ({
     *   id: `reminder:${user.id}`,
     *   handler: 'send-reminder',
     *   args: { userId: user.id },
     *   trigger: { type: 'date', runAt: user.remindAt },
     * })));
     * ```
     */
    addTasks(list: readonly AddTaskOptions[]): Promise<Task[]>;
    /**
     * Changes a task. A new trigger recomputes the next run time (a paused task stays paused);
     * the id cannot change.
     *
     * @example
     * ```ts
     * await scheduler.updateTask('digest', { args: { list: 'weekly' }, maxInstances: 2 });
     * ```
     */
    updateTask(id: string, changes: TaskChanges, options?: {
        store?: string;
    }): Promise<Task>;
    /** Gives a task a new trigger and computes its next run time from it (resuming it if paused). */
    rescheduleTask(id: string, trigger: TriggerInput, options?: {
        store?: string;
    }): Promise<Task>;
    /** Pauses a task: it keeps its definition but has no next run time until resumed. */
    pauseTask(id: string, options?: {
        store?: string;
    }): Promise<Task>;
    /** Resumes a paused task from now; removes it (resolving `null`) if its schedule has finished. */
    resumeTask(id: string, options?: {
        store?: string;
    }): Promise<Task | null>;
    /**
     * Runs a task now. When run times are due they are dispatched as the scheduler would
     * (misfires, coalescing) and the schedule moves on; when none is due, `force` (default
     * `true`) runs it once now without changing its schedule. A schedule that has no more fires
     * afterwards is removed (`removeFinished`, default `true`) or left paused.
     */
    runTask(id: string, options?: {
        store?: string;
        force?: boolean;
        removeFinished?: boolean;
    }): Promise<Task | null>;
    /**
     * Runs a task for fire times its caller found due, as a dispatch runs them (the handler once per
     * time, in order, as one submission; events; `maxInstances`), without claiming the task or
     * moving its schedule: to coalesce, give only the latest.
     * For hosts that keep the clock themselves, such as a Cloudflare Workers cron (`@horae/hono`'s
     * `scheduled`): there, running each fire once is the caller's job. Resolves when the run has
     * ended (its outcome is in the `task:executed` / `task:error` events); a run refused under
     * `maxInstances` is reported as `task:max-instances`.
     *
     * @example
     * ```ts
     * await scheduler.runFires('digest', [new Date('2026-01-05T08:00:00Z')]);
     * ```
     */
    runFires(id: string, fireTimes: readonly (Date | number)[], options?: {
        store?: string;
    }): Promise<void>;
    /** Deletes a task. */
    deleteTask(id: string, options?: {
        store?: string;
    }): Promise<void>;
    /** Deletes every task, of one store or of all. */
    removeAllTasks(store?: string): Promise<void>;
    /** The task with this id, or `null`. */
    getTask(id: string, options?: {
        store?: string;
    }): Promise<Task | null>;
    /** Every task (of one store, or of all), by next run time; paused ones last. */
    getTasks(store?: string): Promise<Task[]>;
    /** An immutable snapshot of a task with its state, or `null`. */
    getTaskInfo(id: string, options?: {
        store?: string;
    }): Promise<TaskInfo | null>;
    /**
     * Snapshots of the tasks that match a query, sorted.
     *
     * @example
     * ```ts
     * const failingSoon = await scheduler.getTaskInfos({ trigger: 'cron', state: 'scheduled', sortBy: 'nextRunTime' });
     * ```
     */
    getTaskInfos(query?: TaskInfoQuery): Promise<TaskInfo[]>;
    /**
     * The records that could not be read or run (corrupt, undecryptable, of an unknown handler),
     * kept aside with the reason, of one store or of all.
     *
     * @example
     * ```ts
     * for (const held of await scheduler.getQuarantinedTasks()) console.warn(held.id, held.reason);
     * ```
     */
    getQuarantinedTasks(store?: string): Promise<(QuarantinedTask & {
        store: string;
    })[]>;
    /**
     * Puts a quarantined record back to be scheduled (after the cause was fixed: the handler
     * defined, the key set). It is read again at once; if it still cannot be read, it goes back to
     * the quarantine and this resolves to `null`.
     */
    restoreQuarantinedTask(id: string, options?: {
        store?: string;
    }): Promise<Task | null>;
    /** Deletes a quarantined record for good. */
    purgeQuarantinedTask(id: string, options?: {
        store?: string;
    }): Promise<void>;
    private task;
    /** Stopped and not starting: tasks added now wait for `start()`. */
    private isStopped;
    private registerExecutor;
}
