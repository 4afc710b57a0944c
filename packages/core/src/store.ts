/**
 * `@horae/core/store`: what the author of a store needs and nothing else — the store contract,
 * the errors it asks for, encryption-key resolution, option-key checks and the logger a store
 * uses before the scheduler starts it. Everything here is also exported by `@horae/core`; this
 * entry keeps a store's imports to the contract it implements.
 *
 * @example
 * ```ts
 * import { resolveEncryptionKey, storeErrors, type StoreContext, type StoredTask, type TaskStore } from '@horae/core/store';
 *
 * export class MyStore implements TaskStore {
 *   readonly persistent = true;
 *   readonly encryptionKey: string | undefined;
 *   private alias = 'default';
 *
 *   constructor(options: { encryptionKey?: string | null } = {}) {
 *     this.encryptionKey = resolveEncryptionKey(options.encryptionKey);
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
  Lease,
  QuarantinedTask,
  RunLease,
  StoreContext,
  StoredTask,
  TaskDispatch,
  TaskRelease,
  TaskStore,
} from './stores/store.js';
export { ENCRYPTION_KEY_VARIABLE, resolveEncryptionKey } from './stores/codec.js';
export { storeErrors } from './stores/store-errors.js';
export { dispatchEach, type DispatchSteps } from './stores/dispatch-each.js';
export { HoraeError, isHoraeError, type HoraeErrorCode } from './errors/index.js';
export { defaultLogger, type Logger } from './logger/logger.js';
export { checkKeys } from './options/keys.js';
