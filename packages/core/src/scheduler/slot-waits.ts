import { errors } from '../errors/index.js';
import type { TaskRecord } from '../tasks/task.js';
import type { RunLeases } from './run-leases.js';
import type { RunPlan } from './run-plan.js';
import type { PreparedRun, Runner } from './runner.js';
import type { StoreHandle } from './store-handle.js';

/** How often a fire refused a run lease at dispatch asks again for a slot, ms. */
const SLOT_RETRY = 250;

/** What waiting for a slot needs of the scheduler. */
export interface SlotWaitsContext {
  readonly clock: () => number;
  readonly leaseDuration: number;
  readonly runLeases: RunLeases;
  readonly runner: Runner;
  readonly state: () => 'running' | 'paused' | 'stopped';
}

/**
 * Fires whose run lease the store refused at dispatch (`maxInstances` runs hold leases: live
 * ones, or those of a replica that died, which lapse within one lease duration). Each is
 * committed to this instance, which waits for a slot rather than skipping the fire at once: it
 * asks again every {@link SLOT_RETRY} ms until the fire's misfire grace time is spent (one lease
 * duration at most, by when a dead replica's leases have lapsed). Only then is it reported as
 * refused. A shutdown ends the waits at once, without waiting for their timers.
 */
export class SlotWaits {
  private readonly waiting = new Set<Promise<void>>();
  /** Wakes the waits sleeping now (shutdown). */
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly context: SlotWaitsContext) {}

  wait(task: TaskRecord, handle: StoreHandle, plan: RunPlan, refused: PreparedRun): void {
    const { clock, leaseDuration, runLeases, runner, state } = this.context;
    const standsFor = [...plan.coalesced, ...plan.runTimes];
    const graceEnds = task.misfireGraceTime === null ? Infinity : plan.runTimes[0]! + task.misfireGraceTime;
    const deadline = Math.min(graceEnds, clock() + leaseDuration);
    // Read afresh after every await: a shutdown may come meanwhile.
    const stopped = (): boolean => state() === 'stopped';
    const waiting = (async () => {
      while (!stopped() && clock() < deadline) {
        await this.sleep(Math.min(SLOT_RETRY, deadline - clock()));
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
    this.waiting.add(waiting);
    void waiting.finally(() => this.waiting.delete(waiting));
  }

  /** Wakes every wait and resolves once each has given up (the scheduler is stopped by then). */
  async stop(): Promise<void> {
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.waiting);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
