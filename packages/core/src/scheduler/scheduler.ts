import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { registerScheduled } from '../declarations/register.js';
import { errors } from '../errors/index.js';
import { EventHub, type SchedulerEvent, type SchedulerEventType, type SchedulerListener } from '../events/events.js';
import { AsyncExecutor } from '../executors/async.js';
import type { Executor, ExecutorHost } from '../executors/executor.js';
import { defaultLogger, guardLogger, type Logger } from '../logger/logger.js';
import { MemoryStore } from '../stores/memory.js';
import type { QuarantinedTask, TaskStore } from '../stores/store.js';
import { reviseRecord, type AddTaskOptions, type HandlerDefinition, type ModuleHandler, type TaskChanges, type TaskHandler } from '../tasks/task.js';
import { toEpoch } from '../time/time.js';
import { TriggerRegistry } from '../triggers/registry.js';
import type { TriggerInput } from '../triggers/trigger.js';
import { assemble } from './assembly.js';
import type { Located, TaskCatalog } from './catalog.js';
import type { Dispatcher } from './dispatcher.js';
import { queryInfos, type TaskInfo, type TaskInfoQuery } from './inspection.js';
import type { Quarantine } from './quarantine.js';
import type { Runner } from './runner.js';
import { readSchedulerOptions, type SchedulerOptions, type SchedulerState, type ShutdownOptions } from './scheduler-options.js';
import type { StartStop } from './start-stop.js';
import type { StoreSet } from './stores.js';
import { Task, type TaskOperations } from './task-handle.js';
import type { TaskOptions } from './task-options.js';

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
export class Scheduler implements TaskOperations {
  /** The trigger types this scheduler knows; register custom ones here. */
  readonly triggers = new TriggerRegistry();
  /** The default time zone of triggers. */
  readonly timezone: string;
  readonly logger: Logger;

  /** The id given in the options, else made when first read (see {@link Scheduler.instanceId}). */
  private ownId: string | undefined;
  private readonly stores: StoreSet;
  private readonly executors = new Map<string, Executor>();
  private readonly handlers = new Map<string, HandlerDefinition>();
  private readonly events: EventHub;
  private readonly executorHost: ExecutorHost;
  private readonly runner: Runner;
  private readonly dispatcher: Dispatcher;
  private readonly options: TaskOptions;
  private readonly catalog: TaskCatalog;
  private readonly startStop: StartStop;
  private readonly quarantine: Quarantine;
  private currentState: SchedulerState = 'stopped';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    const settings = readSchedulerOptions(options);
    this.logger = guardLogger(options.logger ?? defaultLogger);
    this.events = new EventHub(() => this.logger);
    this.timezone = settings.timezone;
    this.ownId = options.instanceId;
    ({
      executorHost: this.executorHost,
      runner: this.runner,
      stores: this.stores,
      dispatcher: this.dispatcher,
      options: this.options,
      catalog: this.catalog,
      startStop: this.startStop,
      quarantine: this.quarantine,
    } = assemble(settings, {
      logger: this.logger,
      events: this.events,
      triggers: this.triggers,
      executors: this.executors,
      handlers: this.handlers,
      unrefTimer: options.unrefTimer === true,
      instanceId: () => this.instanceId,
      state: () => this.currentState,
      setState: (state) => void (this.currentState = state),
    }));
    for (const [alias, store] of Object.entries(options.stores ?? {})) this.stores.add(alias, store);
    if (!this.stores.has('default')) this.stores.add('default', new MemoryStore());
    for (const [alias, executor] of Object.entries(options.executors ?? {})) this.registerExecutor(alias, executor);
    if (!this.executors.has('default')) this.registerExecutor('default', new AsyncExecutor());
  }

  /**
   * This instance's id, the owner of its claims and run leases: the `instanceId` option, else the
   * host name, process id and a random suffix (a restarted container has the host name and pid
   * of the one it replaces). Made when first read, not at construction: Cloudflare Workers refuse
   * random values in a module's global scope, where an app makes its scheduler.
   */
  get instanceId(): string {
    this.ownId ??= `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    return this.ownId;
  }

  /** `stopped`, `running` or `paused`. */
  get state(): SchedulerState {
    return this.currentState;
  }

  // ---------------------------------------------------------------- handlers and events

  /**
   * Registers a handler under a name, for tasks to refer to. Persistent stores keep only this
   * name, so every process that runs the tasks must define the same names.
   *
   * @example
   * ```ts
   * scheduler.define('cleanup', async ({ olderThanDays }: { olderThanDays: number }) => purge(olderThanDays));
   * ```
   */
  define<TArgs = unknown>(name: string, handler: TaskHandler<TArgs> | ModuleHandler): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw errors.invalidOption(undefined, 'handler name', name, 'give a non-empty string');
    }
    const isModule = typeof handler === 'object' && handler !== null && (handler as { kind?: unknown }).kind === 'module';
    if (typeof handler !== 'function' && !isModule) {
      throw errors.invalidOption(undefined, `handler for "${name}"`, handler, 'give a function or moduleHandler(url, exportName)');
    }
    this.handlers.set(name, handler as HandlerDefinition);
    return this;
  }

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
  register(instance: object): Promise<Task[]> {
    return registerScheduled(this, instance);
  }

  /**
   * Listens for an event (or `'*'` for all); returns a function that stops listening. A listener
   * that throws or rejects is logged and never disturbs the scheduler.
   *
   * @example
   * ```ts
   * const stop = scheduler.on('task:error', ({ taskId, error }) => alerts.notify(taskId, error));
   * ```
   */
  on<TType extends SchedulerEventType | '*'>(
    type: TType,
    listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>,
  ): () => void {
    return this.events.on(type, listener);
  }

  /** Listens for the next event of a type only. */
  once<TType extends SchedulerEventType>(type: TType, listener: SchedulerListener<TType>): () => void {
    const stop = this.events.on(type, (event) => {
      stop();
      return listener(event as SchedulerEvent<TType>);
    });
    return stop;
  }

  off<TType extends SchedulerEventType | '*'>(
    type: TType,
    listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>,
  ): void {
    this.events.off(type, listener);
  }

  // ---------------------------------------------------------------- stores and executors

  /** Adds a store under an alias; started at once when the scheduler runs. */
  async addStore(alias: string, store: TaskStore): Promise<void> {
    if (this.stores.has(alias)) throw errors.invalidOption(undefined, 'store alias', alias, 'that alias is taken; remove the store first');
    const handle = this.stores.add(alias, store);
    if (this.currentState !== 'stopped') await this.startStop.startStore(handle);
    this.events.emit('store:added', { alias });
  }

  /** Removes a store (shutting it down); its tasks stay in it but are no longer scheduled. */
  async removeStore(alias: string): Promise<void> {
    this.catalog.forgetStore(alias);
    await this.stores.remove(alias);
    this.events.emit('store:removed', { alias });
  }

  /** Adds an executor under an alias. */
  addExecutor(alias: string, executor: Executor): void {
    if (this.executors.has(alias)) throw errors.invalidOption(undefined, 'executor alias', alias, 'that alias is taken; remove the executor first');
    this.registerExecutor(alias, executor);
    this.events.emit('executor:added', { alias });
  }

  /** Removes an executor, waiting for its running handlers. */
  async removeExecutor(alias: string): Promise<void> {
    const executor = this.executors.get(alias);
    if (executor === undefined) throw errors.unknownExecutor(undefined, alias, [...this.executors.keys()]);
    this.executors.delete(alias);
    await executor.shutdown({ wait: true });
    this.events.emit('executor:removed', { alias });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts the stores and executors, adds the tasks added so far, and begins dispatching (or,
   * with `paused`, waits for {@link Scheduler.resume}). Calling it again while running does nothing.
   */
  start(options: { paused?: boolean } = {}): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    if (this.currentState !== 'stopped' && this.stopping === undefined) return Promise.resolve();
    this.starting = this.startStop.start(options.paused === true, this.stopping).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * Stops dispatching, fires the shutdown-trigger tasks, waits for running handlers (up to
   * `timeout`, then aborts them through `ctx.signal`) and shuts the stores down. Calling it
   * again, or on a stopped scheduler, does nothing.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.currentState === 'stopped' && this.starting === undefined) return Promise.resolve();
    this.stopping = this.startStop.shutdown(options, this.starting).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Stops dispatching until {@link Scheduler.resume}; runs in progress go on. */
  pause(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('pause the scheduler');
    if (this.currentState === 'paused') return;
    this.currentState = 'paused';
    this.dispatcher.sleep();
    this.events.emit('scheduler:paused', {});
  }

  /** Resumes dispatching after {@link Scheduler.pause}; due tasks are dispatched at once. */
  resume(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('resume the scheduler');
    if (this.currentState === 'running') return;
    this.currentState = 'running';
    this.events.emit('scheduler:resumed', {});
    this.dispatcher.wakeup();
  }

  /** Looks for due tasks now instead of at the next timer (e.g. after changing a store directly). */
  wakeup(): void {
    this.dispatcher.wakeup();
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Adds a task. Before `start()` it waits, pending, and reaches its store at start.
   *
   * @example
   * ```ts
   * await scheduler.addTask({ id: 'reindex', handler: 'reindex', trigger: { type: 'interval', hours: 1 }, replaceExisting: true });
   * ```
   */
  async addTask<TArgs = unknown>(options: AddTaskOptions<TArgs>): Promise<Task> {
    const addition = this.options.addition(options as AddTaskOptions);
    if (this.isStopped()) return this.task(await this.catalog.stage(addition));
    if (this.starting !== undefined) await this.starting;
    return new Task(this, await this.catalog.commit(addition), addition.store, false);
  }

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
  async addTasks(list: readonly AddTaskOptions[]): Promise<Task[]> {
    const given: unknown = list;
    if (!Array.isArray(given)) throw errors.invalidOption(undefined, 'tasks', given, 'give an array of task options');
    const additions = list.map((options) => this.options.addition(options));
    const seen = new Set<string>();
    for (const { record, store } of additions) {
      const key = `${store}\u0000${record.id}`;
      if (seen.has(key)) throw errors.invalidOption(record.id, 'task id', record.id, `it is given twice for store "${store}"; give each id once per call`);
      seen.add(key);
    }
    if (this.isStopped()) {
      for (const { record, store, replaceExisting } of additions) {
        if (this.catalog.isStaged(store, record.id) && !replaceExisting) throw errors.conflictingId(record.id, store);
      }
      const staged: Task[] = [];
      for (const addition of additions) staged.push(this.task(await this.catalog.stage(addition)));
      return staged;
    }
    if (this.starting !== undefined) await this.starting;
    const added = await this.catalog.commitAll(additions);
    return additions.map((addition) => new Task(this, added.get(addition)!, addition.store, false));
  }

  /**
   * Changes a task. A new trigger recomputes the next run time (a paused task stays paused);
   * the id cannot change.
   *
   * @example
   * ```ts
   * await scheduler.updateTask('digest', { args: { list: 'weekly' }, maxInstances: 2 });
   * ```
   */
  async updateTask(id: string, changes: TaskChanges, options: { store?: string } = {}): Promise<Task> {
    this.options.checkChanges(id, changes);
    const located = await this.catalog.locate(id, options.store);
    const { record, schedule } = this.options.changed(located.record, located.store, changes);
    return this.task(await this.catalog.replace(located, record, schedule));
  }

  /** Gives a task a new trigger and computes its next run time from it (resuming it if paused). */
  async rescheduleTask(id: string, trigger: TriggerInput, options: { store?: string } = {}): Promise<Task> {
    const located = await this.catalog.locate(id, options.store);
    return this.task(await this.catalog.replace(located, this.options.rescheduled(located.record, located.store, trigger), 'from-trigger'));
  }

  /** Pauses a task: it keeps its definition but has no next run time until resumed. */
  async pauseTask(id: string, options: { store?: string } = {}): Promise<Task> {
    const located = await this.catalog.locate(id, options.store);
    return this.task(await this.catalog.replace(located, reviseRecord(located.record, { nextRunTime: null }), 'given'));
  }

  /** Resumes a paused task from now; removes it (resolving `null`) if its schedule has finished. */
  async resumeTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.catalog.locate(id, options.store);
    const nextRunTime = this.options.firstRunTime(located.record);
    if (nextRunTime === null && located.record.trigger.firesOnShutdown !== true) {
      await this.deleteTask(id, { store: located.store });
      return null;
    }
    return this.task(await this.catalog.replace(located, reviseRecord(located.record, { nextRunTime }), 'from-trigger'));
  }

  /**
   * Runs a task now. When run times are due they are dispatched as the scheduler would
   * (misfires, coalescing) and the schedule moves on; when none is due, `force` (default
   * `true`) runs it once now without changing its schedule. A schedule that has no more fires
   * afterwards is removed (`removeFinished`, default `true`) or left paused.
   */
  async runTask(id: string, options: { store?: string; force?: boolean; removeFinished?: boolean } = {}): Promise<Task | null> {
    if (this.currentState === 'stopped') throw errors.notRunning(`run task "${id}"`);
    const { record, store, handle } = await this.catalog.locate(id, options.store);
    const outcome = await this.dispatcher.runNow(record, handle, { force: options.force !== false, removeWhenFinished: options.removeFinished !== false });
    if (outcome === 'extra-run') return new Task(this, record, store, false);
    return outcome === 'removed' ? null : this.getTask(id, { store });
  }


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
  async runFires(id: string, fireTimes: readonly (Date | number)[], options: { store?: string } = {}): Promise<void> {
    if (this.currentState === 'stopped') throw errors.notRunning(`run task "${id}"`);
    const given: unknown = fireTimes;
    const times: unknown[] = Array.isArray(given) ? given.map((time: unknown) => (time instanceof Date ? time.getTime() : time)) : [];
    if (times.length === 0 || times.some((time) => typeof time !== 'number' || !Number.isFinite(time))) {
      throw errors.invalidOption(id, 'fire times', fireTimes, 'give a non-empty list of Dates or epoch milliseconds');
    }
    const { record, handle } = await this.catalog.locate(id, options.store);
    const run = await this.runner.prepare(record, handle, times as number[], false);
    if (run === undefined) return;
    // Resolves once the run has ended and its lease is released, so that the caller's next run
    // of the task is not refused under maxInstances by the run that just ended.
    await new Promise<void>((settled) => void this.runner.start(record, handle, times as number[], run, settled));
  }

  /** Deletes a task. */
  async deleteTask(id: string, options: { store?: string } = {}): Promise<void> {
    const located = await this.catalog.locate(id, options.store);
    await this.catalog.delete(located);
    this.events.emit('task:removed', { taskId: id, store: located.store });
  }

  /** Deletes every task, of one store or of all. */
  async removeAllTasks(store?: string): Promise<void> {
    if (store !== undefined) this.stores.get(undefined, store);
    await this.catalog.removeAll(store === undefined ? this.stores.aliases() : [store]);
    this.events.emit('tasks:removed-all', { store: store ?? null });
  }

  /** The task with this id, or `null`. */
  async getTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.catalog.find(id, options.store);
    return located === undefined ? null : this.task(located);
  }

  /** Every task (of one store, or of all), by next run time; paused ones last. */
  async getTasks(store?: string): Promise<Task[]> {
    return (await this.catalog.collect(store)).map((located) => this.task(located));
  }

  /** An immutable snapshot of a task with its state, or `null`. */
  async getTaskInfo(id: string, options: { store?: string } = {}): Promise<TaskInfo | null> {
    const located = await this.catalog.find(id, options.store);
    return located === undefined ? null : this.catalog.info(located);
  }

  /**
   * Snapshots of the tasks that match a query, sorted.
   *
   * @example
   * ```ts
   * const failingSoon = await scheduler.getTaskInfos({ trigger: 'cron', state: 'scheduled', sortBy: 'nextRunTime' });
   * ```
   */
  async getTaskInfos(query: TaskInfoQuery = {}): Promise<TaskInfo[]> {
    const dueBefore = query.dueBefore === undefined ? undefined : toEpoch(query.dueBefore, this.timezone);
    if (query.dueBefore !== undefined && dueBefore === undefined) {
      throw errors.invalidOption(undefined, 'dueBefore', query.dueBefore, 'give a Date, epoch milliseconds or an ISO string');
    }
    const found = await this.catalog.collect(query.store);
    const triggers = new Map(found.map((located) => [located.record.id + '\u0000' + located.store, located.record.trigger]));
    return queryInfos(
      found.map((located) => this.catalog.info(located)),
      query,
      (info) => triggers.get(info.id + '\u0000' + info.store)?.constructor.name ?? '',
      dueBefore,
    );
  }

  // ---------------------------------------------------------------- quarantine

  /**
   * The records that could not be read or run (corrupt, undecryptable, of an unknown handler),
   * kept aside with the reason, of one store or of all.
   *
   * @example
   * ```ts
   * for (const held of await scheduler.getQuarantinedTasks()) console.warn(held.id, held.reason);
   * ```
   */
  getQuarantinedTasks(store?: string): Promise<(QuarantinedTask & { store: string })[]> {
    return this.quarantine.list(store);
  }

  /**
   * Puts a quarantined record back to be scheduled (after the cause was fixed: the handler
   * defined, the key set). It is read again at once; if it still cannot be read, it goes back to
   * the quarantine and this resolves to `null`.
   */
  async restoreQuarantinedTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const restored = await this.quarantine.restore(id, options.store);
    return restored === null ? null : new Task(this, restored.record, restored.store, false);
  }

  /** Deletes a quarantined record for good. */
  purgeQuarantinedTask(id: string, options: { store?: string } = {}): Promise<void> {
    return this.quarantine.purge(id, options.store);
  }

  // ---------------------------------------------------------------- internals

  private task(located: Located): Task {
    return new Task(this, located.record, located.store, located.pending);
  }

  /** Stopped and not starting: tasks added now wait for `start()`. */
  private isStopped(): boolean {
    return this.currentState === 'stopped' && this.starting === undefined;
  }

  private registerExecutor(alias: string, executor: Executor): void {
    this.executors.set(alias, executor);
    executor.start(this.executorHost, alias);
  }
}
