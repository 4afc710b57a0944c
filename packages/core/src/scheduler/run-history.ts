import { randomUUID } from 'node:crypto';
import type { EventHub, SchedulerEvent } from '../events/events.js';
import { errorSummary, fireTimesOf, resultSummary, type RunOutcome, type TaskRun } from '../history/task-run.js';
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
 * The run history: turns each run's outcome (the scheduler's own events) into a {@link TaskRun}
 * and writes them to the task's store in batches, a moment after they end, so that recording
 * costs the dispatch path one object per run. Stores that keep no history are skipped. Each run
 * written is announced as `run:recorded`.
 */
export class RunHistory {
  private readonly waiting = new Map<string, TaskRun[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Stores whose last write failed: one log line per outage, not one per batch. */
  private readonly failing = new Set<string>();

  constructor(private readonly context: RunHistoryContext) {
    if (context.retention === undefined) return;
    const { events } = context;
    events.on('task:executed', (event) => this.add(event, 'succeeded', [event.scheduledAt], { duration: event.duration, result: resultSummary(event.result) }));
    events.on('task:error', (event) => this.add(event, 'failed', [event.scheduledAt], { duration: event.duration, error: errorSummary(event.error) }));
    events.on('task:interrupted', (event) => this.add(event, 'interrupted', [event.scheduledAt], { instanceId: event.owner }));
    events.on('task:missed', (event) => this.add(event, 'missed', event.scheduledRunTimes, {}));
    events.on('task:max-instances', (event) => this.add(event, 'skipped', event.scheduledRunTimes, {}));
  }

  /** Writes what waits now; resolves when it is written (or kept for later, if its store failed). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.waiting];
    this.waiting.clear();
    this.flushing = this.flushing.then(() => this.write(batches));
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
    // A store trims by age when it next writes: runs past the age are not shown meanwhile.
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

  private add(
    event: SchedulerEvent,
    outcome: RunOutcome,
    scheduledAt: readonly Date[],
    details: { duration?: number; result?: string; error?: TaskRun['error']; instanceId?: string },
  ): void {
    const { taskId, store } = event as SchedulerEvent & { taskId: string; store: string };
    const endedAt = event.at;
    const ran = details.duration !== undefined;
    const run: TaskRun = {
      taskId,
      runId: randomUUID(),
      scheduledAt: fireTimesOf(scheduledAt.map((time) => time.getTime())).map((time) => new Date(time)),
      instanceId: details.instanceId ?? this.context.instanceId(),
      startedAt: ran ? new Date(endedAt.getTime() - Math.round(details.duration!)) : null,
      endedAt,
      duration: ran ? details.duration! : null,
      outcome,
      ...(details.error === undefined ? {} : { error: details.error }),
      ...(details.result === undefined ? {} : { result: details.result }),
    };
    let list = this.waiting.get(store);
    if (list === undefined) this.waiting.set(store, (list = []));
    list.push(run);
    if (list.length >= FLUSH_AT) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY);
      if (this.context.unrefTimer) this.timer.unref();
    }
  }

  private async write(batches: [string, TaskRun[]][]): Promise<void> {
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
      for (const run of runs) events.emit('run:recorded', { taskId: run.taskId, store: alias, run });
    }
  }

  /** Puts runs that could not be written back in front of the waiting ones, within the limit. */
  private keep(alias: string, runs: TaskRun[]): void {
    const kept = [...runs, ...(this.waiting.get(alias) ?? [])];
    const dropped = kept.length - BUFFER_LIMIT;
    if (dropped > 0) {
      kept.splice(0, dropped);
      this.context.logger.warn(`Store "${alias}" is still not recording the run history: the ${dropped} oldest waiting run(s) were dropped, ${BUFFER_LIMIT} are kept.`);
    }
    this.waiting.set(alias, kept);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY * 25);
      if (this.context.unrefTimer) this.timer.unref();
    }
  }
}
