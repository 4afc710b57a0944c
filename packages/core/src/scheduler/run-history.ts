import { randomUUID } from 'node:crypto';
import type { EventHub, SchedulerEventMap, SchedulerEventType } from '../events/events.js';
import { errorSummary, fireTimesOf, resultSummary, runFromJSON, type PendingRun, type RunOutcome, type TaskRun, type TaskRunJSON } from '../history/task-run.js';
import type { Logger } from '../logger/logger.js';
import type { RunRetention } from '../stores/store.js';
import type { StoreSet } from './stores.js';

/** How long a finished run waits to be written with others, ms: off the dispatch path, in batches. */
const FLUSH_DELAY = 200;
/** Written at once when this many runs wait. */
const FLUSH_AT = 1_000;
/** Runs kept per store while it cannot be written to; past this the oldest are dropped, and said so. */
const BUFFER_LIMIT = 10_000;

/** What the history needs of the scheduler. */
export interface RunHistoryContext {
  readonly stores: StoreSet;
  readonly events: EventHub;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly instanceId: () => string;
  readonly retention: Omit<RunRetention, 'now'> | undefined;
  readonly unrefTimer: boolean;
}

/**
 * The run history: turns each run's outcome (the scheduler's own events, seen through the event
 * hub's tap, so that no event object is made for it) into a record and writes them to the task's
 * store in batches, a moment after they end: recording costs the dispatch path one small object
 * per run. Stores that keep no history are skipped. Each run written is announced as
 * `run:recorded`.
 */
export class RunHistory {
  private readonly waiting = new Map<string, PendingRun[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Stores whose last write failed: one log line per outage, not one per batch. */
  private readonly failing = new Set<string>();

  constructor(private readonly context: RunHistoryContext) {
    if (context.retention === undefined) return;
    context.events.tap((type, payload) => this.observe(type, payload));
  }

  /** Writes what waits now; resolves when it is written (or kept for later, if its store failed). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.waiting];
    this.waiting.clear();
    // Never left rejected: a failure here must not stop every later write.
    this.flushing = this.flushing.then(() => this.write(batches)).catch((error: unknown) => this.context.logger.error('The run history could not be written.', error));
    return this.flushing;
  }

  /** A task's runs from the given stores, newest first (see `Scheduler.getRuns`). */
  async read(taskId: string, aliases: readonly string[], query: { limit: number; before?: number }): Promise<TaskRun[]> {
    const { stores, logger, clock, retention } = this.context;
    const oldest = retention === undefined ? -Infinity : clock() - retention.maxAge;
    const runs: TaskRun[] = [];
    for (const alias of aliases) {
      if (!stores.isStarted(alias)) continue;
      const handle = stores.get(taskId, alias);
      const unreadable = (error: Error): void => logger.warn(`Store "${alias}": ${error.message}; it is left out of the history.`);
      runs.push(...(await handle.getRuns(taskId, query, unreadable)));
    }
    // A store drops runs past the age in its own time (an expiry, a TTL index): not shown meanwhile.
    return runs
      .filter((run) => run.endedAt.getTime() >= oldest)
      .sort((a, b) => b.endedAt.getTime() - a.endedAt.getTime())
      .slice(0, query.limit);
  }

  /** At shutdown, before the stores close: writes what waits; what its store refuses even now is dropped, and said so. */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [alias, runs] of this.waiting) {
      this.context.logger.warn(`Store "${alias}" could not record ${runs.length} run(s) in the run history before shutdown; they were dropped.`);
    }
    this.waiting.clear();
  }

  private observe<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]): void {
    switch (type) {
      case 'task:executed': {
        const { taskId, store, scheduledAt, duration, result } = payload as SchedulerEventMap['task:executed'];
        const summary = resultSummary(result);
        return this.add(taskId, store, 'succeeded', [scheduledAt.getTime()], duration, summary === undefined ? undefined : { result: summary });
      }
      case 'task:error': {
        const { taskId, store, scheduledAt, duration, error } = payload as SchedulerEventMap['task:error'];
        return this.add(taskId, store, 'failed', [scheduledAt.getTime()], duration, { error: errorSummary(error) });
      }
      case 'task:interrupted': {
        const { taskId, store, scheduledAt, owner } = payload as SchedulerEventMap['task:interrupted'];
        return this.add(taskId, store, 'interrupted', [scheduledAt.getTime()], null, undefined, owner);
      }
      case 'task:missed':
      case 'task:max-instances': {
        const { taskId, store, scheduledRunTimes } = payload as SchedulerEventMap['task:missed'];
        return this.add(taskId, store, type === 'task:missed' ? 'missed' : 'skipped', scheduledRunTimes.map((time) => time.getTime()), null);
      }
      default:
        return;
    }
  }

  private add(
    taskId: string,
    store: string,
    outcome: RunOutcome,
    scheduledAt: number[],
    duration: number | null,
    details?: Pick<TaskRunJSON, 'error' | 'result'>,
    instanceId = this.context.instanceId(),
  ): void {
    const json: TaskRunJSON = { v: 1, scheduledAt: fireTimesOf(scheduledAt), instanceId, duration, outcome, ...details };
    let list = this.waiting.get(store);
    if (list === undefined) this.waiting.set(store, (list = []));
    list.push({ taskId, runId: randomUUID(), endedAt: this.context.clock(), json });
    if (list.length >= FLUSH_AT) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY);
      this.unref();
    }
  }

  private async write(batches: [string, PendingRun[]][]): Promise<void> {
    const { stores, logger, events, clock, retention } = this.context;
    for (const [alias, runs] of batches) {
      if (!stores.has(alias) || !stores.isStarted(alias)) continue;
      const handle = stores.get(undefined, alias);
      if (!handle.keepsRuns) continue;
      try {
        await handle.addRuns(runs, { ...retention!, now: clock() });
      } catch (error) {
        if (!this.failing.has(alias)) logger.error(`Store "${alias}" could not record ${runs.length} run(s) in the run history; they are kept and retried.`, error);
        this.failing.add(alias);
        this.keep(alias, runs);
        continue;
      }
      if (this.failing.delete(alias)) logger.info(`Store "${alias}" records the run history again.`);
      if (!events.has('run:recorded')) continue;
      for (const { taskId, runId, endedAt, json } of runs) events.emit('run:recorded', { taskId, store: alias, run: runFromJSON(taskId, runId, endedAt, json) });
    }
  }

  /** Puts runs that could not be written back in front of the waiting ones, within the limit. */
  private keep(alias: string, runs: PendingRun[]): void {
    const kept = [...runs, ...(this.waiting.get(alias) ?? [])];
    const dropped = kept.length - BUFFER_LIMIT;
    if (dropped > 0) {
      kept.splice(0, dropped);
      this.context.logger.warn(`Store "${alias}" is still not recording the run history: the ${dropped} oldest waiting run(s) were dropped, ${BUFFER_LIMIT} are kept.`);
    }
    this.waiting.set(alias, kept);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY * 25);
      this.unref();
    }
  }

  private unref(): void {
    // Workers' timers are numbers, with nothing to unref.
    if (this.context.unrefTimer) (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }
}
