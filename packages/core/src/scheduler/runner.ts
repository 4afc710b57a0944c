import { errors, isHoraeError } from '../errors/index.js';
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
export class Runner {
  constructor(private readonly context: RunnerContext) {}

  /** Why this instance cannot run a task (its handler or executor is unknown here), if it cannot. */
  cannotRunHere(task: TaskRecord): string | undefined {
    if (typeof task.handler === 'string' && !this.context.handlers.has(task.handler)) {
      return `its handler "${task.handler}" is not defined in this process (scheduler.define)`;
    }
    if (!this.context.executors.has(task.executor)) return `its executor "${task.executor}" is not configured in this process`;
    return undefined;
  }

  /**
   * What a run needs from this process: its executor and handler, and room under `maxInstances`
   * here (the local count answers without a round trip when this instance alone is at the limit).
   * Throws why it cannot run.
   */
  resolve(task: TaskRecord): Omit<PreparedRun, 'runId'> {
    const { executors, handlers } = this.context;
    const executor = executors.get(task.executor);
    if (executor === undefined) throw errors.unknownExecutor(task.id, task.executor, [...executors.keys()]);
    const handler = typeof task.handler === 'function' ? task.handler : handlers.get(task.handler);
    if (handler === undefined) throw errors.handlerNotDefined(task.id, task.handler as string, [...handlers.keys()]);
    if (executor.runningInstances(task.id) >= task.maxInstances) throw errors.maxInstances(task.id, task.maxInstances);
    return { executor, handler };
  }

  /**
   * Gets a run ready: finds the executor and handler and takes a run lease. A refusal is
   * reported (and, with `rethrow`, thrown) and yields `undefined`.
   */
  async prepare(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded: readonly number[] = []): Promise<PreparedRun | undefined> {
    try {
      const runner = this.resolve(task);
      const runId = await this.context.runLeases.acquire(handle, task.id, task.maxInstances, runTimes[0]!);
      if (runId === null) throw errors.maxInstances(task.id, task.maxInstances);
      return { ...runner, runId };
    } catch (error) {
      this.reportRefused(task, handle.alias, [...folded, ...runTimes], error);
      if (rethrow) throw error;
      return undefined;
    }
  }

  /**
   * Hands a prepared run to the executor; resolves to its promise when it has one (inline's).
   * `settled`, if given, is called once the run has ended and its run lease is released.
   * `folded`: the fire times a coalesced run stands for besides its own, listed in its events.
   */
  start(task: TaskRecord, handle: StoreHandle, runTimes: number[], run: PreparedRun, settled?: () => void, folded: readonly number[] = []): Promise<void> | undefined {
    const { executor, handler, runId } = run;
    const { runLeases, events, logger } = this.context;
    const release = settled === undefined ? () => void runLeases.release(runId) : () => void runLeases.release(runId).then(settled);
    let announced = false;
    const announce = (): void => {
      if (announced) return;
      announced = true;
      // Nothing listens (the run history's tap does not need it): no payload to build per run.
      if (!events.has('task:submitted')) return;
      events.emit('task:submitted', {
        taskId: task.id,
        store: handle.alias,
        executor: task.executor,
        scheduledRunTimes: (folded.length === 0 ? runTimes : [...folded, ...runTimes]).map((time) => new Date(time)),
      });
    };
    let running: void | Promise<void>;
    try {
      // Runs with a `settled` callback come from runFires, whose hosts may not share objects
      // between requests: their runs get abort signals of their own.
      running = executor.submit({ task, store: handle.alias, handler, runTimes, onSettled: release, onSubmitted: announce, ...(settled === undefined ? {} : { isolated: true }) });
    } catch (error) {
      release();
      logger.error(`Task "${task.id}" could not be run.`, error);
      for (const time of [...folded, ...runTimes]) events.emit('task:error', { taskId: task.id, store: handle.alias, scheduledAt: new Date(time), error, duration: 0 });
      return undefined;
    }
    // An executor of an app's own that does not call onSubmitted still has its runs announced.
    announce();
    return running instanceof Promise ? running : undefined;
  }

  /** Prepares and starts runs at once, for runs that commit no schedule change first. */
  async submit(task: TaskRecord, handle: StoreHandle, runTimes: number[], rethrow: boolean, folded: readonly number[] = []): Promise<{ done?: Promise<void> }> {
    const run = await this.prepare(task, handle, runTimes, rethrow, folded);
    const done = run === undefined ? undefined : this.start(task, handle, runTimes, run, undefined, folded);
    return done === undefined ? {} : { done };
  }

  /**
   * Runs fire times a caller found due (see `Scheduler.runFires`): resolves once the run has
   * ended and its lease is released, so that the caller's next run of the task is not refused
   * under `maxInstances` by the run that just ended.
   */
  async runFires(task: TaskRecord, handle: StoreHandle, fireTimes: number[]): Promise<void> {
    const run = await this.prepare(task, handle, fireTimes, false);
    if (run === undefined) return;
    await new Promise<void>((settled) => void this.start(task, handle, fireTimes, run, settled));
  }

  /** Reports runs that could not start: over `maxInstances`, or failing to get ready. */
  reportRefused(task: TaskRecord, store: string, runTimes: readonly number[], error: unknown): void {
    const { events, logger } = this.context;
    const scheduledRunTimes = runTimes.map((time) => new Date(time));
    if (isHoraeError(error, 'MAX_INSTANCES')) {
      logger.warn(error.message);
      events.emit('task:max-instances', { taskId: task.id, store, scheduledRunTimes, maxInstances: task.maxInstances });
    } else {
      logger.error(`Task "${task.id}" could not be run.`, error);
      for (const scheduledAt of scheduledRunTimes) events.emit('task:error', { taskId: task.id, store, scheduledAt, error, duration: 0 });
    }
  }

  /** Reports fire times that came later than the task's misfire grace time, and were skipped. */
  reportMissed(task: TaskRecord, store: string, missed: number[], count: number): void {
    if (count === 0) return;
    const first = missed[0] === undefined ? '' : ` (the first due at ${new Date(missed[0]).toISOString()})`;
    this.context.logger.warn(`Task "${task.id}": ${count} run time(s) missed${first}, later than its misfire grace time of ${task.misfireGraceTime} ms.`);
    this.context.events.emit('task:missed', { taskId: task.id, store, scheduledRunTimes: missed.map((time) => new Date(time)), count });
  }
}
