import { errors } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { DispatchOutcome, SynchronousDispatch, TaskDispatch } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { RunLeases } from './run-leases.js';
import { planRuns, type RunPlan } from './run-plan.js';
import type { PreparedRun, Runner } from './runner.js';
import type { StoreHandle } from './store-handle.js';
import { SlotWaits } from './slot-waits.js';
import { WakeTimer } from './wake-timer.js';

/** When the loop made no progress yet a store reports work due, look again after this long (ms). */
const IDLE_RECHECK = 10;

/** Rounds run back to back in one turn (each asked for by a handler) before yielding to the event loop. */
const MAX_ROUNDS_IN_ONE_TURN = 100;

/** What a round found so far: when to look again, and how many tasks it dispatched. */
class Tally {
  wakeAt: number | null = null;
  dispatched = 0;

  earlier(time: number | null): void {
    if (time !== null && (this.wakeAt === null || time < this.wakeAt)) this.wakeAt = time;
  }
}

/** What the dispatcher needs of the scheduler. */
export interface DispatcherContext {
  readonly logger: Logger;
  readonly events: EventHub;
  readonly clock: () => number;
  readonly instanceId: () => string;
  readonly leaseDuration: number;
  readonly batchSize: number;
  readonly storeRetryInterval: number;
  readonly unrefTimer: boolean;
  readonly runner: Runner;
  readonly runLeases: RunLeases;
  /** Whether the scheduler dispatches (`running`), holds (`paused`) or has stopped. */
  readonly state: () => 'running' | 'paused' | 'stopped';
  /** The stores to dispatch from: those started. */
  readonly stores: () => readonly StoreHandle[];
}

/** A claimed task with what its dispatch does. */
interface Planned {
  task: TaskRecord;
  plan: RunPlan;
  /** The fire times its run stands for (a forced run's: the moment it was asked for). */
  runTimes: number[];
  dispatch: TaskDispatch;
  /** The run to start once the dispatch is committed with its run lease. */
  run?: PreparedRun;
  /** Why its run cannot start in this process, when it cannot (reported already). */
  refusal?: Error;
}

/** What became of a task dispatched now for `runTask`. */
type DirectOutcome =
  | { readonly released: false }
  | { readonly released: true; readonly plan: RunPlan; readonly removed: boolean; readonly done?: Promise<void> };

/**
 * The dispatcher: sleeps on one timer until the earliest next run time across the stores, then
 * claims the due tasks, plans their runs (misfires, coalescing, jitter), commits each batch's new
 * schedules with its runs' leases in one store step, and starts the runs. A fire is committed
 * before it runs, so it never runs twice; a claim that is never committed expires and another
 * instance dispatches it. `runTask` takes the same path for one task.
 */
export class Dispatcher {
  private readonly timer: WakeTimer;
  /** Whether a dispatch round is under way; set and cleared synchronously, so no wake-up is lost. */
  private processing = false;
  /** The latest dispatch round, for shutdown to wait on. */
  private round: Promise<void> = Promise.resolve();
  private rerun = false;
  private readonly failingStores = new Set<string>();
  /** Fires refused a run lease at dispatch, waiting for a slot. */
  private readonly slotWaits: SlotWaits;
  /** Store work of rounds done in one turn, not awaited by them (see inBackground). */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly context: DispatcherContext) {
    this.timer = new WakeTimer(() => this.startRound(true), context.unrefTimer, context.clock);
    this.slotWaits = new SlotWaits(context);
  }

  /** Looks for due tasks now, unless a round is under way (which then runs once more). */
  wakeup(): void {
    this.startRound(false);
  }

  private startRound(fromTimer: boolean): void {
    if (this.context.state() !== 'running') return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    this.processing = true;
    this.round = this.processLoop(fromTimer);
  }

  /** Wakes the loop earlier if a task now runs before the timer would have fired. */
  notifyRunTime(time: number | null): void {
    if (time === null || this.context.state() !== 'running') return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    const target = this.timer.target;
    if (target === null || time < target) {
      if (time <= this.context.clock()) this.wakeup();
      else this.timer.set(time);
    }
  }

  /** Stops the timer (pause, shutdown); a round under way finishes. */
  sleep(): void {
    this.timer.clear();
  }

  /** Ends the waits of fires for a run slot (at shutdown): each is reported as refused. */
  stopSlotWaits(): Promise<void> {
    return this.slotWaits.stop();
  }

  /** Resolves once the round under way has ended, and the store work it left in the background. */
  async roundSettled(): Promise<void> {
    await this.round;
    await Promise.all(this.background);
  }

  /**
   * Runs a task now, for `runTask`. When fire times are due, it is claimed and dispatched as the
   * loop would (its schedule moves on; a finished one is removed with `removeWhenFinished`, else
   * left paused); when none is due, `force` runs it once now without changing its schedule.
   * Resolves when the run has ended (an inline run) or has been handed to its executor.
   */
  async runNow(task: TaskRecord, handle: StoreHandle, options: { force: boolean; removeWhenFinished: boolean }): Promise<'extra-run' | 'dispatched' | 'removed' | 'not-dispatched'> {
    const now = this.context.clock();
    if (task.nextRunTime === null || task.nextRunTime > now) {
      // Nothing due: an extra run, leaving the schedule as it is.
      if (options.force) await (await this.context.runner.submit(task, handle, [now], true)).done;
      return 'extra-run';
    }
    // Due: take the task out of the loop's reach, so each due run time runs once.
    const claimed = await handle.claim(task.id, this.context.instanceId(), this.context.leaseDuration);
    // Claimed already: the loop is dispatching it now.
    if (claimed === null) return 'not-dispatched';
    const outcome = await this.dispatchNow(claimed, handle, { removeWhenFinished: options.removeWhenFinished, ...(options.force ? { forceAt: now } : {}) });
    // Not released: changed meanwhile, and the change stands.
    if (!outcome.released) return 'not-dispatched';
    await outcome.done;
    return outcome.removed ? 'removed' : 'dispatched';
  }

  /**
   * Dispatches one claimed task now, for `runTask`: the same plan and store step as the loop's,
   * with a run at `forceAt` when no fire time is due. Errors are thrown to the caller: a trigger
   * that fails (the claim is handed back unchanged), a run that cannot start here, or one
   * refused under `maxInstances` (the schedule has moved on by then, as the loop's would).
   */
  private async dispatchNow(task: TaskRecord, handle: StoreHandle, options: { removeWhenFinished: boolean; forceAt?: number }): Promise<DirectOutcome> {
    const now = this.context.clock();
    let planned: Planned;
    try {
      planned = this.plan(task, handle, now, options.removeWhenFinished, options.forceAt);
    } catch (error) {
      await handle.release(this.unchangedRelease(handle, task));
      throw error;
    }
    const [outcome] = await handle.dispatch([planned.dispatch]);
    if (outcome?.released !== true) return { released: false };
    const { plan, run, runTimes, refusal } = planned;
    const removed = plan.nextRunTime === null && options.removeWhenFinished;
    this.context.events.emit(removed ? 'task:removed' : 'task:modified', { taskId: task.id, store: handle.alias });
    this.notifyRunTime(plan.nextRunTime);
    this.context.runner.reportMissed(task, handle.alias, plan.missed, plan.missedCount);
    if (refusal !== undefined) throw refusal;
    if (run === undefined) return { released: true, plan, removed };
    if (outcome.runLeased !== true) {
      const error = errors.maxInstances(task.id, task.maxInstances);
      this.context.runner.reportRefused(task, handle.alias, [...plan.coalesced, ...runTimes], error);
      throw error;
    }
    this.context.runLeases.adopt(handle, task.id, run.runId);
    const done = this.context.runner.start(task, handle, runTimes, run, undefined, plan.coalesced);
    return done === undefined ? { released: true, plan, removed } : { released: true, plan, removed, done };
  }

  /**
   * One round and the reruns asked for during it. A round the timer started dispatches the stores
   * in this process's memory in the timer's own callback (see {@link SynchronousDispatch}); a
   * round asked for by a call (`addTask`, `resume`, a store's wake-up) starts a microtask later,
   * so that no handler runs inside the caller's own call.
   */
  private async processLoop(fromTimer: boolean): Promise<void> {
    const { state, logger, clock, storeRetryInterval } = this.context;
    if (!fromTimer) await Promise.resolve();
    try {
      let wakeAt: number | null;
      let rounds = 0;
      do {
        this.rerun = false;
        const due = this.processDueTasks();
        if (due instanceof Promise) wakeAt = await due;
        else {
          wakeAt = due;
          // Handlers that keep making work due at once get the event loop back now and then.
          if (++rounds % MAX_ROUNDS_IN_ONE_TURN === 0) await Promise.resolve();
        }
      } while (this.rerun && state() === 'running');
      if (state() === 'running') this.timer.set(wakeAt);
    } catch (error) {
      // processDueTasks guards its own steps; this is the last line of defence for the loop.
      logger.error('The dispatch loop failed; retrying.', error);
      if (state() === 'running') this.timer.set(clock() + storeRetryInterval);
    } finally {
      // In the same job as the last rerun check: a wake-up cannot fall between the two.
      this.processing = false;
    }
  }

  /**
   * Dispatches every due task of every store; returns when to look again. Stores in this
   * process's memory go first and are done in this turn, up to a run that must be awaited (the
   * inline executor's); the others take a round trip per step.
   */
  private processDueTasks(): number | null | Promise<number | null> {
    const now = this.context.clock();
    const tally = new Tally();
    const handles = this.context.stores();
    const ordered = [...handles.filter((handle) => handle.sync !== undefined), ...handles.filter((handle) => handle.sync === undefined)];
    const from = (first: number): void | Promise<void> => {
      for (let index = first; index < ordered.length; index++) {
        const pending = this.processStore(ordered[index]!, now, tally);
        if (pending !== undefined) return pending.then(() => from(index + 1));
      }
    };
    const finish = (): number | null => (tally.dispatched === 0 && tally.wakeAt !== null && tally.wakeAt <= now ? now + IDLE_RECHECK : tally.wakeAt);
    const pending = from(0);
    return pending === undefined ? finish() : pending.then(finish);
  }

  /** Dispatches one store's due tasks; a failing store is reported (once per outage) and retried. */
  private processStore(handle: StoreHandle, now: number, tally: Tally): void | Promise<void> {
    const failed = (error: unknown): void => {
      if (!this.failingStores.has(handle.alias)) {
        this.failingStores.add(handle.alias);
        this.context.logger.error(`Store "${handle.alias}" failed; retrying every ${this.context.storeRetryInterval} ms until it answers.`, error);
      }
      tally.earlier(now + this.context.storeRetryInterval);
    };
    try {
      const { sync } = handle;
      const pending = sync === undefined ? this.drainStore(handle, now, tally) : this.drainStoreNow(handle, sync, now, tally);
      if (pending !== undefined) return pending.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** A store that does I/O: a round trip per batch, the next batch claimed while one is dispatched. */
  private async drainStore(handle: StoreHandle, now: number, tally: Tally): Promise<void> {
    const { clock, state, batchSize, leaseDuration } = this.context;
    const claim = (): Promise<TaskRecord[]> => handle.claimDue(now, batchSize, this.context.instanceId(), leaseDuration);
    let claiming: Promise<TaskRecord[]> | undefined = claim();
    while (claiming !== undefined) {
      const claimed = await claiming;
      // Lateness is judged as of the claim, not the start of the round: a slow store or a
      // long batch before this one must not let a fire past its grace time run as on time.
      const claimedAt = Math.max(now, clock());
      claiming = undefined;
      if (claimed.length === batchSize && state() === 'running') {
        // A full batch: claim the next one while this one is dispatched, saving a round trip
        // per batch. Its failure is taken up when it is awaited, not reported as unhandled.
        claiming = claim();
        claiming.catch(() => undefined);
      }
      await this.dispatchClaimed(claimed, handle, claimedAt);
      tally.dispatched += claimed.length;
    }
    tally.earlier(await handle.nextRunTime());
    this.answered(handle);
  }

  /** A store in this process's memory: the same steps in this turn, until a run must be awaited. */
  private drainStoreNow(handle: StoreHandle, sync: SynchronousDispatch, now: number, tally: Tally): void | Promise<void> {
    const { clock, state, batchSize, leaseDuration } = this.context;
    for (;;) {
      const { records, quarantining } = handle.claimDueNow(sync, now, batchSize, this.context.instanceId(), leaseDuration);
      this.inBackground(handle, quarantining);
      const pending = records.length === 0 ? undefined : this.dispatchClaimed(records, handle, Math.max(now, clock()), sync);
      tally.dispatched += records.length;
      if (pending !== undefined) return pending.then(() => this.drainStoreNow(handle, sync, now, tally));
      if (records.length + quarantining.length < batchSize || state() !== 'running') break;
    }
    tally.earlier(handle.nextRunTimeNow(sync));
    this.answered(handle);
  }

  private answered(handle: StoreHandle): void {
    if (this.failingStores.delete(handle.alias)) this.context.logger.info(`Store "${handle.alias}" is reachable again.`);
  }

  /** Store work a round in this turn does not wait for (quarantines): failures logged, shutdown waits for it. */
  private inBackground(handle: StoreHandle, work: readonly Promise<void>[]): void {
    for (const promise of work) {
      const tracked = promise.catch((error: unknown) => this.context.logger.error(`Store "${handle.alias}" could not quarantine a task; it is tried again once its claim expires.`, error));
      this.background.add(tracked);
      void tracked.finally(() => this.background.delete(tracked));
    }
  }

  /** Dispatches a claimed batch or, when paused or shut down since the claim, hands it back untouched. */
  private dispatchClaimed(claimed: readonly TaskRecord[], handle: StoreHandle, now: number, sync?: SynchronousDispatch): void | Promise<void> {
    if (this.context.state() === 'running') return this.dispatchBatch(claimed, handle, now, sync);
    const unchanged = claimed.map((task) => this.unchangedRelease(handle, task));
    if (sync !== undefined) handle.dispatchNow(sync, unchanged);
    else return handle.dispatch(unchanged).then(() => undefined);
  }

  /**
   * Dispatches a claimed batch. The new schedules are committed before anything runs, so a fire
   * is never run twice: if this instance dies before the commit, the claims expire and another
   * instance dispatches the fires. The run leases are recorded in the same store step as the
   * commit (see {@link StoreHandle.dispatch}), so if this instance dies after it, its runs are
   * reported as interrupted once their leases expire, instead of vanishing. With `sync`, in this
   * turn up to the first run that must be awaited.
   */
  private dispatchBatch(claimed: readonly TaskRecord[], handle: StoreHandle, now: number, sync?: SynchronousDispatch): void | Promise<void> {
    const planned: Planned[] = [];
    const quarantining: Promise<void>[] = [];
    for (const task of claimed) {
      const refusal = this.context.runner.cannotRunHere(task);
      if (refusal !== undefined) {
        quarantining.push(handle.quarantine(task.id, refusal));
        continue;
      }
      try {
        planned.push(this.plan(task, handle, now, true));
      } catch (error) {
        // Never read as "finished" (which would delete the task) nor left to fail the batch:
        // the one task goes to the quarantine with the reason, the others are dispatched.
        quarantining.push(handle.quarantine(task.id, `its trigger failed to compute its next run time: ${error instanceof Error ? error.message : String(error)}`, error));
      }
    }
    const dispatches = planned.map((entry) => entry.dispatch);
    if (sync !== undefined) {
      this.inBackground(handle, quarantining);
      return planned.length === 0 ? undefined : this.startRuns(planned, handle.dispatchNow(sync, dispatches), handle, 0);
    }
    return (async () => {
      await Promise.all(quarantining);
      if (planned.length > 0) await this.startRuns(planned, await handle.dispatch(dispatches), handle, 0);
    })();
  }

  /** Starts the runs of a committed batch from `first` on; the inline executor's one after another. */
  private startRuns(planned: readonly Planned[], outcomes: readonly DispatchOutcome[], handle: StoreHandle, first: number): void | Promise<void> {
    const { events, runner, runLeases } = this.context;
    for (let index = first; index < planned.length; index++) {
      const { task, plan, run } = planned[index]!;
      // Not released: changed since the claim, or the claim was lost; not this instance's fire.
      if (outcomes[index]?.released !== true) continue;
      if (plan.nextRunTime === null && events.has('task:removed')) events.emit('task:removed', { taskId: task.id, store: handle.alias });
      runner.reportMissed(task, handle.alias, plan.missed, plan.missedCount);
      if (run === undefined) continue;
      if (outcomes[index]?.runLeased !== true) {
        this.slotWaits.wait(task, handle, plan, run);
        continue;
      }
      runLeases.adopt(handle, task.id, run.runId);
      const running = runner.start(task, handle, plan.runTimes, run, undefined, plan.coalesced);
      if (running !== undefined) return running.then(() => this.startRuns(planned, outcomes, handle, index + 1));
    }
  }

  /**
   * Plans a claimed task's dispatch: its new schedule, and the run (with its lease) when a fire
   * time is due or `forceAt` asks for one. Throws when its trigger fails. A run this process
   * cannot start is reported and left out; the schedule still moves on.
   */
  private plan(task: TaskRecord, handle: StoreHandle, now: number, removeWhenFinished: boolean, forceAt?: number): Planned {
    const { runner, runLeases } = this.context;
    // The store said it is due: by its clock, which may be ahead of this one.
    const plan = planRuns(task, Math.max(now, task.nextRunTime ?? now), Math.random);
    const owner = this.context.instanceId();
    const runTimes = plan.runTimes.length > 0 ? plan.runTimes : forceAt !== undefined ? [forceAt] : [];
    if (runTimes.length === 0) return { task, plan, runTimes, dispatch: handle.releaseOf(task, owner, plan.nextRunTime, removeWhenFinished) };
    let found: Omit<PreparedRun, 'runId'>;
    try {
      found = runner.resolve(task);
    } catch (error) {
      runner.reportRefused(task, handle.alias, [...plan.coalesced, ...runTimes], error);
      const refusal = error instanceof Error ? error : new Error(String(error));
      return { task, plan, runTimes, dispatch: handle.releaseOf(task, owner, plan.nextRunTime, removeWhenFinished), refusal };
    }
    // Built as literals, without spreads: this runs for every fire of a burst.
    const runId = runLeases.newRunId();
    const lease = runLeases.lease(handle, task.id, runId, runTimes[0]!, task.maxInstances);
    const dispatch = handle.releaseOf(task, owner, plan.nextRunTime, removeWhenFinished, lease);
    return { task, plan, runTimes, dispatch, run: { executor: found.executor, handler: found.handler, runId } };
  }

  /** The release that hands a claimed task back as it was. */
  private unchangedRelease(handle: StoreHandle, task: TaskRecord): TaskDispatch {
    return handle.releaseOf(task, this.context.instanceId(), task.nextRunTime, false);
  }
}
