import { errors } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { Logger } from '../logger/logger.js';
import type { TaskDispatch } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { RunLeases } from './run-leases.js';
import { planRuns, type RunPlan } from './run-plan.js';
import type { PreparedRun, Runner } from './runner.js';
import type { StoreHandle } from './store-handle.js';
import { WakeTimer } from './wake-timer.js';

/** How often a fire refused a run lease at dispatch asks again for a slot, ms. */
const SLOT_RETRY = 250;

/** When the loop made no progress yet a store reports work due, look again after this long (ms). */
const IDLE_RECHECK = 10;

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
  readonly stores: () => StoreHandle[];
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
  /** Fires refused a run lease at dispatch, waiting for a slot (see waitForRunSlot). */
  private readonly waitingForSlot = new Set<Promise<void>>();

  constructor(private readonly context: DispatcherContext) {
    this.timer = new WakeTimer(() => this.wakeup(), context.unrefTimer, context.clock);
  }

  /** Looks for due tasks now, unless a round is under way (which then runs once more). */
  wakeup(): void {
    if (this.context.state() !== 'running') return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    this.processing = true;
    this.round = this.processLoop();
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

  /** Resolves once the fires waiting for a run slot have given up (within {@link SLOT_RETRY}). */
  async slotWaitsSettled(): Promise<void> {
    await Promise.all(this.waitingForSlot);
  }

  /** Resolves once the round under way has ended. */
  async roundSettled(): Promise<void> {
    await this.round;
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

  private async processLoop(): Promise<void> {
    const { state, logger, clock, storeRetryInterval } = this.context;
    try {
      let wakeAt: number | null;
      do {
        this.rerun = false;
        wakeAt = await this.processDueTasks();
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

  /** Dispatches every due task of every store; returns when to look again. */
  private async processDueTasks(): Promise<number | null> {
    const { clock, state, batchSize, leaseDuration, logger, storeRetryInterval } = this.context;
    const now = clock();
    let wakeAt: number | null = null;
    let dispatched = 0;
    const earlier = (time: number | null): void => {
      if (time !== null && (wakeAt === null || time < wakeAt)) wakeAt = time;
    };
    for (const handle of this.context.stores()) {
      try {
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
          if (state() === 'running') await this.dispatchBatch(claimed, handle, claimedAt);
          // Paused or shut down while claiming: hand the tasks back untouched for later.
          else await handle.dispatch(claimed.map((task) => this.unchangedRelease(handle, task)));
          dispatched += claimed.length;
        }
        earlier(await handle.nextRunTime());
        if (this.failingStores.delete(handle.alias)) logger.info(`Store "${handle.alias}" is reachable again.`);
      } catch (error) {
        // One message per outage, not one per retry.
        if (!this.failingStores.has(handle.alias)) {
          this.failingStores.add(handle.alias);
          logger.error(`Store "${handle.alias}" failed; retrying every ${storeRetryInterval} ms until it answers.`, error);
        }
        earlier(now + storeRetryInterval);
      }
    }
    if (dispatched === 0 && wakeAt !== null && wakeAt <= now) wakeAt = now + IDLE_RECHECK;
    return wakeAt;
  }

  /**
   * Dispatches a claimed batch. The new schedules are committed before anything runs, so a fire
   * is never run twice: if this instance dies before the commit, the claims expire and another
   * instance dispatches the fires. The run leases are recorded in the same store step as the
   * commit (see {@link StoreHandle.dispatch}), so if this instance dies after it, its runs are
   * reported as interrupted once their leases expire, instead of vanishing.
   */
  private async dispatchBatch(claimed: readonly TaskRecord[], handle: StoreHandle, now: number): Promise<void> {
    const planned: Planned[] = [];
    for (const task of claimed) {
      const refusal = this.context.runner.cannotRunHere(task);
      if (refusal !== undefined) {
        await handle.quarantine(task.id, refusal);
        continue;
      }
      try {
        planned.push(this.plan(task, handle, now, true));
      } catch (error) {
        // Never read as "finished" (which would delete the task) nor left to fail the batch:
        // the one task goes to the quarantine with the reason, the others are dispatched.
        await handle.quarantine(task.id, `its trigger failed to compute its next run time: ${error instanceof Error ? error.message : String(error)}`, error);
      }
    }
    if (planned.length === 0) return;
    const outcomes = await handle.dispatch(planned.map((entry) => entry.dispatch));
    for (const [index, { task, plan, run }] of planned.entries()) {
      // Not released: changed since the claim, or the claim was lost; not this instance's fire.
      if (outcomes[index]?.released !== true) continue;
      if (plan.nextRunTime === null) this.context.events.emit('task:removed', { taskId: task.id, store: handle.alias });
      this.context.runner.reportMissed(task, handle.alias, plan.missed, plan.missedCount);
      if (run === undefined) continue;
      if (outcomes[index]?.runLeased !== true) {
        this.waitForRunSlot(task, handle, plan, run);
        continue;
      }
      this.context.runLeases.adopt(handle, task.id, run.runId);
      await this.context.runner.start(task, handle, plan.runTimes, run, undefined, plan.coalesced);
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
    const dispatch = handle.releaseOf(task, this.context.instanceId(), plan.nextRunTime, removeWhenFinished);
    const runTimes = plan.runTimes.length > 0 ? plan.runTimes : forceAt !== undefined ? [forceAt] : [];
    if (runTimes.length === 0) return { task, plan, runTimes, dispatch };
    let found: Omit<PreparedRun, 'runId'>;
    try {
      found = runner.resolve(task);
    } catch (error) {
      runner.reportRefused(task, handle.alias, [...plan.coalesced, ...runTimes], error);
      return { task, plan, runTimes, dispatch, refusal: error instanceof Error ? error : new Error(String(error)) };
    }
    const runId = runLeases.newRunId();
    const run = { ...runLeases.lease(task.id, runId, runTimes[0]!), maxInstances: task.maxInstances };
    return { task, plan, runTimes, dispatch: { ...dispatch, run }, run: { ...found, runId } };
  }

  /** The release that hands a claimed task back as it was. */
  private unchangedRelease(handle: StoreHandle, task: TaskRecord): TaskDispatch {
    return handle.releaseOf(task, this.context.instanceId(), task.nextRunTime, false);
  }

  /**
   * A fire whose run lease the store refused at dispatch (`maxInstances` runs hold leases: live
   * ones, or those of a replica that died, which lapse within one lease duration) is committed to
   * this instance, which waits for a slot rather than skipping the fire at once: it asks again
   * every {@link SLOT_RETRY} ms until the fire's misfire grace time is spent (one lease duration at
   * most, by when a dead replica's leases have lapsed). Only then is it reported as refused.
   */
  private waitForRunSlot(task: TaskRecord, handle: StoreHandle, plan: RunPlan, refused: PreparedRun): void {
    const { clock, leaseDuration, runLeases, runner, state } = this.context;
    const standsFor = [...plan.coalesced, ...plan.runTimes];
    const graceEnds = task.misfireGraceTime === null ? Infinity : plan.runTimes[0]! + task.misfireGraceTime;
    const deadline = Math.min(graceEnds, clock() + leaseDuration);
    // Read afresh after every await: a shutdown may come meanwhile.
    const stopped = (): boolean => state() === 'stopped';
    const waiting = (async () => {
      while (!stopped() && clock() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(SLOT_RETRY, deadline - clock())));
        if (stopped()) break;
        const runId = await runLeases.acquire(handle, task.id, task.maxInstances, plan.runTimes[0]!);
        if (runId === null) continue;
        if (stopped()) {
          await runLeases.release(runId);
          break;
        }
        await runner.start(task, handle, plan.runTimes, { ...refused, runId }, undefined, plan.coalesced);
        return;
      }
      runner.reportRefused(task, handle.alias, standsFor, errors.maxInstances(task.id, task.maxInstances));
    })().catch((error: unknown) => runner.reportRefused(task, handle.alias, standsFor, error));
    this.waitingForSlot.add(waiting);
    void waiting.finally(() => this.waitingForSlot.delete(waiting));
  }
}
