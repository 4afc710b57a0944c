import { errors } from '../errors/index.js';
import type { SchedulerEventMap, SchedulerEventType } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { HandlerDefinition, RunContext, TaskRecord } from '../tasks/task.js';

/** What an executor may use of its scheduler. @public */
export interface ExecutorHost {
  readonly logger: Logger;
  emit<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]): void;
}

/** One submission: a task, its resolved handler and the run times it stands for. @public */
export interface Execution {
  readonly task: TaskRecord;
  readonly store: string;
  readonly handler: HandlerDefinition;
  /** One run each, in order (a single one when coalesced). */
  readonly runTimes: readonly number[];
  /** Called once when the execution is over (all its runs finished or failed). */
  readonly onSettled?: () => void;
  /**
   * Called once the executor has taken the execution, before any of its handlers is called: the
   * scheduler announces the run (`task:submitted`) from it, so that the announcement comes before
   * anything a handler does even when the handler is called within `submit`.
   */
  readonly onSubmitted?: () => void;
  /**
   * Give the runs an abort signal of their own rather than the one they usually share (still
   * aborted by shutdown): for hosts where objects made during one request cannot be used in
   * another, such as Cloudflare Workers' cron invocations.
   */
  readonly isolated?: boolean;
}

/** Options of {@link Executor.shutdown}. @public */
export interface ExecutorShutdownOptions {
  /** Wait for running handlers (default `true`); `false` aborts them at once. */
  wait: boolean;
  /** With `wait`, how long (ms) to wait before aborting them; omitted: as long as they take. */
  timeout?: number | undefined;
}

/**
 * Runs handlers. The scheduler hands it executions; it enforces each task's `maxInstances`,
 * reports outcomes as events and lets shutdown wait for what is in flight.
 * @public
 */
export interface Executor {
  start(host: ExecutorHost, alias: string): void;
  /**
   * Starts an execution; throws a `MAX_INSTANCES` error when the task already runs
   * `maxInstances` instances here. May return a promise the scheduler awaits before going on
   * (the inline executor does, so that runs happen one after another).
   */
  submit(execution: Execution): void | Promise<void>;
  /** How many instances of the task are running here now. */
  runningInstances(taskId: string): number;
  /** Runs may be refused for a handler this executor cannot run; says why, or `undefined`. */
  cannotRun?(handler: HandlerDefinition): string | undefined;
  shutdown(options: ExecutorShutdownOptions): Promise<void>;
}

interface RunningInstance {
  /** Settles when its runs have ended; set once its first handler has been called. */
  done?: Promise<void>;
  /** The run's own controller, for an isolated execution. */
  readonly controller?: AbortController;
  /** Set once a shutdown has aborted it: a later shutdown neither waits for it nor warns again. */
  aborted?: boolean;
}

/**
 * The shared machinery of executors: instance counting, abort signals, events, and waiting on
 * shutdown. A subclass says how to call a handler ({@link BaseExecutor.invoke}).
 * @public
 */
export abstract class BaseExecutor implements Executor {
  protected host: ExecutorHost | undefined;
  /** The runs in progress here, and how many of each task: no collection per task. */
  private readonly running = new Set<RunningInstance>();
  private readonly counts = new Map<string, number>();
  /**
   * One abort controller for every run: shutdown aborts them all at once anyway, and one
   * controller per run was a quarter of the cost of starting a run. Replaced after a shutdown.
   * Made with the first run, not with the executor: Cloudflare Workers refuse an AbortController
   * in a module's global scope, where an app makes its scheduler.
   */
  private controller: AbortController | undefined;
  private alias = 'default';

  start(host: ExecutorHost, alias: string): void {
    this.host = host;
    this.alias = alias;
  }

  runningInstances(taskId: string): number {
    return this.counts.get(taskId) ?? 0;
  }

  cannotRun?(handler: HandlerDefinition): string | undefined;

  submit(execution: Execution): void | Promise<void> {
    const host = this.host;
    const { task } = execution;
    if (host === undefined) throw errors.executorNotStarted(this.alias, task.id);
    const count = this.counts.get(task.id) ?? 0;
    if (count >= task.maxInstances) throw errors.maxInstances(task.id, task.maxInstances);
    const own = execution.isolated === true ? new AbortController() : undefined;
    const instance: RunningInstance = own === undefined ? {} : { controller: own };
    // Counted before its handler is called: a handler that asks how many instances run sees itself.
    this.running.add(instance);
    this.counts.set(task.id, count + 1);
    execution.onSubmitted?.();
    // The first handler is called within this call, as a timer's callback is within the timer.
    instance.done = this.runAll(host, execution, own?.signal ?? (this.controller ??= new AbortController()).signal, () => {
      this.running.delete(instance);
      const left = (this.counts.get(task.id) ?? 1) - 1;
      if (left === 0) this.counts.delete(task.id);
      else this.counts.set(task.id, left);
      execution.onSettled?.();
    });
    return this.waitsForRuns ? instance.done : undefined;
  }

  async shutdown({ wait, timeout }: ExecutorShutdownOptions): Promise<void> {
    const running = [...this.running].filter((instance) => instance.aborted !== true);
    const controller = this.controller;
    this.controller = undefined;
    if (running.length === 0) return;
    const all = Promise.all(running.flatMap((instance) => instance.done ?? []));
    if (wait) {
      if (timeout === undefined) {
        await all;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeout))),
      ]);
      clearTimeout(timer);
      if (!timedOut) return;
      this.host?.logger.warn(
        `executor "${this.alias}": ${running.length} run(s) still going after the shutdown timeout of ${timeout} ms; aborting them.`,
      );
    }
    const reason = errors.aborted('the scheduler shut down');
    controller?.abort(reason);
    for (const instance of running) {
      instance.aborted = true;
      instance.controller?.abort(reason);
    }
  }

  /** Resolves when no run is in progress here (now or later, whichever comes first). */
  protected whenIdle(): Promise<void> {
    return Promise.all([...this.running].flatMap((instance) => instance.done ?? [])).then(() => undefined);
  }

  /** Whether `submit` should return the run's promise (inline) or let it go (async). */
  protected readonly waitsForRuns: boolean = false;

  /** Calls the handler; resolves with its result, rejects with its error. */
  protected abstract invoke(handler: HandlerDefinition, args: unknown, context: RunContext): Promise<unknown>;

  /** Runs an execution's handlers one after another; `ended` is called once they have, whatever happened. */
  private async runAll(host: ExecutorHost, execution: Execution, signal: AbortSignal, ended: () => void): Promise<void> {
    try {
      const { task, store } = execution;
      for (const runTime of execution.runTimes) {
        const scheduledAt = new Date(runTime);
        const context: RunContext = { taskId: task.id, taskName: task.name, scheduledAt, signal, logger: host.logger };
        const started = performance.now();
        try {
          const result = await this.invoke(execution.handler, task.args, context);
          host.emit('task:executed', { taskId: task.id, store, scheduledAt, result, duration: performance.now() - started });
        } catch (error) {
          host.logger.error(`Task "${task.id}" (${task.name}) failed for its run at ${scheduledAt.toISOString()}.`, error);
          host.emit('task:error', { taskId: task.id, store, scheduledAt, error, duration: performance.now() - started });
        }
        if (signal.aborted) break;
      }
    } finally {
      ended();
    }
  }
}

/** Loads a module handler's function for task `taskId` (cached by the module system). */
export async function loadModuleHandler(handler: Exclude<HandlerDefinition, (...args: never[]) => unknown>, taskId: string) {
  const loaded = (await import(handler.module)) as Record<string, unknown>;
  const fn = loaded[handler.exportName];
  if (typeof fn !== 'function') throw errors.moduleExportMissing(taskId, handler.module, handler.exportName);
  return fn as (args: unknown, context: RunContext) => unknown;
}

/** Calls a function or module handler on this thread. */
export async function invokeHere(handler: HandlerDefinition, args: unknown, context: RunContext): Promise<unknown> {
  const fn = typeof handler === 'function' ? handler : await loadModuleHandler(handler, context.taskId);
  return await fn(args, context);
}
