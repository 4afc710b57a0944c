import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errors, isHoraeError, show } from '../errors/index.js';
import { EventHub, type SchedulerEvent, type SchedulerEventType, type SchedulerListener } from '../events/events.js';
import { AsyncExecutor } from '../executors/async.js';
import type { Executor, ExecutorHost } from '../executors/executor.js';
import { defaultLogger, guardLogger, type Logger } from '../logger/logger.js';
import { MemoryStore } from '../stores/memory.js';
import type { QuarantinedTask, TaskDispatch, TaskRelease, TaskStore } from '../stores/store.js';
import {
  BUILTIN_TASK_DEFAULTS,
  isJsonValue,
  reviseRecord,
  taskRecord,
  type AddTaskOptions,
  type HandlerDefinition,
  type ModuleHandler,
  type TaskChanges,
  type TaskDefaults,
  type TaskHandler,
  type TaskRecord,
} from '../tasks/task.js';
import { isValidEpoch, isValidTimezone, systemTimezone, TIME_RANGE, toEpoch } from '../time/time.js';
import { TriggerRegistry } from '../triggers/registry.js';
import type { Trigger, TriggerInput } from '../triggers/trigger.js';
import { queryInfos, snapshot, type TaskInfo, type TaskInfoQuery, type TaskState } from './inspection.js';
import { planRuns, withJitter, type RunPlan } from './run-plan.js';
import { defaultName } from '../stores/codec.js';
import { newTaskId } from '../tasks/ids.js';
import { RunLeases } from './run-leases.js';
import { registerScheduled } from '../declarations/register.js';
import { checkKeys } from '../options/keys.js';
import { StoreHandle } from './store-handle.js';
import { Task, type TaskOperations } from './task-handle.js';
import { WakeTimer } from './wake-timer.js';

/** Options of the {@link Scheduler}. @public */
export interface SchedulerOptions {
  /** Stores by alias; a `default` {@link MemoryStore} is added when none is named `default`. */
  stores?: Record<string, TaskStore>;
  /** Executors by alias; a `default` {@link AsyncExecutor} is added when none is named `default`. */
  executors?: Record<string, Executor>;
  /** IANA time zone for triggers that name none; default the system's. */
  timezone?: string;
  /** Defaults for task options. */
  taskDefaults?: Partial<TaskDefaults>;
  /** Where to log; default: warnings and errors to the console. */
  logger?: Logger;
  /** Let the process exit while the scheduler waits for its next run (default `false`). */
  unrefTimer?: boolean;
  /** How many due tasks to take from a store in one call (default 100). */
  batchSize?: number;
  /** How long to wait before asking a failing store again, ms (default 10,000). */
  storeRetryInterval?: number;
  /**
   * How long a claim on a due task and a run lease hold without renewal, ms (default 5,000; they
   * are renewed every third of it, in one store call per period whatever the number of runs).
   * When an instance dies, its claimed fires run elsewhere at most this much later, its runs are
   * reported as interrupted after this long, and fires refused meanwhile under `maxInstances`
   * (its runs still count) are reported as `task:max-instances`. The trade-off: an event loop
   * blocked longer than this lets another instance take the task for dead and start a second
   * run of it; keep it above the longest stall you expect.
   */
  leaseDuration?: number;
  /** This instance's id in leases; default host name, process id and a random suffix. */
  instanceId?: string;
  /**
   * The clock the scheduler reads, epoch ms; default `Date.now`. Stores with a clock of their own
   * (Redis, MongoDB) judge claims on theirs, so instances whose clocks disagree still agree.
   */
  clock?: () => number;
}

/** The scheduler's state. @public */
export type SchedulerState = 'stopped' | 'running' | 'paused';

/** Options of {@link Scheduler.shutdown}. @public */
export interface ShutdownOptions {
  /** Wait for running handlers (default `true`); `false` aborts them through `ctx.signal` at once. */
  wait?: boolean;
  /** With `wait`, abort handlers still running after this many ms; default: wait as long as they take. */
  timeout?: number;
}

/** Where a task was found, and whether it still waits for `start()`. */
interface Located {
  record: TaskRecord;
  store: string;
  pending: boolean;
}

interface PendingTask {
  record: TaskRecord;
  store: string;
  replaceExisting: boolean;
  /** `undefined`: from the trigger at commit time. */
  nextRunTime: number | null | undefined;
}

/** A run ready to start: its executor, handler and run lease. */
interface PreparedRun {
  executor: Executor;
  handler: HandlerDefinition;
  runId: string;
}

/** A claimed task with what its dispatch will do. */
interface PlannedDispatch {
  task: TaskRecord;
  dispatch: TaskDispatch;
  /** Absent when its trigger failed (the task is paused instead). */
  plan?: RunPlan;
  /** The run to start once the dispatch is committed with its run lease. */
  run?: PreparedRun;
}

/** The keys of {@link SchedulerOptions}, {@link TaskDefaults}, {@link AddTaskOptions} and {@link TaskChanges}: others are refused. */
const SCHEDULER_OPTION_KEYS = ['stores', 'executors', 'timezone', 'taskDefaults', 'logger', 'unrefTimer', 'batchSize', 'storeRetryInterval', 'leaseDuration', 'instanceId', 'clock'] as const;
const TASK_DEFAULT_KEYS = ['coalesce', 'misfireGraceTime', 'maxInstances', 'jitter', 'executor'] as const;
const TASK_CHANGE_KEYS = ['name', 'handler', 'args', 'trigger', 'executor', 'coalesce', 'misfireGraceTime', 'maxInstances', 'jitter', 'nextRunTime'] as const;
const ADD_TASK_KEYS = ['id', 'store', 'replaceExisting', ...TASK_CHANGE_KEYS] as const;

/** Marks a pending task's start-time next run time as unchanged by an operation. */
const KEEP = Symbol('keep');

/** Fields that define a task other than its schedule; equal ones make re-registration a no-op. */
const DEFINITION_FIELDS = ['name', 'executor', 'coalesce', 'misfireGraceTime', 'maxInstances', 'jitter'] as const;

/** How often a fire refused a run lease at dispatch asks again for a slot, ms. */
const SLOT_RETRY = 250;

/** When the loop made no progress yet a store reports work due, look again after this long (ms). */
const IDLE_RECHECK = 10;

const pendingKey = (store: string, id: string): string => `${store}\u0000${id}`;

function sameArgs(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function sameSchedule(next: Trigger, existing: Trigger): boolean {
  if (next.isSameSchedule !== undefined) return next.isSameSchedule(existing);
  return next.type === existing.type && JSON.stringify(next.toJSON()) === JSON.stringify(existing.toJSON());
}

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

  private readonly taskDefaults: TaskDefaults;
  private readonly batchSize: number;
  private readonly storeRetryInterval: number;
  /** The id given in the options, else made when first read (see {@link Scheduler.instanceId}). */
  private ownId: string | undefined;
  private readonly leaseDuration: number;
  private readonly clock: () => number;
  private readonly stores = new Map<string, StoreHandle>();
  private readonly runLeases: RunLeases;
  private readonly startedStores = new Set<string>();
  private readonly executors = new Map<string, Executor>();
  private readonly handlers = new Map<string, HandlerDefinition>();
  private readonly events: EventHub;
  private readonly timer: WakeTimer;
  private readonly executorHost: ExecutorHost;
  /** Tasks added before start, by store and id, in the order they were added. */
  private pending = new Map<string, PendingTask>();
  private currentState: SchedulerState = 'stopped';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Whether a dispatch round is under way; set and cleared synchronously, so no wake-up is lost. */
  private processing = false;
  /** The latest dispatch round, for shutdown to wait on. */
  private round: Promise<void> = Promise.resolve();
  private rerun = false;
  private failingStores = new Set<string>();
  /** Fires refused a run lease at dispatch, waiting for a slot (see waitForRunSlot). */
  private readonly waitingForSlot = new Set<Promise<void>>();

  constructor(options: SchedulerOptions = {}) {
    checkKeys('the scheduler options', options, SCHEDULER_OPTION_KEYS);
    if (options.taskDefaults !== undefined) checkKeys('taskDefaults', options.taskDefaults, TASK_DEFAULT_KEYS);
    this.logger = guardLogger(options.logger ?? defaultLogger);
    this.events = new EventHub(() => this.logger);
    const timezone = options.timezone ?? systemTimezone();
    if (!isValidTimezone(timezone)) throw errors.invalidTimezone(undefined, timezone);
    this.timezone = timezone;
    this.taskDefaults = { ...BUILTIN_TASK_DEFAULTS, ...options.taskDefaults };
    this.checkOptions(undefined, this.taskDefaults, 'taskDefaults.');
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw errors.invalidOption(undefined, 'batchSize', options.batchSize, 'give a whole number >= 1');
    }
    this.storeRetryInterval = options.storeRetryInterval ?? 10_000;
    if (!Number.isFinite(this.storeRetryInterval) || this.storeRetryInterval <= 0) {
      throw errors.invalidOption(undefined, 'storeRetryInterval', options.storeRetryInterval, 'give milliseconds as a finite number > 0');
    }
    this.leaseDuration = options.leaseDuration ?? 5_000;
    if (!Number.isFinite(this.leaseDuration) || this.leaseDuration < 30) {
      throw errors.invalidOption(undefined, 'leaseDuration', options.leaseDuration, 'give milliseconds as a finite number >= 30');
    }
    this.ownId = options.instanceId;
    this.clock = options.clock ?? (() => Date.now());
    this.timer = new WakeTimer(() => this.wakeup(), options.unrefTimer === true, this.clock);
    this.executorHost = { logger: this.logger, emit: (type, payload) => this.events.emit(type, payload) };
    this.runLeases = new RunLeases(() => this.instanceId, this.leaseDuration, this.executorHost);
    for (const [alias, store] of Object.entries(options.stores ?? {})) this.stores.set(alias, this.handleFor(alias, store));
    if (!this.stores.has('default')) this.stores.set('default', this.handleFor('default', new MemoryStore()));
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
    const handle = this.handleFor(alias, store);
    this.stores.set(alias, handle);
    if (this.currentState !== 'stopped') await this.startStore(handle);
    this.events.emit('store:added', { alias });
  }

  /** Removes a store (shutting it down); its tasks stay in it but are no longer scheduled. */
  async removeStore(alias: string): Promise<void> {
    const handle = this.storeFor(undefined, alias);
    this.stores.delete(alias);
    for (const [key, task] of this.pending) if (task.store === alias) this.pending.delete(key);
    if (this.startedStores.delete(alias)) await handle.store.shutdown();
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
    this.starting = this.doStart(options.paused === true).finally(() => {
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
    this.stopping = this.doShutdown(options).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Stops dispatching until {@link Scheduler.resume}; runs in progress go on. */
  pause(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('pause the scheduler');
    if (this.currentState === 'paused') return;
    this.currentState = 'paused';
    this.timer.clear();
    this.events.emit('scheduler:paused', {});
  }

  /** Resumes dispatching after {@link Scheduler.pause}; due tasks are dispatched at once. */
  resume(): void {
    if (this.currentState === 'stopped') throw errors.notRunning('resume the scheduler');
    if (this.currentState === 'running') return;
    this.currentState = 'running';
    this.events.emit('scheduler:resumed', {});
    this.wakeup();
  }

  /** Looks for due tasks now instead of at the next timer (e.g. after changing a store directly). */
  wakeup(): void {
    if (this.currentState !== 'running') return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    this.processing = true;
    this.round = this.processLoop();
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
    const task = this.prepareAdd(options as AddTaskOptions);
    if (this.currentState === 'stopped' && this.starting === undefined) return this.addPending(task);
    if (this.starting !== undefined) await this.starting;
    const stored = await this.commit(task);
    return new Task(this, stored, task.store, false);
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
    const tasks = list.map((options) => this.prepareAdd(options));
    const seen = new Set<string>();
    for (const task of tasks) {
      const key = pendingKey(task.store, task.record.id);
      if (seen.has(key)) throw errors.invalidOption(task.record.id, 'task id', task.record.id, `it is given twice for store "${task.store}"; give each id once per call`);
      seen.add(key);
    }
    if (this.currentState === 'stopped' && this.starting === undefined) {
      for (const task of tasks) {
        if (this.pending.has(pendingKey(task.store, task.record.id)) && !task.replaceExisting) throw errors.conflictingId(task.record.id, task.store);
      }
      return tasks.map((task) => this.addPending(task));
    }
    if (this.starting !== undefined) await this.starting;
    const byStore = new Map<string, PendingTask[]>();
    for (const task of tasks) {
      const group = byStore.get(task.store);
      if (group === undefined) byStore.set(task.store, [task]);
      else group.push(task);
    }
    const added = new Map<PendingTask, TaskRecord>();
    for (const [alias, group] of byStore) {
      for (const [task, record] of await this.commitMany(alias, group)) added.set(task, record);
    }
    return tasks.map((task) => new Task(this, added.get(task)!, task.store, false));
  }

  /** Validates the options of a new task; throws before any change. */
  private prepareAdd(options: AddTaskOptions): PendingTask {
    if (typeof options !== 'object' || options === null) {
      throw errors.invalidOption(undefined, 'task options', options, 'give an object with at least a handler');
    }
    const id = options.id ?? newTaskId();
    if (typeof id !== 'string' || id.length === 0) {
      throw errors.invalidOption(undefined, 'task id', id, 'give a non-empty string, or leave it out to have one generated');
    }
    checkKeys('the task options', options, ADD_TASK_KEYS, id);
    const store = options.store ?? 'default';
    const record = this.buildRecord(id, store, options);
    const nextRunTime = this.readNextRunTime(id, options.nextRunTime);
    const preview = nextRunTime !== undefined ? nextRunTime : this.firstRunTime(record, this.clock());
    if (preview === null && nextRunTime === undefined && record.trigger.firesOnShutdown !== true) throw this.neverFires(record);
    if (preview !== null && !isValidEpoch(preview)) {
      throw errors.invalidTrigger(id, `its trigger's first fire time ${preview} is not ${TIME_RANGE}`);
    }
    // The next run time shown until start; it is worked out again at start unless given.
    return { record: reviseRecord(record, { nextRunTime: preview }), store, replaceExisting: options.replaceExisting === true, nextRunTime };
  }

  /** Keeps a task until `start()`. */
  private addPending(task: PendingTask): Task {
    const key = pendingKey(task.store, task.record.id);
    if (this.pending.has(key) && !task.replaceExisting) throw errors.conflictingId(task.record.id, task.store);
    this.pending.delete(key);
    this.pending.set(key, task);
    return new Task(this, task.record, task.store, true);
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
    if (typeof changes !== 'object' || changes === null) {
      throw errors.invalidOption(id, 'changes', changes, 'give an object of the fields to change');
    }
    const claimedId = (changes as { id?: unknown }).id;
    if (claimedId !== undefined && claimedId !== id) {
      throw errors.invalidOption(id, 'id change to', claimedId, 'a task id is immutable; add a new task and delete this one instead');
    }
    checkKeys('the task changes', changes, ['id', ...TASK_CHANGE_KEYS], id);
    const located = await this.locate(id, options.store);
    const { record } = located;
    const merged: AddTaskOptions = {
      name: record.name,
      handler: record.handler,
      args: record.args,
      trigger: record.trigger,
      executor: record.executor,
      coalesce: record.coalesce,
      misfireGraceTime: record.misfireGraceTime,
      maxInstances: record.maxInstances,
      jitter: record.jitter,
      ...changes,
    };
    const rebuilt = this.buildRecord(id, located.store, merged);
    let nextRunTime = record.nextRunTime;
    let atStart: number | null | undefined | typeof KEEP = KEEP;
    if ('nextRunTime' in changes) {
      nextRunTime = this.readNextRunTime(id, changes.nextRunTime) ?? null;
      atStart = nextRunTime;
    } else if (changes.trigger !== undefined && record.nextRunTime !== null) {
      nextRunTime = this.firstRunTime(rebuilt, this.clock());
      atStart = undefined;
    }
    return this.replace(located, taskRecord({ ...rebuilt, nextRunTime, revision: record.revision + 1 }), atStart);
  }

  /** Gives a task a new trigger and computes its next run time from it (resuming it if paused). */
  async rescheduleTask(id: string, trigger: TriggerInput, options: { store?: string } = {}): Promise<Task> {
    const located = await this.locate(id, options.store);
    const rebuilt = this.buildRecord(id, located.store, { ...located.record, trigger });
    const nextRunTime = this.firstRunTime(rebuilt, this.clock());
    if (nextRunTime === null && rebuilt.trigger.firesOnShutdown !== true) throw this.neverFires(rebuilt);
    return this.replace(located, taskRecord({ ...rebuilt, nextRunTime, revision: located.record.revision + 1 }), undefined);
  }

  /** Pauses a task: it keeps its definition but has no next run time until resumed. */
  async pauseTask(id: string, options: { store?: string } = {}): Promise<Task> {
    const located = await this.locate(id, options.store);
    return this.replace(located, reviseRecord(located.record, { nextRunTime: null }), null);
  }

  /** Resumes a paused task from now; removes it (resolving `null`) if its schedule has finished. */
  async resumeTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.locate(id, options.store);
    const nextRunTime = this.firstRunTime(located.record, this.clock());
    if (nextRunTime === null && located.record.trigger.firesOnShutdown !== true) {
      await this.deleteTask(id, { store: located.store });
      return null;
    }
    return this.replace(located, reviseRecord(located.record, { nextRunTime }), undefined);
  }

  /**
   * Runs a task now. When run times are due they are dispatched as the scheduler would
   * (misfires, coalescing) and the schedule moves on; when none is due, `force` (default
   * `true`) runs it once now without changing its schedule. A schedule that has no more fires
   * afterwards is removed (`removeFinished`, default `true`) or left paused.
   */
  async runTask(id: string, options: { store?: string; force?: boolean; removeFinished?: boolean } = {}): Promise<Task | null> {
    if (this.currentState === 'stopped') throw errors.notRunning(`run task "${id}"`);
    const { record, store: alias } = await this.locate(id, options.store);
    const force = options.force !== false;
    const now = this.clock();
    if (record.nextRunTime === null || record.nextRunTime > now) {
      // Nothing due: an extra run, leaving the schedule as it is.
      if (force) await (await this.submit(record, this.storeFor(id, alias), [now], true)).done;
      return new Task(this, record, alias, false);
    }
    // Due: take the task out of the dispatch loop's reach, so each due run time runs once.
    const handle = this.storeFor(id, alias);
    const claimed = await handle.claim(id, this.instanceId, this.leaseDuration);
    if (claimed === null) return this.getTask(id, { store: alias }); // the loop is dispatching it now
    const removeWhenFinished = options.removeFinished !== false;
    let plan: RunPlan;
    try {
      plan = planRuns(claimed, Math.max(now, claimed.nextRunTime ?? now), Math.random);
    } catch (error) {
      await this.releaseUnchanged(handle, claimed);
      throw error;
    }
    const applied = await handle.release(handle.releaseOf(claimed, { owner: this.instanceId, nextRunTime: plan.nextRunTime, removeWhenFinished }));
    if (!applied) return this.getTask(id, { store: alias }); // changed meanwhile: the change stands
    const removed = plan.nextRunTime === null && removeWhenFinished;
    this.events.emit(removed ? 'task:removed' : 'task:modified', { taskId: id, store: alias });
    this.notifyRunTime(plan.nextRunTime);
    this.reportMissed(claimed, alias, plan.missed, plan.missedCount);
    const runTimes = plan.runTimes.length > 0 ? plan.runTimes : force ? [now] : [];
    if (runTimes.length > 0) await (await this.submit(claimed, handle, runTimes, true, plan.coalesced)).done;
    return removed ? null : this.getTask(id, { store: alias });
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
    const { record, store } = await this.locate(id, options.store);
    const handle = this.storeFor(id, store);
    const run = await this.prepareRun(record, handle, times as number[], false);
    if (run === undefined) return;
    // Resolves once the run has ended and its lease is released, so that the caller's next run
    // of the task is not refused under maxInstances by the run that just ended.
    await new Promise<void>((settled) => void this.startRun(record, handle, times as number[], run, settled));
  }

  /** Deletes a task. */
  async deleteTask(id: string, options: { store?: string } = {}): Promise<void> {
    const located = await this.locate(id, options.store);
    if (located.pending) {
      this.pending.delete(pendingKey(located.store, id));
    } else {
      await this.storeFor(id, located.store).store.deleteTask(id);
    }
    this.events.emit('task:removed', { taskId: id, store: located.store });
  }

  /** Deletes every task, of one store or of all. */
  async removeAllTasks(store?: string): Promise<void> {
    if (store !== undefined) this.storeFor(undefined, store);
    const aliases = store === undefined ? [...this.stores.keys()] : [store];
    for (const [key, task] of this.pending) if (aliases.includes(task.store)) this.pending.delete(key);
    for (const alias of aliases) if (this.startedStores.has(alias)) await this.stores.get(alias)!.store.removeAllTasks();
    this.events.emit('tasks:removed-all', { store: store ?? null });
  }

  /** The task with this id, or `null`. */
  async getTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.find(id, options.store);
    return located === undefined ? null : new Task(this, located.record, located.store, located.pending);
  }

  /** Every task (of one store, or of all), by next run time; paused ones last. */
  async getTasks(store?: string): Promise<Task[]> {
    const found = await this.collect(store);
    return found.map(({ record, store: alias, pending }) => new Task(this, record, alias, pending));
  }

  /** An immutable snapshot of a task with its state, or `null`. */
  async getTaskInfo(id: string, options: { store?: string } = {}): Promise<TaskInfo | null> {
    const located = await this.find(id, options.store);
    return located === undefined ? null : this.info(located);
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
    const found = await this.collect(query.store);
    const triggers = new Map(found.map((located) => [located.record.id + '\u0000' + located.store, located.record.trigger]));
    return queryInfos(
      found.map((located) => this.info(located)),
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
  async getQuarantinedTasks(store?: string): Promise<(QuarantinedTask & { store: string })[]> {
    if (store !== undefined) this.storeFor(undefined, store);
    const held: (QuarantinedTask & { store: string })[] = [];
    for (const handle of this.startedHandles()) {
      if (store !== undefined && handle.alias !== store) continue;
      for (const task of await handle.getQuarantined()) held.push({ ...task, store: handle.alias });
    }
    return held;
  }

  /**
   * Puts a quarantined record back to be scheduled (after the cause was fixed: the handler
   * defined, the key set). It is read again at once; if it still cannot be read, it goes back to
   * the quarantine and this resolves to `null`.
   */
  async restoreQuarantinedTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const handle = await this.quarantineHolding(id, options.store);
    await handle.store.restoreQuarantinedTask(id);
    const record = await handle.lookup(id);
    if (record === null) return null;
    const refusal = this.cannotRunHere(record);
    if (refusal !== undefined) {
      await handle.quarantine(id, refusal);
      return null;
    }
    this.events.emit('task:added', { taskId: id, store: handle.alias });
    this.notifyRunTime(record.nextRunTime);
    return new Task(this, record, handle.alias, false);
  }

  /** Deletes a quarantined record for good. */
  async purgeQuarantinedTask(id: string, options: { store?: string } = {}): Promise<void> {
    const handle = await this.quarantineHolding(id, options.store);
    await handle.store.purgeQuarantinedTask(id);
  }

  private async quarantineHolding(id: string, store: string | undefined): Promise<StoreHandle> {
    const held = await this.getQuarantinedTasks(store);
    const match = held.find((task) => task.id === id);
    if (match === undefined) throw errors.taskNotFound(id, `${store ?? 'any store'}'s quarantine`);
    return this.storeFor(id, match.store);
  }

  // ---------------------------------------------------------------- internals: lifecycle

  private registerExecutor(alias: string, executor: Executor): void {
    this.executors.set(alias, executor);
    executor.start(this.executorHost, alias);
  }

  private handleFor(alias: string, store: TaskStore): StoreHandle {
    return new StoreHandle(alias, store, this.triggers, this.timezone, {
      quarantined: (taskId, storeAlias, reason, error) => {
        this.logger.error(`Task "${taskId}" in store "${storeAlias}" was moved to the quarantine: ${reason}.`);
        this.events.emit('task:quarantined', { taskId, store: storeAlias, reason, error });
      },
    });
  }

  private async startStore(handle: StoreHandle): Promise<void> {
    await handle.store.start({
      alias: handle.alias,
      logger: this.logger,
      instanceId: this.instanceId,
      wake: () => this.wakeup(),
      quarantined: (taskId, reason) => handle.reportQuarantined(taskId, reason),
    });
    this.startedStores.add(handle.alias);
  }

  private startedHandles(): StoreHandle[] {
    return [...this.startedStores].flatMap((alias) => this.stores.get(alias) ?? []);
  }

  private async doStart(paused: boolean): Promise<void> {
    if (this.stopping !== undefined) await this.stopping;
    for (const [alias, executor] of this.executors) executor.start(this.executorHost, alias);
    try {
      for (const handle of this.stores.values()) await this.startStore(handle);
    } catch (error) {
      await this.shutdownStores();
      throw error;
    }
    this.currentState = paused ? 'paused' : 'running';
    this.runLeases.start(() => this.startedHandles());
    this.events.emit('scheduler:started', { paused });
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const task of pending) {
      try {
        await this.commit(task);
      } catch (error) {
        this.logger.error(`Task "${task.record.id}" added before start could not be added to store "${task.store}".`, error);
      }
    }
    this.wakeup();
  }

  private async doShutdown({ wait = true, timeout }: ShutdownOptions): Promise<void> {
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
      throw errors.invalidOption(undefined, 'shutdown timeout', timeout, 'give milliseconds as a finite number >= 0');
    }
    this.currentState = 'stopped';
    this.timer.clear();
    // One deadline for the whole shutdown, however many times the executors are asked.
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    const left = () => (deadline === undefined ? undefined : Math.max(0, deadline - Date.now()));
    // Fires waiting for a run slot give up (and are reported) at their next look, within SLOT_RETRY.
    await Promise.all(this.waitingForSlot);
    await this.fireShutdownTasks();
    // Executors first: their timeout must also bound runs the dispatch round is waiting on.
    await this.shutdownExecutors(wait, left());
    await this.round;
    // A round that was committing a batch starts its runs (their fires are committed): wait
    // for those as well, within what is left of the timeout (runs aborted already are not
    // waited for again).
    await this.shutdownExecutors(wait, left());
    await this.runLeases.flush();
    this.runLeases.stop();
    await this.shutdownStores();
    this.events.emit('scheduler:shutdown', {});
  }

  private async shutdownExecutors(wait: boolean, timeout: number | undefined): Promise<void> {
    await Promise.all(
      [...this.executors].map(async ([alias, executor]) => {
        try {
          await executor.shutdown({ wait, timeout });
        } catch (error) {
          this.logger.error(`Executor "${alias}" failed to shut down.`, error);
        }
      }),
    );
  }

  private async shutdownStores(): Promise<void> {
    for (const handle of this.startedHandles()) {
      this.startedStores.delete(handle.alias);
      try {
        await handle.store.shutdown();
      } catch (error) {
        this.logger.error(`Store "${handle.alias}" failed to shut down.`, error);
      }
    }
  }

  private async fireShutdownTasks(): Promise<void> {
    const now = this.clock();
    const runs: Promise<void>[] = [];
    for (const handle of this.startedHandles()) {
      let tasks: TaskRecord[];
      try {
        tasks = await handle.all();
      } catch (error) {
        this.logger.error(`Could not read the shutdown tasks of store "${handle.alias}".`, error);
        continue;
      }
      for (const task of tasks) {
        if (task.trigger.firesOnShutdown !== true) continue;
        const { done } = await this.submit(task, handle, [now], false);
        if (done !== undefined) runs.push(done);
      }
    }
    await Promise.all(runs);
  }

  // ---------------------------------------------------------------- internals: dispatching

  private async processLoop(): Promise<void> {
    try {
      let wakeAt: number | null;
      do {
        this.rerun = false;
        wakeAt = await this.processDueTasks();
      } while (this.rerun && this.currentState === 'running');
      if (this.currentState === 'running') this.timer.set(wakeAt);
    } catch (error) {
      // processDueTasks guards its own steps; this is the last line of defence for the loop.
      this.logger.error('The dispatch loop failed; retrying.', error);
      if (this.currentState === 'running') this.timer.set(this.clock() + this.storeRetryInterval);
    } finally {
      // In the same job as the last rerun check: a wake-up cannot fall between the two.
      this.processing = false;
    }
  }

  /** Dispatches every due task of every store; returns when to look again. */
  private async processDueTasks(): Promise<number | null> {
    const now = this.clock();
    let wakeAt: number | null = null;
    let dispatched = 0;
    const earlier = (time: number | null): void => {
      if (time !== null && (wakeAt === null || time < wakeAt)) wakeAt = time;
    };
    for (const handle of this.startedHandles()) {
      try {
        const claim = (): Promise<TaskRecord[]> => handle.claimDue(now, this.batchSize, this.instanceId, this.leaseDuration);
        let claiming: Promise<TaskRecord[]> | undefined = claim();
        while (claiming !== undefined) {
          const claimed = await claiming;
          // Lateness is judged as of the claim, not the start of the round: a slow store or a
          // long batch before this one must not let a fire past its grace time run as on time.
          const claimedAt = Math.max(now, this.clock());
          claiming = undefined;
          if (claimed.length === this.batchSize && this.currentState === 'running') {
            // A full batch: claim the next one while this one is dispatched, saving a round trip
            // per batch. Its failure is taken up when it is awaited, not reported as unhandled.
            claiming = claim();
            claiming.catch(() => undefined);
          }
          if (this.currentState === 'running') await this.dispatchBatch(claimed, handle, claimedAt);
          // Paused or shut down while claiming: hand the tasks back untouched for later.
          else await handle.dispatch(claimed.map((task) => this.unchangedRelease(handle, task)));
          dispatched += claimed.length;
        }
        earlier(await handle.store.getNextRunTime());
        if (this.failingStores.delete(handle.alias)) this.logger.info(`Store "${handle.alias}" is reachable again.`);
      } catch (error) {
        // One message per outage, not one per retry.
        if (!this.failingStores.has(handle.alias)) {
          this.failingStores.add(handle.alias);
          this.logger.error(`Store "${handle.alias}" failed; retrying every ${this.storeRetryInterval} ms until it answers.`, error);
        }
        earlier(now + this.storeRetryInterval);
      }
    }
    if (dispatched === 0 && wakeAt !== null && wakeAt <= now) wakeAt = now + IDLE_RECHECK;
    return wakeAt;
  }

  private releaseUnchanged(handle: StoreHandle, task: TaskRecord): Promise<boolean> {
    return handle.release(this.unchangedRelease(handle, task));
  }

  /** The release that hands a claimed task back as it was. */
  private unchangedRelease(handle: StoreHandle, task: TaskRecord): TaskRelease {
    return handle.releaseOf(task, { owner: this.instanceId, nextRunTime: task.nextRunTime, removeWhenFinished: false });
  }

  /** Why this instance cannot run a task (its handler or executor is unknown here), if it cannot. */
  private cannotRunHere(task: TaskRecord): string | undefined {
    if (typeof task.handler === 'string' && !this.handlers.has(task.handler)) {
      return `its handler "${task.handler}" is not defined in this process (scheduler.define)`;
    }
    if (!this.executors.has(task.executor)) return `its executor "${task.executor}" is not configured in this process`;
    return undefined;
  }

  /**
   * Dispatches a claimed batch. The new schedules are committed before anything runs, so a fire
   * is never run twice: if this instance dies before the commit, the claims expire and another
   * instance dispatches the fires. The run leases are recorded in the same store step as the
   * commit (see {@link StoreHandle.dispatch}), so if this instance dies after it, its runs are
   * reported as interrupted once their leases expire, instead of vanishing.
   */
  private async dispatchBatch(claimed: readonly TaskRecord[], handle: StoreHandle, now: number): Promise<void> {
    const planned: PlannedDispatch[] = [];
    for (const task of claimed) {
      const refusal = this.cannotRunHere(task);
      if (refusal !== undefined) {
        await handle.quarantine(task.id, refusal);
        continue;
      }
      let plan: RunPlan;
      try {
        // The store said it is due: by its clock, which may be ahead of this one.
        plan = planRuns(task, Math.max(now, task.nextRunTime ?? now), Math.random);
      } catch (error) {
        // Never read as "finished" (which would delete the task) nor left to fail the batch:
        // the one task goes to the quarantine with the reason, the others are dispatched.
        await handle.quarantine(task.id, `its trigger failed to compute its next run time: ${error instanceof Error ? error.message : String(error)}`, error);
        continue;
      }
      const release = handle.releaseOf(task, { owner: this.instanceId, nextRunTime: plan.nextRunTime, removeWhenFinished: true });
      const runner = plan.runTimes.length > 0 ? this.findRunner(task, handle, plan.runTimes, false, plan.coalesced) : undefined;
      if (runner === undefined) {
        planned.push({ task, plan, dispatch: release });
        continue;
      }
      const runId = this.runLeases.newRunId();
      const run = { ...this.runLeases.lease(task.id, runId, plan.runTimes[0]!), maxInstances: task.maxInstances };
      planned.push({ task, plan, dispatch: { ...release, run }, run: { ...runner, runId } });
    }
    if (planned.length === 0) return;
    const outcomes = await handle.dispatch(planned.map((entry) => entry.dispatch));
    for (const [index, { task, plan, run }] of planned.entries()) {
      // Not released: changed since the claim, or the claim was lost; not this instance's fire.
      if (outcomes[index]?.released !== true || plan === undefined) continue;
      if (plan.nextRunTime === null) this.events.emit('task:removed', { taskId: task.id, store: handle.alias });
      this.reportMissed(task, handle.alias, plan.missed, plan.missedCount);
      if (run === undefined) continue;
      if (outcomes[index]?.runLeased !== true) {
        this.waitForRunSlot(task, handle, plan, run);
        continue;
      }
      this.runLeases.adopt(handle, task.id, run.runId);
      await this.startRun(task, handle, plan.runTimes, run, undefined, plan.coalesced);
    }
  }

  /**
   * A fire whose run lease the store refused at dispatch (`maxInstances` runs hold leases: live
   * ones, or those of a replica that died, which lapse within one lease duration) is committed to
   * this instance, which waits for a slot rather than skipping the fire at once: it asks again
   * every {@link SLOT_RETRY} ms until the fire's misfire grace time is spent (one lease duration at
   * most, by when a dead replica's leases have lapsed). Only then is it reported as refused.
   */
  private waitForRunSlot(task: TaskRecord, handle: StoreHandle, plan: RunPlan, refused: PreparedRun): void {
    const standsFor = [...plan.coalesced, ...plan.runTimes];
    const graceEnds = task.misfireGraceTime === null ? Infinity : plan.runTimes[0]! + task.misfireGraceTime;
    const deadline = Math.min(graceEnds, this.clock() + this.leaseDuration);
    // Read afresh after every await: a shutdown may come meanwhile.
    const stopped = (): boolean => this.currentState === 'stopped';
    const waiting = (async () => {
      while (!stopped() && this.clock() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(SLOT_RETRY, deadline - this.clock())));
        if (stopped()) break;
        const runId = await this.runLeases.acquire(handle, task.id, task.maxInstances, plan.runTimes[0]!);
        if (runId === null) continue;
        if (stopped()) {
          await this.runLeases.release(runId);
          break;
        }
        await this.startRun(task, handle, plan.runTimes, { ...refused, runId }, undefined, plan.coalesced);
        return;
      }
      this.reportRunRefused(task, handle.alias, standsFor, errors.maxInstances(task.id, task.maxInstances));
    })().catch((error: unknown) => this.reportRunRefused(task, handle.alias, standsFor, error));
    this.waitingForSlot.add(waiting);
    void waiting.finally(() => this.waitingForSlot.delete(waiting));
  }

  private reportMissed(task: TaskRecord, store: string, missed: number[], count: number): void {
    if (count === 0) return;
    const first = missed[0] === undefined ? '' : ` (the first due at ${new Date(missed[0]).toISOString()})`;
    this.logger.warn(
      `Task "${task.id}": ${count} run time(s) missed${first}, later than its misfire grace time of ${task.misfireGraceTime} ms.`,
    );
    this.events.emit('task:missed', { taskId: task.id, store, scheduledRunTimes: missed.map((time) => new Date(time)), count });
  }

  /**
   * Gets a run ready: finds the executor and handler and takes a run lease, so that
   * `maxInstances` holds across every instance on the store. A refusal is reported (and, with
   * `rethrow`, thrown for `runTask` callers) and yields `undefined`.
   */
  private async prepareRun(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded: readonly number[] = []): Promise<PreparedRun | undefined> {
    const runner = this.findRunner(task, handle, runTimes, rethrow, folded);
    if (runner === undefined) return undefined;
    try {
      const runId = await this.runLeases.acquire(handle, task.id, task.maxInstances, runTimes[0]!);
      if (runId === null) throw errors.maxInstances(task.id, task.maxInstances);
      return { ...runner, runId };
    } catch (error) {
      this.reportRunRefused(task, handle.alias, [...folded, ...runTimes], error);
      if (rethrow) throw error;
      return undefined;
    }
  }

  /**
   * What a run needs from this process: its executor and handler, and room under `maxInstances`
   * here (the local count answers without a round trip when this instance alone is at the limit).
   * A refusal is reported (and, with `rethrow`, thrown) and yields `undefined`. `folded`: the
   * fire times a coalesced run stands for besides its own, reported with it.
   */
  private findRunner(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded: readonly number[] = []): Omit<PreparedRun, 'runId'> | undefined {
    try {
      const executor = this.executors.get(task.executor);
      if (executor === undefined) throw errors.unknownExecutor(task.id, task.executor, [...this.executors.keys()]);
      const handler = typeof task.handler === 'function' ? task.handler : this.handlers.get(task.handler);
      if (handler === undefined) throw errors.handlerNotDefined(task.id, task.handler as string, [...this.handlers.keys()]);
      if (executor.runningInstances(task.id) >= task.maxInstances) throw errors.maxInstances(task.id, task.maxInstances);
      return { executor, handler };
    } catch (error) {
      this.reportRunRefused(task, handle.alias, [...folded, ...runTimes], error);
      if (rethrow) throw error;
      return undefined;
    }
  }

  /** Reports runs that could not start: over `maxInstances`, or failing to get ready. */
  private reportRunRefused(task: TaskRecord, store: string, runTimes: number[], error: unknown): void {
    const scheduledRunTimes = runTimes.map((time) => new Date(time));
    if (isHoraeError(error, 'MAX_INSTANCES')) {
      this.logger.warn(error.message);
      this.events.emit('task:max-instances', { taskId: task.id, store, scheduledRunTimes, maxInstances: task.maxInstances });
    } else {
      this.logger.error(`Task "${task.id}" could not be run.`, error);
      for (const scheduledAt of scheduledRunTimes) this.events.emit('task:error', { taskId: task.id, store, scheduledAt, error, duration: 0 });
    }
  }

  /**
   * Hands a prepared run to the executor; resolves to its promise when it has one (inline's).
   * `settled`, if given, is called once the run has ended and its run lease is released.
   * `folded`: the fire times a coalesced run stands for besides its own, listed in its events.
   */
  private startRun(task: TaskRecord, handle: StoreHandle, runTimes: number[], run: PreparedRun, settled?: () => void, folded: readonly number[] = []): Promise<void> | undefined {
    const { executor, handler, runId } = run;
    const release = settled === undefined ? () => void this.runLeases.release(runId) : () => void this.runLeases.release(runId).then(settled);
    let running: void | Promise<void>;
    try {
      // Runs with a `settled` callback come from runFires, whose hosts may not share objects
      // between requests: their runs get abort signals of their own.
      running = executor.submit({ task, store: handle.alias, handler, runTimes, onSettled: release, ...(settled === undefined ? {} : { isolated: true }) });
    } catch (error) {
      release();
      this.logger.error(`Task "${task.id}" could not be run.`, error);
      for (const time of [...folded, ...runTimes]) this.events.emit('task:error', { taskId: task.id, store: handle.alias, scheduledAt: new Date(time), error, duration: 0 });
      return undefined;
    }
    this.events.emit('task:submitted', {
      taskId: task.id,
      store: handle.alias,
      executor: task.executor,
      scheduledRunTimes: (folded.length === 0 ? runTimes : [...folded, ...runTimes]).map((time) => new Date(time)),
    });
    return running instanceof Promise ? running : undefined;
  }

  /** Prepares and starts runs at once, for runs that commit no schedule change first. */
  private async submit(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded: readonly number[] = []): Promise<{ done?: Promise<void> }> {
    const run = await this.prepareRun(task, handle, runTimes, rethrow, folded);
    const done = run === undefined ? undefined : this.startRun(task, handle, runTimes, run, undefined, folded);
    return done === undefined ? {} : { done };
  }

  /** Wakes the loop earlier if a task now runs before the timer would have fired. */
  private notifyRunTime(time: number | null): void {
    if (time === null || this.currentState !== 'running') return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    const target = this.timer.target;
    if (target === null || time < target) {
      if (time <= this.clock()) this.wakeup();
      else this.timer.set(time);
    }
  }

  // ---------------------------------------------------------------- internals: tasks

  private storeFor(taskId: string | undefined, alias: string): StoreHandle {
    const handle = this.stores.get(alias);
    if (handle === undefined) throw errors.unknownStore(taskId, alias, [...this.stores.keys()]);
    return handle;
  }

  private checkOptions(taskId: string | undefined, options: Partial<TaskDefaults>, prefix = ''): void {
    const { coalesce, misfireGraceTime, maxInstances, jitter } = options;
    if (coalesce !== undefined && typeof coalesce !== 'boolean') {
      throw errors.invalidOption(taskId, `${prefix}coalesce`, coalesce, 'give true or false');
    }
    if (misfireGraceTime !== undefined && misfireGraceTime !== null && !(typeof misfireGraceTime === 'number' && Number.isFinite(misfireGraceTime) && misfireGraceTime >= 0)) {
      throw errors.invalidOption(taskId, `${prefix}misfireGraceTime`, misfireGraceTime, 'give milliseconds as a finite number >= 0, or null for no limit');
    }
    if (maxInstances !== undefined && !(Number.isInteger(maxInstances) && maxInstances >= 1)) {
      throw errors.invalidOption(taskId, `${prefix}maxInstances`, maxInstances, 'give a whole number >= 1');
    }
    if (jitter !== undefined && jitter !== null && !(typeof jitter === 'number' && Number.isFinite(jitter) && jitter >= 0)) {
      throw errors.invalidOption(taskId, `${prefix}jitter`, jitter, 'give milliseconds as a finite number >= 0, or null');
    }
  }

  /** Validates task options into a record (next run time not yet set). Throws before any change. */
  private buildRecord(id: string, storeAlias: string, options: AddTaskOptions): TaskRecord {
    const store = this.storeFor(id, storeAlias);
    const { handler } = options;
    let definition: HandlerDefinition | undefined;
    if (typeof handler === 'string') {
      definition = this.handlers.get(handler);
      if (definition === undefined) throw errors.handlerNotDefined(id, handler, [...this.handlers.keys()]);
    } else if (typeof handler === 'function') {
      if (store.persistent) throw errors.inlineHandlerInPersistentStore(id, storeAlias);
      definition = handler;
    } else {
      throw errors.invalidOption(id, 'handler', handler, 'give the name of a handler registered with scheduler.define(name, fn), or a function (memory store only)');
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw errors.invalidOption(id, 'name', options.name, 'give a string');
    }
    if (store.persistent && options.args !== undefined && !isJsonValue(options.args)) {
      throw errors.notSerializable(id, storeAlias, 'args', options.args);
    }
    const trigger = this.triggers.create(options.trigger ?? 'date', { timezone: this.timezone, now: this.clock(), taskId: id });
    if (store.persistent && !this.triggers.types().includes(trigger.type)) {
      throw errors.invalidTrigger(id, `trigger type ${show(trigger.type)} is not registered, so store "${storeAlias}" could not read it back; register it with scheduler.triggers.register`);
    }
    const executorAlias = options.executor ?? this.taskDefaults.executor;
    const executor = this.executors.get(executorAlias);
    if (executor === undefined) throw errors.unknownExecutor(id, executorAlias, [...this.executors.keys()]);
    const refusal = executor.cannotRun?.(definition);
    if (refusal !== undefined) throw errors.invalidOption(id, 'executor', executorAlias, refusal);
    this.checkOptions(id, options);
    return taskRecord({
      id,
      name: options.name ?? defaultName(id, handler),
      handler,
      args: options.args,
      trigger,
      executor: executorAlias,
      coalesce: options.coalesce ?? this.taskDefaults.coalesce,
      misfireGraceTime:
        options.misfireGraceTime !== undefined
          ? options.misfireGraceTime
          : trigger.defaultMisfireGraceTime !== undefined
            ? trigger.defaultMisfireGraceTime
            : this.taskDefaults.misfireGraceTime,
      maxInstances: options.maxInstances ?? this.taskDefaults.maxInstances,
      jitter: options.jitter ?? this.taskDefaults.jitter,
      nextRunTime: null,
      revision: 1,
    });
  }

  private readNextRunTime(id: string, value: unknown): number | null | undefined {
    if (value === undefined || value === null) return value;
    const epoch = toEpoch(value, this.timezone);
    if (epoch === undefined) throw errors.invalidOption(id, 'nextRunTime', value, `give a Date, epoch milliseconds or an ISO string, for ${TIME_RANGE}; or null to add the task paused`);
    return epoch;
  }

  private firstRunTime(record: TaskRecord, now: number): number | null {
    return withJitter(record.trigger.getNextFireTime(null, now), record.trigger, record.jitter, Math.random);
  }

  /** Puts a validated task into its store, honouring `replaceExisting`; returns what is stored. */
  private async commit(task: PendingTask): Promise<TaskRecord> {
    const { record, store: alias } = task;
    const store = this.storeFor(record.id, alias);
    const now = this.clock();
    const first = task.nextRunTime !== undefined ? task.nextRunTime : this.firstRunTime(record, now);
    if (first === null && task.nextRunTime === undefined && record.trigger.firesOnShutdown !== true) throw this.neverFires(record);
    const fresh = taskRecord({ ...record, nextRunTime: first });
    try {
      await store.add(fresh);
      this.events.emit('task:added', { taskId: record.id, store: alias });
      this.notifyRunTime(first);
      return fresh;
    } catch (error) {
      if (!task.replaceExisting || !isHoraeError(error, 'CONFLICTING_ID')) throw error;
    }
    // An unreadable existing record is quarantined by the lookup, so it is kept, not overwritten.
    const existing = await store.lookup(record.id);
    if (existing === null) return this.commit({ ...task, replaceExisting: false });
    const keepSchedule = task.nextRunTime === undefined && sameSchedule(record.trigger, existing.trigger);
    const unchanged =
      keepSchedule &&
      DEFINITION_FIELDS.every((field) => existing[field] === record[field]) &&
      existing.handler === record.handler &&
      sameArgs(existing.args, record.args);
    if (unchanged) return existing;
    const replacement = keepSchedule
      ? reviseRecord(existing, { ...record, trigger: existing.trigger, nextRunTime: existing.nextRunTime })
      : reviseRecord(existing, { ...record, nextRunTime: first });
    await store.update(replacement);
    this.events.emit('task:modified', { taskId: record.id, store: alias });
    this.notifyRunTime(replacement.nextRunTime);
    return replacement;
  }

  /**
   * Puts validated tasks into one store in one step where it can. Ids that exist go the way of
   * {@link Scheduler.commit} when they may be replaced, and are reported together when not.
   */
  private async commitMany(alias: string, tasks: readonly PendingTask[]): Promise<Map<PendingTask, TaskRecord>> {
    const store = this.storeFor(undefined, alias);
    const now = this.clock();
    const fresh = new Map<string, { task: PendingTask; record: TaskRecord }>();
    for (const task of tasks) {
      const first = task.nextRunTime !== undefined ? task.nextRunTime : this.firstRunTime(task.record, now);
      if (first === null && task.nextRunTime === undefined && task.record.trigger.firesOnShutdown !== true) throw this.neverFires(task.record);
      fresh.set(task.record.id, { task, record: taskRecord({ ...task.record, nextRunTime: first }) });
    }
    const existing = new Set(await store.addMany([...fresh.values()].map(({ record }) => record)));
    const committed = new Map<PendingTask, TaskRecord>();
    const refused: string[] = [];
    let earliest: number | null = null;
    for (const [id, { task, record }] of fresh) {
      if (existing.has(id)) {
        if (task.replaceExisting) committed.set(task, await this.commit(task));
        else refused.push(id);
        continue;
      }
      committed.set(task, record);
      this.events.emit('task:added', { taskId: id, store: alias });
      if (record.nextRunTime !== null && (earliest === null || record.nextRunTime < earliest)) earliest = record.nextRunTime;
    }
    this.notifyRunTime(earliest);
    if (refused.length > 0) throw errors.conflictingIds(refused, alias, committed.size);
    return committed;
  }

  private neverFires(record: TaskRecord) {
    return errors.invalidTrigger(
      record.id,
      `${record.trigger.describe()} has no fire time after ${new Date().toISOString()}; check its dates (startAt, endAt, year)`,
    );
  }

  /**
   * Writes a changed record where the task lives. For a pending task, `atStart` is the next run
   * time it gets at start (`undefined`: from its trigger then; KEEP: as before).
   */
  private async replace(located: Located, record: TaskRecord, atStart: number | null | undefined | typeof KEEP = KEEP): Promise<Task> {
    if (located.pending) {
      const entry = this.pending.get(pendingKey(located.store, record.id));
      if (entry !== undefined) {
        entry.record = record;
        if (atStart !== KEEP) entry.nextRunTime = atStart;
      }
    } else {
      await this.storeFor(record.id, located.store).update(record);
      this.events.emit('task:modified', { taskId: record.id, store: located.store });
      this.notifyRunTime(record.nextRunTime);
    }
    return new Task(this, record, located.store, located.pending);
  }

  private async find(id: string, storeAlias: string | undefined): Promise<Located | undefined> {
    if (storeAlias !== undefined) this.storeFor(id, storeAlias);
    for (const alias of storeAlias === undefined ? this.stores.keys() : [storeAlias]) {
      const pending = this.pending.get(pendingKey(alias, id));
      if (pending !== undefined) return { record: pending.record, store: alias, pending: true };
    }
    for (const alias of storeAlias === undefined ? this.startedStores : [storeAlias]) {
      if (!this.startedStores.has(alias)) continue;
      const record = await this.stores.get(alias)!.lookup(id);
      if (record !== null) return { record, store: alias, pending: false };
    }
    return undefined;
  }

  private async locate(id: string, storeAlias: string | undefined): Promise<Located> {
    const located = await this.find(id, storeAlias);
    if (located === undefined) throw errors.taskNotFound(id, storeAlias);
    return located;
  }

  private async collect(storeAlias: string | undefined): Promise<Located[]> {
    if (storeAlias !== undefined) this.storeFor(undefined, storeAlias);
    const found: Located[] = [...this.pending.values()]
      .filter((task) => storeAlias === undefined || task.store === storeAlias)
      .map((task) => ({ record: task.record, store: task.store, pending: true }));
    for (const alias of this.startedStores) {
      if (storeAlias !== undefined && alias !== storeAlias) continue;
      for (const record of await this.stores.get(alias)!.all()) found.push({ record, store: alias, pending: false });
    }
    const order = (located: Located): number => located.record.nextRunTime ?? Infinity;
    return found.sort((a, b) => (order(a) === order(b) ? 0 : order(a) < order(b) ? -1 : 1));
  }

  private info(located: Located): TaskInfo {
    const { record, store, pending } = located;
    const running = this.executors.get(record.executor)?.runningInstances(record.id) ?? 0;
    const state: TaskState = pending ? 'pending' : running > 0 ? 'running' : record.nextRunTime === null && record.trigger.firesOnShutdown !== true ? 'paused' : 'scheduled';
    return snapshot(record, store, state, running);
  }
}
