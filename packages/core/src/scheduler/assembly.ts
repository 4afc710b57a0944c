import type { EventHub } from '../events/events.js';
import type { Executor, ExecutorHost } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import type { HandlerDefinition } from '../tasks/task.js';
import type { TriggerRegistry } from '../triggers/registry.js';
import { TaskCatalog } from './catalog.js';
import { Dispatcher } from './dispatcher.js';
import { Quarantine } from './quarantine.js';
import { Instances } from './instances.js';
import { RunHistory } from './run-history.js';
import { RunLeases } from './run-leases.js';
import { Runner } from './runner.js';
import type { SchedulerSettings, SchedulerState } from './scheduler-options.js';
import { StartStop } from './start-stop.js';
import { StoreHandle } from './store-handle.js';
import { StoreSet } from './stores.js';
import { TaskOptions } from './task-options.js';

/** What the rooms share with the facade: its registries, and its state. */
export interface Facade {
  readonly logger: Logger;
  readonly events: EventHub;
  readonly triggers: TriggerRegistry;
  readonly executors: Map<string, Executor>;
  readonly handlers: Map<string, HandlerDefinition>;
  readonly unrefTimer: boolean;
  readonly instanceId: () => string;
  readonly state: () => SchedulerState;
  readonly setState: (state: SchedulerState) => void;
}

/** The rooms of one scheduler. */
export interface Rooms {
  readonly executorHost: ExecutorHost;
  readonly runLeases: RunLeases;
  readonly runner: Runner;
  readonly stores: StoreSet;
  readonly dispatcher: Dispatcher;
  readonly options: TaskOptions;
  readonly catalog: TaskCatalog;
  readonly startStop: StartStop;
  readonly quarantine: Quarantine;
  readonly history: RunHistory;
  readonly instances: Instances;
}

/** Builds a scheduler's rooms and wires them to each other: who needs whom, in one place. */
export function assemble(settings: SchedulerSettings, facade: Facade): Rooms {
  const { logger, events, triggers, executors, handlers, instanceId, state, setState } = facade;
  const { timezone, taskDefaults, clock, leaseDuration, encryptionKey } = settings;
  const executorHost: ExecutorHost = { logger, emit: (type, payload) => events.emit(type, payload) };
  const runLeases = new RunLeases(instanceId, leaseDuration, executorHost);
  const runner = new Runner({ logger, events, executors, handlers, runLeases });
  const stores = new StoreSet(
    (alias, store) =>
      new StoreHandle(alias, store, { triggers, timezone, encryptionKey }, {
        quarantined: (taskId, storeAlias, reason, error) => {
          logger.error(`Task "${taskId}" in store "${storeAlias}" was moved to the quarantine: ${reason}.`);
          events.emit('task:quarantined', { taskId, store: storeAlias, reason, error });
        },
        observing: (): boolean => startStop.observing,
        unreadable: (taskId, storeAlias, reason) => logger.warn(`Task "${taskId}" in store "${storeAlias}" was left out: ${reason}. It stays in the store (this scheduler only observes).`),
      }),
  );
  const dispatcher = new Dispatcher({
    logger,
    events,
    clock,
    instanceId,
    leaseDuration,
    batchSize: settings.batchSize,
    storeRetryInterval: settings.storeRetryInterval,
    unrefTimer: facade.unrefTimer,
    runner,
    runLeases,
    state,
    stores: () => stores.startedHandles(),
  });
  const notifyRunTime = (time: number | null): void => dispatcher.notifyRunTime(time);
  const options = new TaskOptions({
    triggers,
    timezone,
    taskDefaults,
    handlers,
    executors,
    clock,
    isPersistent: (taskId, alias) => stores.get(taskId, alias).persistent,
    observing: (): boolean => startStop.observing,
  });
  const catalog = new TaskCatalog({ stores, options, events, logger, executors, notifyRunTime, timezone });
  const history = new RunHistory({ stores, events, logger, clock, instanceId, retention: settings.runHistory, unrefTimer: facade.unrefTimer });
  // Beats as often as claims are renewed: a dead instance drops out of the list about when its claims expire.
  const instances = new Instances({ stores, handlers, instanceId, logger, interval: leaseDuration, unrefTimer: facade.unrefTimer });
  const startStop: StartStop = new StartStop({ logger, events, clock, executors, executorHost, stores, runLeases, runner, dispatcher, catalog, history, instances, instanceId, setState });
  const quarantine = new Quarantine({ stores, runner, events, notifyRunTime, observing: () => startStop.observing });
  return { executorHost, runLeases, runner, stores, dispatcher, options, catalog, startStop, quarantine, history, instances };
}
