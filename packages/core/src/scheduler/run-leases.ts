import { randomUUID } from 'node:crypto';
import type { SchedulerEventMap, SchedulerEventType } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { TaskDispatch } from '../stores/store.js';
import type { StoreHandle } from './store-handle.js';

interface ActiveRun {
  readonly handle: StoreHandle;
  readonly taskId: string;
}

interface Host {
  readonly logger: Logger;
  emit<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]): void;
}

/**
 * The run leases of one scheduler instance: taken before each run so that `maxInstances` holds
 * across every instance on a store, renewed by a heartbeat while the run goes on, given back
 * when it ends. The same heartbeat collects the expired leases of dead instances and reports
 * their runs as interrupted. A store in this process's memory dies with the process, along with
 * every instance that could hold its leases: its leases never expire and need no heartbeat, so a
 * scheduler on memory stores alone keeps no timer for its runs.
 */
export class RunLeases {
  private readonly active = new Map<string, ActiveRun>();
  /** How many of the active runs hold leases in persistent stores (those that need renewing). */
  private persistentRuns = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private handles: () => readonly StoreHandle[] = () => [];
  /** Stores whose heartbeat failed: one warning per outage, not one per beat. */
  private readonly failing = new Set<StoreHandle>();
  /** Releases waiting to be sent, by store. */
  private readonly releasing = new Map<StoreHandle, { taskId: string; runId: string }[]>();
  private flushing: Promise<void> | undefined;
  /** Releases sent and not yet answered. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    /** This instance's id; read when first needed (see Scheduler.instanceId). */
    private readonly ownerId: () => string,
    private readonly duration: number,
    private readonly host: Host,
  ) {}

  /** Takes a lease for one run; resolves to its id, or `null` when `maxInstances` runs hold one. */
  async acquire(handle: StoreHandle, taskId: string, maxInstances: number, scheduledAt: number): Promise<string | null> {
    const runId = this.newRunId();
    const acquired = await handle.acquireRunLease({ taskId, runId, owner: this.ownerId(), scheduledAt }, maxInstances, this.durationIn(handle));
    if (!acquired) return null;
    this.adopt(handle, taskId, runId);
    return runId;
  }

  /** A run id for a lease taken elsewhere (a batched dispatch) and then {@link RunLeases.adopt}ed. */
  newRunId(): string {
    return randomUUID();
  }

  /** The lease to ask for with a run, for a store that records it along with the dispatch. */
  lease(handle: StoreHandle, taskId: string, runId: string, scheduledAt: number, maxInstances: number): NonNullable<TaskDispatch['run']> {
    return { lease: { taskId, runId, owner: this.ownerId(), scheduledAt }, maxInstances, duration: this.durationIn(handle) };
  }

  /** A lease's duration in a store: unbounded in one that lives and dies with this process. */
  private durationIn(handle: StoreHandle): number {
    return handle.persistent ? this.duration : Infinity;
  }

  /** Starts renewing a lease the store recorded, until it is released. */
  adopt(handle: StoreHandle, taskId: string, runId: string): void {
    this.active.set(runId, { handle, taskId });
    if (handle.persistent) this.persistentRuns += 1;
    this.arm();
  }

  /**
   * Gives a run's lease back. Releases that come together (the runs of one batch settling) go to
   * the store in one call, a moment later; the promise settles once that call has.
   */
  release(runId: string): Promise<void> {
    const run = this.active.get(runId);
    if (run === undefined) return Promise.resolve();
    this.active.delete(runId);
    if (run.handle.persistent) this.persistentRuns -= 1;
    this.arm();
    let queue = this.releasing.get(run.handle);
    if (queue === undefined) this.releasing.set(run.handle, (queue = []));
    queue.push({ taskId: run.taskId, runId });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.flushing;
  }

  /**
   * Sends the queued releases now; resolves when the stores answered (or failed) — those of
   * releases sent earlier too, so that a store is not shut down under one still in flight.
   */
  async flush(): Promise<void> {
    this.flushing = undefined;
    const batches = [...this.releasing];
    this.releasing.clear();
    const sending = this.send(batches);
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
    await Promise.all(this.sending);
  }

  /** Never rejects: a failed release is logged. */
  private async send(batches: [StoreHandle, { taskId: string; runId: string }[]][]): Promise<void> {
    await Promise.all(
      batches.map(async ([handle, leases]) => {
        try {
          await handle.releaseRunLeases(leases);
        } catch (error) {
          // They expire by themselves; the only cost is a late "interrupted" report.
          const tasks = [...new Set(leases.map((lease) => `"${lease.taskId}"`))].slice(0, 10).join(', ');
          this.host.logger.warn(`Could not release the run leases of task(s) ${tasks} in store "${handle.alias}".`, error);
        }
      }),
    );
  }

  /** Starts beating for these stores, whenever there is something to beat for. */
  start(handles: () => readonly StoreHandle[]): void {
    this.handles = handles;
    this.arm();
  }

  stop(): void {
    this.handles = () => [];
    this.arm();
  }

  /**
   * The heartbeat runs while this instance has runs to renew in a persistent store, or shares one
   * whose dead instances' runs need reporting; a scheduler on memory stores alone keeps none. It
   * never keeps the process alive by itself.
   */
  private arm(): void {
    const needed = this.persistentRuns > 0 || this.handles().some((handle) => handle.persistent);
    if (needed && this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => void this.beat(this.handles()), Math.max(10, Math.floor(this.duration / 3)));
      // Workers' timers are numbers, with nothing to unref (and no process to keep alive).
      (this.heartbeat as { unref?: () => void }).unref?.();
    } else if (!needed && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Renews this instance's leases and reports runs whose instance stopped renewing theirs. */
  async beat(handles: Iterable<StoreHandle>): Promise<void> {
    for (const handle of handles) {
      try {
        if (!handle.persistent) continue;
        const mine = [...this.active].filter(([, run]) => run.handle === handle).map(([runId]) => runId);
        if (mine.length > 0) await handle.renewRunLeases(this.ownerId(), mine, this.duration);
        for (const lease of await handle.takeExpiredRunLeases()) {
          const scheduledAt = new Date(lease.scheduledAt);
          this.host.logger.warn(
            `Task "${lease.taskId}": its run for ${scheduledAt.toISOString()} on instance ${lease.owner} stopped reporting and is taken as interrupted.`,
          );
          this.host.emit('task:interrupted', { taskId: lease.taskId, store: handle.alias, scheduledAt, owner: lease.owner });
        }
        if (this.failing.delete(handle)) this.host.logger.info(`The run-lease heartbeat for store "${handle.alias}" works again.`);
      } catch (error) {
        if (this.failing.has(handle)) continue;
        this.failing.add(handle);
        this.host.logger.warn(`The run-lease heartbeat for store "${handle.alias}" failed; it keeps trying.`, error);
      }
    }
  }
}
