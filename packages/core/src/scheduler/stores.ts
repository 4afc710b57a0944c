import { errors } from '../errors/index.js';
import type { Logger } from '../logger/logger.js';
import { MemoryStore } from '../stores/memory.js';
import type { StoreContext, TaskStore } from '../stores/store.js';
import type { StoreHandle } from './store-handle.js';

/**
 * The scheduler's stores by alias, and which of them are started. Until its store starts, a
 * task lives in the store's staging area: a memory store of its own, so that a task added before
 * `start()` is kept, found, changed and deleted the way every other task is.
 */
export class StoreSet {
  private readonly handles = new Map<string, StoreHandle>();
  private readonly started = new Set<string>();
  /** {@link startedHandles}' answer until the started stores change (it is asked on every run). */
  private startedCache: readonly StoreHandle[] | undefined;
  private readonly staging = new Map<string, StoreHandle>();

  constructor(private readonly handleFor: (alias: string, store: TaskStore) => StoreHandle) {}

  has(alias: string): boolean {
    return this.handles.has(alias);
  }

  add(alias: string, store: TaskStore): StoreHandle {
    const handle = this.handleFor(alias, store);
    this.handles.set(alias, handle);
    this.startedCache = undefined;
    return handle;
  }

  /** Forgets a store and its staging area; shuts the store down if it was started. */
  async remove(alias: string): Promise<void> {
    const handle = this.get(undefined, alias);
    this.handles.delete(alias);
    this.staging.delete(alias);
    this.startedCache = undefined;
    if (this.started.delete(alias)) await handle.shutdown();
  }

  /** The store of an alias; an unknown alias is an `UNKNOWN_STORE` error naming the task. */
  get(taskId: string | undefined, alias: string): StoreHandle {
    const handle = this.handles.get(alias);
    if (handle === undefined) throw errors.unknownStore(taskId, alias, this.aliases());
    return handle;
  }

  aliases(): string[] {
    return [...this.handles.keys()];
  }

  all(): StoreHandle[] {
    return [...this.handles.values()];
  }

  isStarted(alias: string): boolean {
    return this.started.has(alias);
  }

  /** The started stores, in the order they started. */
  startedHandles(): readonly StoreHandle[] {
    return (this.startedCache ??= [...this.started].flatMap((alias) => this.handles.get(alias) ?? []));
  }

  async start(handle: StoreHandle, context: StoreContext): Promise<void> {
    await handle.start(context);
    this.started.add(handle.alias);
    this.startedCache = undefined;
  }

  /** Shuts every started store down; one that fails is logged, and the others still are. */
  async shutdownAll(logger: Logger): Promise<void> {
    for (const handle of this.startedHandles()) {
      this.started.delete(handle.alias);
      this.startedCache = undefined;
      try {
        await handle.shutdown();
      } catch (error) {
        logger.error(`Store "${handle.alias}" failed to shut down.`, error);
      }
    }
  }

  /** The staging area of a store: where its tasks wait until it starts. */
  stagingOf(alias: string): StoreHandle {
    let staging = this.staging.get(alias);
    if (staging === undefined) {
      const memory = new MemoryStore();
      // Named as the store it stands for, so that its errors name that store.
      void memory.start({ alias });
      staging = this.handleFor(alias, memory);
      this.staging.set(alias, staging);
    }
    return staging;
  }
}
