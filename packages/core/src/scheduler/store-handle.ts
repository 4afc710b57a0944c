import { TaskCodec, UnreadableRecordError } from '../stores/codec.js';
import { isHoraeError } from '../errors/index.js';
import type { InstanceDescription } from '../cluster/instance.js';
import type { PendingRun, TaskRun } from '../history/task-run.js';
import type { DispatchOutcome, HeldRunLease, QuarantinedTask, RunLease, RunRetention, StoreContext, StoredTask, SynchronousDispatch, TaskDispatch, TaskRelease, TaskStore } from '../stores/store.js';
import type { TaskRecord } from '../tasks/task.js';
import type { TriggerRegistry } from '../triggers/registry.js';

/** How many tasks {@link StoreHandle.addMany} hands a store at once. */
const ADD_SLICE = 250;

/** What a store handle reports to its scheduler. */
export interface StoreHandleHooks {
  /** A record was moved to the quarantine. */
  quarantined(taskId: string, store: string, reason: string, cause: unknown): void;
  /**
   * Whether the scheduler only observes (see `start({ observe: true })`): then a record it cannot
   * read is left where it is and reported through `unreadable`. An admin tool run without the
   * key, or with an older version, must not move the records the running instances can read.
   */
  observing(): boolean;
  /** A record could not be read by an observer, and was left in place. */
  unreadable(taskId: string, store: string, reason: string): void;
}

/**
 * One store as the scheduler sees it: task records in and out, encoded by the store's codec.
 * Every call the scheduler makes to a store passes here. A record that cannot be read is moved
 * to the quarantine and reported (by an observer, only reported), never returned, never deleted —
 * the one place that rule lives, whatever the store.
 */
export class StoreHandle {
  private readonly codec: TaskCodec;
  /** The records of the last {@link all} listing, by id, with the stored form they were read from. */
  private readonly listed = new Map<string, { stored: StoredTask; record: TaskRecord; listing: number }>();
  /** How many listings {@link all} made: the entries of `listed` not seen by the last one are dropped. */
  private listings = 0;

  constructor(
    readonly alias: string,
    private readonly store: TaskStore,
    codec: { triggers: TriggerRegistry; timezone: string; encryptionKey: string | undefined },
    private readonly hooks: StoreHandleHooks,
  ) {
    this.codec = new TaskCodec(store.persistent, codec.encryptionKey, codec.triggers, codec.timezone);
  }

  get persistent(): boolean {
    return this.store.persistent;
  }

  start(context: StoreContext): Promise<void> {
    return this.store.start(context);
  }

  shutdown(): Promise<void> {
    return this.store.shutdown();
  }

  /** When the store next has work (see {@link TaskStore.getNextRunTime}). */
  nextRunTime(): Promise<number | null> {
    return this.store.getNextRunTime();
  }

  add(record: TaskRecord): Promise<void> {
    return this.store.addTask(this.codec.encode(record));
  }

  /** Adds records in one step where the store can; resolves to the ids that existed already. */
  async addMany(records: readonly TaskRecord[]): Promise<string[]> {
    if (this.store.addTasks !== undefined) {
      // In slices, each handed to the store before the next is encoded: a store that sends
      // them to a server works on one slice while this process encodes the next.
      const slices: Promise<string[]>[] = [];
      for (let start = 0; start < records.length; start += ADD_SLICE) {
        const slice = this.store.addTasks(records.slice(start, start + ADD_SLICE).map((record) => this.codec.encode(record)));
        // Should encoding a later slice throw, this one's failure is not left unhandled.
        slice.catch(() => undefined);
        slices.push(slice);
      }
      return (await Promise.all(slices)).flat();
    }
    const existing: string[] = [];
    for (const task of records.map((record) => this.codec.encode(record))) {
      try {
        await this.store.addTask(task);
      } catch (error) {
        if (!isHoraeError(error, 'CONFLICTING_ID')) throw error;
        existing.push(task.id);
      }
    }
    return existing;
  }

  /**
   * The release of a record claimed through this handle, sealed for its new revision and next
   * run time when the store encrypts (see {@link TaskCodec}).
   */
  releaseOf(record: TaskRecord, owner: string, nextRunTime: number | null, removeWhenFinished: boolean, run?: TaskDispatch['run']): TaskDispatch {
    const seal = this.codec.releaseSeal(record, nextRunTime);
    // Built as one literal: this runs for every fire of a burst.
    if (run === undefined) {
      return seal === undefined
        ? { id: record.id, owner, claimedRevision: record.revision, nextRunTime, removeWhenFinished }
        : { id: record.id, owner, claimedRevision: record.revision, nextRunTime, removeWhenFinished, seal };
    }
    return seal === undefined
      ? { id: record.id, owner, claimedRevision: record.revision, nextRunTime, removeWhenFinished, run }
      : { id: record.id, owner, claimedRevision: record.revision, nextRunTime, removeWhenFinished, seal, run };
  }

  /** Hands back one claimed task: the release path of a batch, for one. */
  async release(release: TaskRelease): Promise<boolean> {
    const [outcome] = await this.dispatch([release]);
    return outcome?.released === true;
  }

  /** Hands back claimed tasks with their run leases (see {@link TaskStore.dispatchTasks}). */
  dispatch(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return this.store.dispatchTasks(dispatches);
  }

  /** Gives back run leases, in one step where the store can. */
  async releaseRunLeases(leases: readonly { taskId: string; runId: string }[]): Promise<void> {
    if (this.store.releaseRunLeases !== undefined) return this.store.releaseRunLeases(leases);
    for (const { taskId, runId } of leases) await this.store.releaseRunLease(taskId, runId);
  }

  update(record: TaskRecord): Promise<void> {
    return this.store.updateTask(this.codec.encode(record));
  }

  delete(id: string): Promise<void> {
    return this.store.deleteTask(id);
  }

  removeAll(): Promise<void> {
    return this.store.removeAllTasks();
  }

  async lookup(id: string): Promise<TaskRecord | null> {
    const stored = await this.store.lookupTask(id);
    return stored === null ? null : this.read(stored);
  }

  /**
   * Every readable task; unreadable ones are quarantined on the way. A task whose stored form is
   * the one the last listing read (same revision, next run time, seal and payload) is not decoded
   * again: dashboards and admin pages list every few seconds, and most tasks have not changed.
   */
  async all(): Promise<TaskRecord[]> {
    const listing = ++this.listings;
    const records: TaskRecord[] = [];
    for (const task of await this.store.getAllTasks()) {
      const seen = this.listed.get(task.id);
      if (seen !== undefined && sameStoredForm(seen.stored, task)) {
        // Updated in place: a listing of a million tasks allocates nothing for the unchanged ones.
        seen.stored = task;
        seen.listing = listing;
        records.push(seen.record);
        continue;
      }
      let record: TaskRecord;
      try {
        record = this.codec.decode(task);
      } catch (error) {
        this.listed.delete(task.id);
        await this.quarantineUnreadable(task.id, error);
        continue;
      }
      this.listed.set(task.id, { stored: task, record, listing });
      records.push(record);
    }
    // Only what this listing saw is kept: deleted tasks leave the cache with the next listing.
    // (A listing that began later and ended first has marked its tasks with a higher number.)
    for (const [id, entry] of this.listed) if (entry.listing < listing) this.listed.delete(id);
    return records;
  }

  /** The store's synchronous dispatch steps, when it keeps its tasks in this process (see {@link SynchronousDispatch}). */
  get sync(): SynchronousDispatch | undefined {
    return this.store.sync;
  }

  /**
   * {@link claimDue} in the caller's turn, for a store with synchronous dispatch steps; records
   * that cannot be read are on their way to the quarantine in `quarantining`.
   */
  claimDueNow(sync: SynchronousDispatch, now: number, limit: number, owner: string, duration: number): { records: TaskRecord[]; quarantining: Promise<void>[] } {
    return this.decodeAll(sync.claimDueTasks({ now, limit, owner, duration }));
  }

  /** {@link dispatch} in the caller's turn, for a store with synchronous dispatch steps. */
  dispatchNow(sync: SynchronousDispatch, dispatches: readonly TaskDispatch[]): DispatchOutcome[] {
    return sync.dispatchTasks(dispatches);
  }

  /** {@link nextRunTime} in the caller's turn, for a store with synchronous dispatch steps. */
  nextRunTimeNow(sync: SynchronousDispatch): number | null {
    return sync.getNextRunTime();
  }

  async claimDue(now: number, limit: number, owner: string, duration: number): Promise<TaskRecord[]> {
    return this.readAll(await this.store.claimDueTasks({ now, limit, owner, duration }));
  }

  async claim(id: string, owner: string, duration: number): Promise<TaskRecord | null> {
    const stored = await this.store.claimTask(id, { owner, duration });
    return stored === null ? null : this.read(stored);
  }

  /** Moves a task to the quarantine and reports it. */
  async quarantine(id: string, reason: string, cause?: unknown): Promise<void> {
    await this.store.quarantineTask(id, reason);
    this.reportQuarantined(id, reason, cause);
  }

  /** Reports a record moved to the quarantine (by this handle, or by the store itself). */
  reportQuarantined(id: string, reason: string, cause?: unknown): void {
    this.hooks.quarantined(id, this.alias, reason, cause);
  }

  getQuarantined(): Promise<QuarantinedTask[]> {
    return this.store.getQuarantinedTasks();
  }

  /** Moves a quarantined record back and reads it again: `null` when it went back to the quarantine. */
  async restoreQuarantined(id: string): Promise<TaskRecord | null> {
    await this.store.restoreQuarantinedTask(id);
    return this.lookup(id);
  }

  purgeQuarantined(id: string): Promise<void> {
    return this.store.purgeQuarantinedTask(id);
  }

  acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    return this.store.acquireRunLease(lease, maxInstances, duration);
  }

  renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    return this.store.renewRunLeases(owner, runIds, duration);
  }

  takeExpiredRunLeases(): Promise<RunLease[]> {
    return this.store.takeExpiredRunLeases();
  }

  /** Whether the store lists the instances alive (see {@link TaskStore.beatInstance}). */
  get keepsInstances(): boolean {
    return this.store.beatInstance !== undefined && this.store.getInstances !== undefined && this.store.removeInstance !== undefined;
  }

  /** Tells the store this instance is alive for `ttl` ms more. */
  async beat(instanceId: string, description: InstanceDescription, ttl: number): Promise<void> {
    await this.store.beatInstance?.(instanceId, this.codec.encodeInstance(instanceId, description), ttl);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.store.removeInstance?.(instanceId);
  }

  /** The instances alive, each with what it says of itself (`undefined` when that cannot be read, reported through `unreadable`). */
  async instances(unreadable: (error: Error) => void): Promise<{ instanceId: string; expiresAt: number; description?: InstanceDescription }[]> {
    if (this.store.getInstances === undefined) return [];
    return (await this.store.getInstances()).map(({ instanceId, expiresAt, payload }) => {
      try {
        return { instanceId, expiresAt, description: this.codec.decodeInstance(instanceId, payload) };
      } catch (error) {
        if (!(error instanceof UnreadableRecordError)) throw error;
        unreadable(error);
        return { instanceId, expiresAt };
      }
    });
  }

  /** Every run lease alive in the store; none when it cannot list them. */
  async runLeases(): Promise<HeldRunLease[]> {
    return (await this.store.getRunLeases?.()) ?? [];
  }

  /** Whether the store keeps run history (see {@link TaskStore.addRuns}). */
  get keepsRuns(): boolean {
    return this.store.addRuns !== undefined && this.store.getRuns !== undefined;
  }

  /** Adds finished runs to the history; a store that keeps none ignores them. */
  async addRuns(runs: readonly PendingRun[], retention: RunRetention): Promise<void> {
    if (this.store.addRuns === undefined || runs.length === 0) return;
    await this.store.addRuns(
      runs.map((run) => this.codec.encodeRun(run)),
      retention,
    );
  }

  /**
   * A task's runs, newest first. A run that cannot be read is left out and reported through
   * `unreadable` (it stays in the store until it ages out): one bad record never hides the rest.
   */
  async getRuns(taskId: string, options: { limit: number; before?: number }, unreadable: (error: Error) => void): Promise<TaskRun[]> {
    if (this.store.getRuns === undefined) return [];
    const runs: TaskRun[] = [];
    for (const stored of await this.store.getRuns(taskId, options)) {
      try {
        runs.push(this.codec.decodeRun(stored));
      } catch (error) {
        if (!(error instanceof UnreadableRecordError)) throw error;
        unreadable(error);
      }
    }
    return runs;
  }

  private async readAll(stored: StoredTask[]): Promise<TaskRecord[]> {
    const { records, quarantining } = this.decodeAll(stored);
    await Promise.all(quarantining);
    return records;
  }

  /**
   * Decodes records in the caller's turn: only an unreadable record costs a round trip (to the
   * quarantine, under way in `quarantining`), not every record of a claim a turn of the event loop.
   */
  private decodeAll(stored: readonly StoredTask[]): { records: TaskRecord[]; quarantining: Promise<void>[] } {
    const records: TaskRecord[] = [];
    const quarantining: Promise<void>[] = [];
    for (const task of stored) {
      try {
        records.push(this.codec.decode(task));
      } catch (error) {
        quarantining.push(this.quarantineUnreadable(task.id, error));
      }
    }
    return { records, quarantining };
  }

  private async read(stored: StoredTask): Promise<TaskRecord | null> {
    try {
      return this.codec.decode(stored);
    } catch (error) {
      await this.quarantineUnreadable(stored.id, error);
      return null;
    }
  }

  /** Quarantines a record that did not decode; any other error is not the record's fault and is thrown. */
  private async quarantineUnreadable(id: string, error: unknown): Promise<void> {
    if (!(error instanceof UnreadableRecordError)) throw error;
    const reason = `the record cannot be read: ${error.message}`;
    if (this.hooks.observing()) this.hooks.unreadable(id, this.alias, reason);
    else await this.quarantine(id, reason, error.cause ?? error);
  }
}

/**
 * Whether two stored forms of a task decode alike. Payloads compare by identity or, for the
 * strings persistent stores keep (JSON or ciphertext), by value; a payload object read afresh is
 * never taken as unchanged.
 */
function sameStoredForm(a: StoredTask, b: StoredTask): boolean {
  return a.revision === b.revision && a.nextRunTime === b.nextRunTime && a.seal === b.seal && a.payload === b.payload;
}
