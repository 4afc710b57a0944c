import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { registerScheduled } from '../declarations/register.js';
import { errors } from '../errors/index.js';
import { checkKeys } from '../options/keys.js';
import { EventHub, type SchedulerEventType, type SchedulerListener } from '../events/events.js';
import { AsyncExecutor } from '../executors/async.js';
import type { Executor } from '../executors/executor.js';
import { defaultLogger, guardLogger, type Logger } from '../logger/logger.js';
import { MemoryStore } from '../stores/memory.js';
import type { TaskStore } from '../stores/store.js';
import type { HandlerDefinition, ModuleHandler, TaskHandler } from '../tasks/task.js';
import { TriggerRegistry } from '../triggers/registry.js';
import { assemble, type Rooms } from './assembly.js';
import { readSchedulerOptions, type SchedulerOptions, type SchedulerState, type ShutdownOptions } from './scheduler-options.js';
import { SchedulerTasks } from './scheduler-tasks.js';
import type { InstanceInfo } from '../cluster/instance.js';
import type { Task } from './task-handle.js';
import { handlerDefinition } from './task-options.js';

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
export class Scheduler extends SchedulerTasks {
  /** The trigger types this scheduler knows; register custom ones here. */
  readonly triggers = new TriggerRegistry();
  /** The default time zone of triggers. */
  readonly timezone: string;
  readonly logger: Logger;

  /** @internal */
  protected readonly rooms: Rooms;
  /** @internal */
  protected readonly events: EventHub;
  /** The id given in the options, else made when first read (see {@link Scheduler.instanceId}). */
  private ownId: string | undefined;
  private readonly executors = new Map<string, Executor>();
  private readonly handlers = new Map<string, HandlerDefinition>();
  private currentState: SchedulerState = 'stopped';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    super();
    const settings = readSchedulerOptions(options);
    this.logger = guardLogger(options.logger ?? defaultLogger);
    this.events = new EventHub(() => this.logger);
    this.timezone = settings.timezone;
    this.ownId = options.instanceId;
    this.rooms = assemble(settings, {
      logger: this.logger,
      events: this.events,
      triggers: this.triggers,
      executors: this.executors,
      handlers: this.handlers,
      unrefTimer: options.unrefTimer === true,
      instanceId: () => this.instanceId,
      state: () => this.currentState,
      setState: (state) => void (this.currentState = state),
    });
    for (const [alias, store] of Object.entries(options.stores ?? {})) this.rooms.stores.add(alias, store);
    if (!this.rooms.stores.has('default')) this.rooms.stores.add('default', new MemoryStore());
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

  /** @internal */
  protected get startingNow(): Promise<void> | undefined {
    return this.starting;
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
    this.handlers.set(name, handlerDefinition(name, handler as TaskHandler | ModuleHandler));
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
    return this.events.once(type, listener);
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
    if (this.rooms.stores.has(alias)) throw errors.invalidOption(undefined, 'store alias', alias, 'that alias is taken; remove the store first');
    const handle = this.rooms.stores.add(alias, store);
    if (this.currentState !== 'stopped') {
      await this.rooms.startStop.startStore(handle);
      await this.rooms.instances.joined(handle);
    }
    this.events.emit('store:added', { alias });
  }

  /** Removes a store (shutting it down); its tasks stay in it but are no longer scheduled. */
  async removeStore(alias: string): Promise<void> {
    this.rooms.catalog.forgetStore(alias);
    await this.rooms.stores.remove(alias);
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
   *
   * With `observe`, it only opens the stores, to read and change their tasks from a process that
   * runs none (an admin tool, a CLI): it dispatches nothing (not even shutdown tasks), takes no
   * run leases over, is not listed among the instances alive, and cannot be resumed.
   *
   * @example
   * ```ts
   * const admin = new Scheduler({ stores: { default: new RedisStore({ url }) } });
   * await admin.start({ observe: true });
   * await admin.pauseTask('nightly-export'); // the replicas that run it see the change
   * ```
   */
  start(options: { paused?: boolean; observe?: boolean } = {}): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    if (this.currentState !== 'stopped' && this.stopping === undefined) return Promise.resolve();
    try {
      checkKeys('start options', options, ['paused', 'observe']);
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.starting = this.rooms.startStop.start(options.paused === true, this.stopping, options.observe === true).finally(() => {
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
    this.stopping = this.rooms.startStop.shutdown(options, this.starting).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Stops dispatching until {@link Scheduler.resume}; runs in progress go on. */
  pause(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('pause the scheduler');
    if (this.currentState === 'paused') return;
    this.currentState = 'paused';
    this.rooms.dispatcher.sleep();
    this.events.emit('scheduler:paused', {});
  }

  /** Resumes dispatching after {@link Scheduler.pause}; due tasks are dispatched at once. */
  resume(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('resume the scheduler');
    if (this.rooms.startStop.observing) throw errors.observing('resume the scheduler');
    if (this.currentState === 'running') return;
    this.currentState = 'running';
    this.events.emit('scheduler:resumed', {});
    this.rooms.dispatcher.wakeup();
  }

  /**
   * The scheduler instances sharing this instance's stores (or one of them) that are alive now,
   * this one first: each with its host, process, start, the handlers it defines and the runs it
   * holds, read from the stores, so that every instance sees the whole cluster. An instance beats
   * every `leaseDuration` and drops out of the list three beats after its last (at once when it
   * shuts down).
   *
   * @example
   * ```ts
   * for (const instance of await scheduler.getInstances()) console.log(instance.instanceId, instance.hostname, instance.runs.length);
   * ```
   */
  getInstances(options: { store?: string } = {}): Promise<InstanceInfo[]> {
    return this.rooms.instances.list(options.store);
  }

  /** Looks for due tasks now instead of at the next timer (e.g. after changing a store directly). */
  wakeup(): void {
    this.rooms.dispatcher.wakeup();
  }

  private registerExecutor(alias: string, executor: Executor): void {
    this.executors.set(alias, executor);
    executor.start(this.rooms.executorHost, alias);
  }
}
