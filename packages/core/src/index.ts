/**
 * `@horae/core`: a framework-free task scheduler for Node.js.
 *
 * @packageDocumentation
 */
export { Scheduler, type SchedulerOptions, type SchedulerState, type ShutdownOptions } from './scheduler/scheduler.js';
export { Task } from './scheduler/task-handle.js';
export type { TaskInfo, TaskInfoQuery, TaskPage, TaskPageQuery, TaskSortKey, TaskState } from './scheduler/inspection.js';
export {
  moduleHandler,
  type AddTaskOptions,
  type HandlerDefinition,
  type ModuleHandler,
  type RunContext,
  type TaskChanges,
  type TaskDefaults,
  type TaskHandler,
  type TaskRecord,
} from './tasks/task.js';
export * from './triggers/index.js';
export type {
  ClaimOptions,
  DispatchOutcome,
  HeldRunLease,
  Lease,
  QuarantinedTask,
  RunLease,
  RunRetention,
  StoreContext,
  StoredInstance,
  StoredRun,
  StoredTask,
  SynchronousDispatch,
  TaskDispatch,
  TaskRelease,
  TaskStore,
} from './stores/store.js';
export { ENCRYPTION_KEY_VARIABLE, RECORD_SCHEMA_VERSION } from './stores/codec.js';
export { storeErrors } from './stores/store-errors.js';
export { checkStoreOptions } from './stores/store-options.js';
export { dispatchEach, type DispatchEachOptions, type DispatchSteps } from './stores/dispatch-each.js';
export { MemoryStore } from './stores/memory.js';
export type { RunOutcome, TaskRun } from './history/task-run.js';
export type { InstanceInfo, InstanceRun } from './cluster/instance.js';
export { FileStore, type FileStoreOptions } from './stores/file/file-store.js';
export { BaseExecutor, type Execution, type Executor, type ExecutorHost, type ExecutorShutdownOptions } from './executors/executor.js';
export { AsyncExecutor } from './executors/async.js';
export { InlineExecutor } from './executors/inline.js';
export { WorkerExecutor, type WorkerExecutorOptions } from './executors/worker.js';
export type { SchedulerEvent, SchedulerEventMap, SchedulerEventType, SchedulerListener } from './events/events.js';
export { HoraeError, isHoraeError, type HoraeErrorCode } from './errors/index.js';
export { defaultLogger, type Logger } from './logger/logger.js';
export type { DateInput } from './time/time.js';
export { Scheduled } from './declarations/scheduled.js';
export type { ScheduledOptions } from './declarations/scheduled-options.js';
export { scheduledTaskId, scheduledTaskOptions, SCHEDULED_OPTION_KEYS } from './declarations/scheduled-options.js';
export {
  bindLifecycle,
  DEFAULT_SHUTDOWN_TIMEOUT,
  readShutdownTimeout,
  type Lifecycle,
  type LifecycleOptions,
} from './lifecycle/lifecycle.js';
export { nodeServerHost, type NodeServerLike, type ServerHost } from './lifecycle/server-host.js';
export { listenWithLifecycle, type ListenOptions } from './lifecycle/listen.js';
export { restoreParsedBody, type ParsedRequestLike } from './lifecycle/parsed-body.js';
export { runCronWindow, type CronInvocation, type CronWindowReport } from './serverless/cron-window.js';
export { checkKeys } from './options/keys.js';
