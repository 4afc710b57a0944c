import { errors } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { Executor, ExecutorHost } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import type { TaskRecord } from '../tasks/task.js';
import type { TaskCatalog } from './catalog.js';
import type { Dispatcher } from './dispatcher.js';
import type { RunLeases } from './run-leases.js';
import type { Instances } from './instances.js';
import type { RunHistory } from './run-history.js';
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
  readonly history: RunHistory;
  readonly instances: Instances;
  readonly instanceId: () => string;
  readonly setState: (state: SchedulerState) => void;
}

/**
 * Starting and stopping the scheduler, each step in its order: at start the executors, the
 * stores, the staged tasks, then dispatching; at shutdown dispatching stops, shutdown-trigger
 * tasks fire, running handlers get one deadline for the whole shutdown, run leases are given
 * back, the run history is written, this instance leaves the stores' list of instances alive,
 * and the stores close last.
 */
export class StartStop {
  constructor(private readonly context: StartStopContext) {}

  startStore(handle: StoreHandle): Promise<void> {
    const { stores, logger, dispatcher, instanceId } = this.context;
    return stores.start(handle, {
      alias: handle.alias,
      logger,
      instanceId: instanceId(),
      wake: () => dispatcher.wakeup(),
      quarantined: (taskId, reason) => handle.reportQuarantined(taskId, reason),
    });
  }

  /** Whether the scheduler was started to observe (see {@link Scheduler.start}'s `observe`). */
  observing = false;

  /**
   * Starts everything; `stopping`, a shutdown under way, is waited for first. An observer starts
   * the stores only: it takes no run leases over, does not join the instances alive, and
   * dispatches nothing.
   */
  async start(paused: boolean, stopping: Promise<void> | undefined, observe = false): Promise<void> {
    const { executors, executorHost, stores, logger, runLeases, events, catalog, dispatcher, setState } = this.context;
    if (stopping !== undefined) await stopping;
    for (const [alias, executor] of executors) executor.start(executorHost, alias);
    try {
      for (const handle of stores.all()) await this.startStore(handle);
    } catch (error) {
      await stores.shutdownAll(logger);
      throw error;
    }
    this.observing = observe;
    setState(paused || observe ? 'paused' : 'running');
    if (!observe) {
      runLeases.start(() => stores.startedHandles());
      await this.context.instances.start();
    }
    events.emit('scheduler:started', { paused: paused || observe });
    await catalog.commitStaged();
    dispatcher.wakeup();
  }

  /** Shuts everything down; `starting`, a start under way, is waited for first. */
  async shutdown({ wait = true, timeout }: ShutdownOptions, starting: Promise<void> | undefined): Promise<void> {
    const { dispatcher, runLeases, stores, logger, events, setState } = this.context;
    if (starting !== undefined) await starting.catch(() => undefined);
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
      throw errors.invalidOption(undefined, 'shutdown timeout', timeout, 'give milliseconds as a finite number >= 0');
    }
    setState('stopped');
    dispatcher.sleep();
    // One deadline for the whole shutdown, however many times the executors are asked.
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    const left = () => (deadline === undefined ? undefined : Math.max(0, deadline - Date.now()));
    // Fires waiting for a run slot give up now (and are reported).
    await dispatcher.stopSlotWaits();
    // An observer runs nothing, shutdown tasks included: they are the running instances'.
    if (!this.observing) await this.fireShutdownTasks();
    // Executors first: their timeout must also bound runs the dispatch round is waiting on.
    await this.shutdownExecutors(wait, left());
    await dispatcher.roundSettled();
    // A round that was committing a batch starts its runs (their fires are committed): wait
    // for those as well, within what is left of the timeout (runs aborted already are not
    // waited for again).
    await this.shutdownExecutors(wait, left());
    await runLeases.flush();
    runLeases.stop();
    await this.context.history.close();
    await this.context.instances.stop();
    await stores.shutdownAll(logger);
    events.emit('scheduler:shutdown', {});
  }

  private async shutdownExecutors(wait: boolean, timeout: number | undefined): Promise<void> {
    await Promise.all(
      [...this.context.executors].map(async ([alias, executor]) => {
        try {
          await executor.shutdown({ wait, timeout });
        } catch (error) {
          this.context.logger.error(`Executor "${alias}" failed to shut down.`, error);
        }
      }),
    );
  }

  private async fireShutdownTasks(): Promise<void> {
    const { stores, logger, runner, clock } = this.context;
    const now = clock();
    const runs: Promise<void>[] = [];
    for (const handle of stores.startedHandles()) {
      let tasks: TaskRecord[];
      try {
        tasks = await handle.all();
      } catch (error) {
        logger.error(`Could not read the shutdown tasks of store "${handle.alias}".`, error);
        continue;
      }
      for (const task of tasks) {
        if (task.trigger.firesOnShutdown !== true) continue;
        const { done } = await runner.submit(task, handle, [now], false);
        if (done !== undefined) runs.push(done);
      }
    }
    await Promise.all(runs);
  }
}
