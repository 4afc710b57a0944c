import type { Logger } from '../logger/logger.js';
import type { StoreContext, TaskStore } from '../stores/store.js';
import type { StoreHandle } from './store-handle.js';
/**
 * The scheduler's stores by alias, and which of them are started. Until its store starts, a
 * task lives in the store's staging area: a memory store of its own, so that a task added before
 * `start()` is kept, found, changed and deleted the way every other task is.
 */
export declare class StoreSet {
    private readonly handleFor;
    private readonly handles;
    private readonly started;
    private readonly staging;
    constructor(handleFor: (alias: string, store: TaskStore) => StoreHandle);
    has(alias: string): boolean;
    add(alias: string, store: TaskStore): StoreHandle;
    /** Forgets a store and its staging area; shuts the store down if it was started. */
    remove(alias: string): Promise<void>;
    /** The store of an alias; an unknown alias is an `UNKNOWN_STORE` error naming the task. */
    get(taskId: string | undefined, alias: string): StoreHandle;
    aliases(): string[];
    all(): StoreHandle[];
    isStarted(alias: string): boolean;
    /** The started stores, in the order they started. */
    startedHandles(): StoreHandle[];
    start(handle: StoreHandle, context: StoreContext): Promise<void>;
    /** Shuts every started store down; one that fails is logged, and the others still are. */
    shutdownAll(logger: Logger): Promise<void>;
    /** The staging area of a store: where its tasks wait until it starts. */
    stagingOf(alias: string): StoreHandle;
}
