/**
 * `@horae/core/store`: what the author of a store needs and nothing else — the store contract,
 * the errors it asks for, option checks and the logger a store uses before the scheduler starts
 * it. Everything here is also exported by `@horae/core`; this entry keeps a store's imports to
 * the contract it implements. A store keeps what it is given: encoding and encryption happen in
 * the scheduler, above it.
 *
 * @example
 * ```ts
 * import { checkStoreOptions, storeErrors, type StoreContext, type StoredTask, type TaskStore } from '@horae/core/store';
 *
 * export class MyStore implements TaskStore {
 *   readonly persistent = true;
 *   private alias = 'default';
 *
 *   constructor(private readonly options: { url: string }) {
 *     checkStoreOptions('MyStore', options, ['url']);
 *   }
 *
 *   async start(context: StoreContext): Promise<void> {
 *     this.alias = context.alias;
 *   }
 *
 *   async addTask(task: StoredTask): Promise<void> {
 *     if (await this.exists(task.id)) throw storeErrors.conflictingId(task.id, this.alias);
 *     // ...
 *   }
 *   // ...and the rest of TaskStore
 * }
 * ```
 *
 * @packageDocumentation
 */
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
export { storeErrors } from './stores/store-errors.js';
export { checkStoreOptions } from './stores/store-options.js';
export { dispatchEach, type DispatchEachOptions, type DispatchSteps } from './stores/dispatch-each.js';
export { HoraeError, isHoraeError, type HoraeErrorCode } from './errors/index.js';
export { defaultLogger, type Logger } from './logger/logger.js';
export { checkKeys } from './options/keys.js';
