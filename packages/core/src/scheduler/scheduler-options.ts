import { errors } from '../errors/index.js';
import type { Executor } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import { checkKeys } from '../options/keys.js';
import { resolveEncryptionKey } from '../stores/codec.js';
import type { TaskStore } from '../stores/store.js';
import { BUILTIN_TASK_DEFAULTS, type TaskDefaults } from '../tasks/task.js';
import { isValidTimezone, systemTimezone } from '../time/time.js';
import { checkTaskDefaults, TASK_DEFAULT_KEYS } from './task-options.js';

/** Options of the {@link Scheduler}. @public */
export interface SchedulerOptions {
  /** Stores by alias; a `default` `MemoryStore` is added when none is named `default`. */
  stores?: Record<string, TaskStore>;
  /** Executors by alias; a `default` `AsyncExecutor` is added when none is named `default`. */
  executors?: Record<string, Executor>;
  /** IANA time zone for triggers that name none; default the system's. */
  timezone?: string;
  /** Defaults for task options. */
  taskDefaults?: Partial<TaskDefaults>;
  /** Where to log; default: warnings and errors to the console. */
  logger?: Logger;
  /** Let the process exit while the scheduler waits for its next run (default `false`). */
  unrefTimer?: boolean;
  /** How many due tasks to take from a store in one call (default 100). */
  batchSize?: number;
  /** How long to wait before asking a failing store again, ms (default 10,000). */
  storeRetryInterval?: number;
  /**
   * How long a claim on a due task and a run lease hold without renewal, ms (default 5,000; they
   * are renewed every third of it, in one store call per period whatever the number of runs).
   * When an instance dies, its claimed fires run elsewhere at most this much later, its runs are
   * reported as interrupted after this long, and fires refused meanwhile under `maxInstances`
   * (its runs still count) are reported as `task:max-instances`. The trade-off: an event loop
   * blocked longer than this lets another instance take the task for dead and start a second
   * run of it; keep it above the longest stall you expect.
   */
  leaseDuration?: number;
  /** This instance's id in leases; default host name, process id and a random suffix. */
  instanceId?: string;
  /**
   * The clock the scheduler reads, epoch ms; default `Date.now`. Stores with a clock of their own
   * (Redis, MongoDB) judge claims on theirs, so instances whose clocks disagree still agree.
   */
  clock?: () => number;
  /**
   * Encrypts the records of its persistent stores (AES-256-GCM, each sealed against tampering;
   * see the README's "Encryption"); any length of key material. Default: the
   * `HORAE_STORE_ENCRYPTION_KEY` environment variable; `null` turns encryption off. Every
   * instance that shares a store needs the same key. Memory stores keep live records and are
   * never encrypted.
   */
  encryptionKey?: string | null;
  /**
   * The run history kept in the stores that can keep one (all of Horae's): every run, missed
   * fire and refused run, shared by the instances of the store (see `Scheduler.getRuns`).
   * `perTask`: the newest runs kept per task (default 50); `maxAge`: ms after which a run is
   * dropped (default 7 days). `false` records none.
   */
  runHistory?: false | { perTask?: number; maxAge?: number };
}

/** The scheduler's state. @public */
export type SchedulerState = 'stopped' | 'running' | 'paused';

/** Options of {@link Scheduler.shutdown}. @public */
export interface ShutdownOptions {
  /** Wait for running handlers (default `true`); `false` aborts them through `ctx.signal` at once. */
  wait?: boolean;
  /** With `wait`, abort handlers still running after this many ms; default: wait as long as they take. */
  timeout?: number;
}

/** The keys of {@link SchedulerOptions}: others are refused. */
const SCHEDULER_OPTION_KEYS = ['stores', 'executors', 'timezone', 'taskDefaults', 'logger', 'unrefTimer', 'batchSize', 'storeRetryInterval', 'leaseDuration', 'instanceId', 'clock', 'encryptionKey', 'runHistory'] as const;

/** The scheduler's settings, checked, with their defaults. */
export interface SchedulerSettings {
  readonly timezone: string;
  readonly taskDefaults: TaskDefaults;
  readonly batchSize: number;
  readonly storeRetryInterval: number;
  readonly leaseDuration: number;
  readonly clock: () => number;
  /** The key records of persistent stores are encrypted with, if any. */
  readonly encryptionKey: string | undefined;
  /** How much run history to keep; `undefined`: none. */
  readonly runHistory: { readonly perTask: number; readonly maxAge: number } | undefined;
}

const DAY = 24 * 60 * 60 * 1000;

function readRunHistory(option: SchedulerOptions['runHistory']): SchedulerSettings['runHistory'] {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw errors.invalidOption(undefined, 'runHistory', option, 'give { perTask, maxAge }, or false to keep no history');
  }
  if (option !== undefined) checkKeys('runHistory', option, ['perTask', 'maxAge']);
  const { perTask = 50, maxAge = 7 * DAY } = option ?? {};
  if (!Number.isInteger(perTask) || perTask < 1 || perTask > 10_000) {
    throw errors.invalidOption(undefined, 'runHistory.perTask', perTask, 'give a whole number from 1 to 10,000');
  }
  if (!Number.isFinite(maxAge) || maxAge < 1_000) {
    throw errors.invalidOption(undefined, 'runHistory.maxAge', maxAge, 'give milliseconds as a finite number >= 1000');
  }
  return { perTask, maxAge };
}

/** Checks the scheduler's options (unknown keys refused) and fills in their defaults. */
export function readSchedulerOptions(options: SchedulerOptions): SchedulerSettings {
  checkKeys('the scheduler options', options, SCHEDULER_OPTION_KEYS);
  if (options.taskDefaults !== undefined) checkKeys('taskDefaults', options.taskDefaults, TASK_DEFAULT_KEYS);
  const timezone = options.timezone ?? systemTimezone();
  if (!isValidTimezone(timezone)) throw errors.invalidTimezone(undefined, timezone);
  const taskDefaults = { ...BUILTIN_TASK_DEFAULTS, ...options.taskDefaults };
  checkTaskDefaults(undefined, taskDefaults, 'taskDefaults.');
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw errors.invalidOption(undefined, 'batchSize', options.batchSize, 'give a whole number >= 1');
  }
  const storeRetryInterval = options.storeRetryInterval ?? 10_000;
  if (!Number.isFinite(storeRetryInterval) || storeRetryInterval <= 0) {
    throw errors.invalidOption(undefined, 'storeRetryInterval', options.storeRetryInterval, 'give milliseconds as a finite number > 0');
  }
  const leaseDuration = options.leaseDuration ?? 5_000;
  if (!Number.isFinite(leaseDuration) || leaseDuration < 30) {
    throw errors.invalidOption(undefined, 'leaseDuration', options.leaseDuration, 'give milliseconds as a finite number >= 30');
  }
  const { encryptionKey } = options;
  if (encryptionKey !== undefined && encryptionKey !== null && (typeof encryptionKey !== 'string' || encryptionKey === '')) {
    throw errors.invalidEncryptionKey(encryptionKey);
  }
  return {
    timezone,
    taskDefaults,
    batchSize,
    storeRetryInterval,
    leaseDuration,
    clock: options.clock ?? (() => Date.now()),
    encryptionKey: resolveEncryptionKey(encryptionKey),
    runHistory: readRunHistory(options.runHistory),
  };
}
