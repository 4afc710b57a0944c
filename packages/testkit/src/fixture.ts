import type { TaskStore } from '@horae/core';

/** One empty place for tasks (a directory, a database, a key prefix), for one test. */
export interface StoreBackend {
  /**
   * Opens a store on this backend. Every call may return a new instance; all instances see the
   * same tasks, as the replicas of an application would.
   */
  open(): TaskStore;
  /** Stores a record under `id` that no reader can decode (a persistent backend's raw write). */
  writeCorruptRecord?(id: string): Promise<void>;
  /** Removes everything the backend created. */
  cleanup(): Promise<void>;
}

/** How the conformance suite gets at a store implementation. */
export interface StoreFixture {
  /** Shown in test names, e.g. `'FileStore'`. */
  name: string;
  /** Makes a fresh, empty backend. */
  backend(): Promise<StoreBackend>;
  /** Whether the store is persistent (JSON payloads, encryption, quarantine of bad records). */
  persistent: boolean;
  /**
   * For the multi-process tests: an absolute path of a module, runnable by `node --import tsx`,
   * that exports `openStore(config)` returning a store on the backend `config` describes, and the
   * JSON config of a backend. Omit for stores that live in one process only.
   */
  processes?: {
    storeModule: string;
    config(backend: StoreBackend): unknown;
    /** How many tasks fire every second (default 5). */
    tasks?: number;
    /** How long the replicas run, ms (default 20,000); one is killed somewhere in the middle. */
    runFor?: number;
  };
  /**
   * For a store that claims by its server's clock (Redis `TIME`, MongoDB `$$NOW`): reads that
   * clock on the backend, epoch ms. With it the suite also checks that claims ignore the callers'
   * clocks.
   */
  serverClock?(backend: StoreBackend): Promise<number>;
  /** How long (ms) the real-time fire-count test runs; default 20,000. */
  fireCountDuration?: number;
}
