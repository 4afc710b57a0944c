import { errors } from '../errors/index.js';
import { RunLog } from './run-log.js';
import { storeErrors } from './store-errors.js';
import { checkStoreOptions } from './store-options.js';
import { RunTimeHeap, type HeapEntry } from './run-time-heap.js';
import type {
  ClaimOptions,
  DispatchOutcome,
  HeldRunLease,
  Lease,
  QuarantinedTask,
  RunLease,
  RunRetention,
  StoredInstance,
  StoredRun,
  StoredTask,
  StoreContext,
  SynchronousDispatch,
  TaskDispatch,
  TaskRelease,
  TaskStore,
} from './store.js';

interface Claim {
  readonly owner: string;
  readonly expiresAt: number;
}

/**
 * One task: the row's fields kept flat (no row object per task: this store is meant to hold
 * 100,000 tasks in a few hundred bytes each) plus its place in the heap and its claim.
 */
class Entry implements HeapEntry {
  id: string;
  payload: unknown;
  nextRunTime: number | null;
  revision: number;
  claim: Claim | null = null;
  heapIndex = -1;

  constructor(
    task: StoredTask,
    readonly sequence: number,
  ) {
    this.id = task.id;
    this.payload = task.payload;
    this.nextRunTime = task.nextRunTime;
    this.revision = task.revision;
  }

  /** When this task next needs attention: its next run time, or later while under a live claim. */
  get runTime(): number {
    const next = this.nextRunTime ?? Infinity;
    return this.claim === null ? next : Math.max(next, this.claim.expiresAt);
  }

  get task(): StoredTask {
    return { id: this.id, nextRunTime: this.nextRunTime, revision: this.revision, payload: this.payload };
  }

  set task(task: StoredTask) {
    this.payload = task.payload;
    this.nextRunTime = task.nextRunTime;
    this.revision = task.revision;
  }
}

/** A run lease held in the store: one shape for all, no object spread per run. */
class HeldLease {
  readonly taskId: string;
  readonly runId: string;
  readonly owner: string;
  readonly scheduledAt: number;

  constructor(
    lease: RunLease,
    public expiresAt: number,
  ) {
    this.taskId = lease.taskId;
    this.runId = lease.runId;
    this.owner = lease.owner;
    this.scheduledAt = lease.scheduledAt;
  }
}

/**
 * Keeps tasks in the process's memory: the default store. Tasks are lost when the process
 * exits; inline functions and any arguments are allowed. Adding, updating and deleting are
 * O(log n), finding the next due task O(1), so 100,000 tasks cost no more per operation than 10.
 * Several schedulers in one process may share one instance: claims and run leases work as in
 * the persistent stores. It keeps the run history too, within the scheduler's `runHistory`
 * limits and at most `maxRuns` runs in all (default 10,000): the tasks run least recently give
 * up their oldest runs first.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ stores: { default: new MemoryStore({ maxRuns: 50_000 }) } });
 * ```
 * @public
 */
export class MemoryStore implements TaskStore {
  readonly persistent: boolean = false;
  private readonly entries = new Map<string, Entry>();
  private readonly due = new RunTimeHeap<Entry>();
  /** Run leases by task (counting a task's runs never looks at other tasks'), and by run id. */
  private readonly runLeases = new Map<string, HeldLease[]>();
  private readonly runLeasesById = new Map<string, HeldLease>();
  private readonly quarantine = new Map<string, QuarantinedTask>();
  private readonly runLog: RunLog;
  private readonly instances = new Map<string, StoredInstance>();
  private sequence = 0;
  private alias = 'default';
  /** The schedulers using this store; when several share it, each learns of the others' changes. */
  private readonly users = new Set<Pick<StoreContext, 'wake'>>();

  /**
   * The dispatch steps in the caller's turn: this store does no I/O (see {@link SynchronousDispatch}).
   * Not offered while several schedulers share the store (each then takes a turn of the event
   * loop per step, as on a shared store, so that they share the work rather than the first one
   * awake taking it all), nor when a subclass (or the app) replaced one of the promise-based
   * steps: those are then what dispatching calls.
   */
  get sync(): SynchronousDispatch | undefined {
    if (this.users.size > 1) return undefined;
    const own = MemoryStore.prototype;
    return this.claimDueTasks === own.claimDueTasks && this.dispatchTasks === own.dispatchTasks && this.getNextRunTime === own.getNextRunTime ? this.steps : undefined;
  }

  private readonly steps: SynchronousDispatch = {
    getNextRunTime: () => this.due.peek()?.runTime ?? null,
    claimDueTasks: ({ now, limit, owner, duration }) => {
      const claimed: StoredTask[] = [];
      // An entry's heap key is at or before now exactly when it is due and not under a live claim.
      for (let next = this.due.peek(); next !== undefined && next.runTime <= now && claimed.length < limit; next = this.due.peek()) {
        next.claim = { owner, expiresAt: now + duration };
        this.place(next);
        claimed.push(next.task);
      }
      return claimed;
    },
    dispatchTasks: (dispatches) =>
      dispatches.map((dispatch) => {
        if (!this.releasable(dispatch)) return { released: false, runLeased: false };
        const { run } = dispatch;
        const runLeased = run !== undefined && this.acquire(run.lease, run.maxInstances, run.duration);
        this.release(dispatch);
        return { released: true, runLeased };
      }),
  };

  constructor(options: { maxRuns?: number } = {}) {
    checkStoreOptions('MemoryStore', options, ['maxRuns']);
    const { maxRuns = 10_000 } = options;
    if (!Number.isInteger(maxRuns) || maxRuns < 0) throw storeErrors.invalidOption('MemoryStore', 'maxRuns', maxRuns, 'a whole number >= 0 (0 keeps no run history)');
    this.runLog = new RunLog(maxRuns);
  }

  start(context: Pick<StoreContext, 'alias'> & Partial<Pick<StoreContext, 'wake'>>): Promise<void> {
    this.alias = context.alias;
    if (context.wake !== undefined) this.users.add(context as Pick<StoreContext, 'wake'>);
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.users.clear();
    return Promise.resolve();
  }

  addTask(task: StoredTask): Promise<void> {
    if (this.entries.has(task.id)) return Promise.reject(errors.conflictingId(task.id, this.alias));
    this.insert(task);
    this.changed();
    return Promise.resolve();
  }

  addTasks(tasks: readonly StoredTask[]): Promise<string[]> {
    const existing: string[] = [];
    for (const task of tasks) {
      if (this.entries.has(task.id)) existing.push(task.id);
      else this.insert(task);
    }
    if (existing.length < tasks.length) this.changed();
    return Promise.resolve(existing);
  }

  updateTask(task: StoredTask): Promise<void> {
    const entry = this.entries.get(task.id);
    if (entry === undefined) return Promise.reject(errors.taskNotFound(task.id, this.alias));
    entry.task = task;
    entry.claim = null;
    this.place(entry);
    this.changed();
    return Promise.resolve();
  }

  deleteTask(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined) return Promise.reject(errors.taskNotFound(id, this.alias));
    this.due.remove(entry);
    this.entries.delete(id);
    return Promise.resolve();
  }

  lookupTask(id: string): Promise<StoredTask | null> {
    return Promise.resolve(this.entries.get(id)?.task ?? null);
  }

  getAllTasks(): Promise<StoredTask[]> {
    const order = (entry: Entry): number => entry.nextRunTime ?? Infinity;
    const tasks = [...this.entries.values()]
      .sort((a, b) => order(a) - order(b) || a.sequence - b.sequence)
      .map((entry) => entry.task);
    return Promise.resolve(tasks);
  }

  getNextRunTime(): Promise<number | null> {
    return Promise.resolve(this.steps.getNextRunTime());
  }

  removeAllTasks(): Promise<void> {
    this.due.clear();
    this.entries.clear();
    return Promise.resolve();
  }

  claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    return Promise.resolve(this.steps.claimDueTasks(options));
  }

  claimTask(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    const entry = this.entries.get(id);
    const now = Date.now();
    if (entry === undefined || (entry.claim !== null && entry.claim.expiresAt > now)) return Promise.resolve(null);
    entry.claim = { owner, expiresAt: now + duration };
    this.place(entry);
    return Promise.resolve(entry.task);
  }

  dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return Promise.resolve(this.steps.dispatchTasks(dispatches));
  }

  acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    return Promise.resolve(this.acquire(lease, maxInstances, duration));
  }

  renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    const expiresAt = Date.now() + duration;
    for (const runId of runIds) {
      const held = this.runLeasesById.get(runId);
      if (held?.owner === owner) held.expiresAt = expiresAt;
    }
    return Promise.resolve();
  }

  releaseRunLease(taskId: string, runId: string): Promise<void> {
    this.forgetRunLease(taskId, runId);
    return Promise.resolve();
  }

  releaseRunLeases(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    for (const { taskId, runId } of leases) this.forgetRunLease(taskId, runId);
    return Promise.resolve();
  }

  takeExpiredRunLeases(): Promise<RunLease[]> {
    const now = Date.now();
    const expired: RunLease[] = [];
    for (const held of [...this.runLeasesById.values()]) {
      if (held.expiresAt > now) continue;
      this.forgetRunLease(held.taskId, held.runId);
      expired.push({ taskId: held.taskId, runId: held.runId, owner: held.owner, scheduledAt: held.scheduledAt });
    }
    return Promise.resolve(expired);
  }

  /** Every run lease alive, of every scheduler sharing this store. */
  getRunLeases(): Promise<HeldRunLease[]> {
    const now = Date.now();
    const alive: HeldRunLease[] = [];
    for (const held of this.runLeasesById.values()) if (held.expiresAt > now) alive.push({ taskId: held.taskId, runId: held.runId, owner: held.owner, scheduledAt: held.scheduledAt, expiresAt: held.expiresAt });
    return Promise.resolve(alive);
  }

  beatInstance(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    this.instances.set(instanceId, { instanceId, expiresAt: Date.now() + ttl, payload });
    return Promise.resolve();
  }

  getInstances(): Promise<StoredInstance[]> {
    const now = Date.now();
    for (const [id, instance] of this.instances) if (instance.expiresAt <= now) this.instances.delete(id);
    return Promise.resolve([...this.instances.values()]);
  }

  removeInstance(instanceId: string): Promise<void> {
    this.instances.delete(instanceId);
    return Promise.resolve();
  }

  private insert(task: StoredTask): void {
    const entry = new Entry(task, this.sequence++);
    this.entries.set(task.id, entry);
    this.place(entry);
  }

  private releasable(release: TaskRelease): boolean {
    const entry = this.entries.get(release.id);
    return entry !== undefined && entry.claim?.owner === release.owner && entry.revision === release.claimedRevision;
  }

  private release(release: TaskRelease): boolean {
    const entry = this.entries.get(release.id);
    if (entry === undefined || !this.releasable(release)) return false;
    entry.claim = null;
    if (release.nextRunTime === null && release.removeWhenFinished) {
      this.due.remove(entry);
      this.entries.delete(release.id);
    } else {
      entry.nextRunTime = release.nextRunTime;
      entry.revision++;
      this.place(entry);
      this.changed();
    }
    return true;
  }

  private acquire(lease: RunLease, maxInstances: number, duration: number): boolean {
    const held = this.runLeases.get(lease.taskId);
    const now = Date.now();
    if (held !== undefined) {
      let live = 0;
      for (const other of held) if (other.expiresAt > now) live++;
      if (live >= maxInstances) return false;
    }
    const entry = new HeldLease(lease, now + duration);
    if (held === undefined) this.runLeases.set(lease.taskId, [entry]);
    else held.push(entry);
    this.runLeasesById.set(lease.runId, entry);
    return true;
  }

  private forgetRunLease(taskId: string, runId: string): void {
    const entry = this.runLeasesById.get(runId);
    if (entry === undefined || entry.taskId !== taskId) return;
    this.runLeasesById.delete(runId);
    const held = this.runLeases.get(taskId)!;
    held.splice(held.indexOf(entry), 1);
    if (held.length === 0) this.runLeases.delete(taskId);
  }

  quarantineTask(id: string, reason: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined) return Promise.reject(errors.taskNotFound(id, this.alias));
    this.due.remove(entry);
    this.entries.delete(id);
    this.quarantine.set(id, { ...entry.task, reason, quarantinedAt: Date.now() });
    return Promise.resolve();
  }

  getQuarantinedTasks(): Promise<QuarantinedTask[]> {
    return Promise.resolve([...this.quarantine.values()]);
  }

  restoreQuarantinedTask(id: string): Promise<void> {
    const held = this.quarantine.get(id);
    if (held === undefined) return Promise.reject(errors.taskNotFound(id, `${this.alias} (quarantine)`));
    if (this.entries.has(id)) return Promise.reject(errors.conflictingId(id, this.alias));
    this.quarantine.delete(id);
    const { reason: _reason, quarantinedAt: _at, ...task } = held;
    return this.addTask(task);
  }

  purgeQuarantinedTask(id: string): Promise<void> {
    if (!this.quarantine.delete(id)) return Promise.reject(errors.taskNotFound(id, `${this.alias} (quarantine)`));
    return Promise.resolve();
  }

  addRuns(runs: readonly StoredRun[], retention: RunRetention): Promise<void> {
    this.runLog.add(runs, retention);
    return Promise.resolve();
  }

  getRuns(taskId: string, options: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]> {
    return Promise.resolve(this.runLog.get(taskId, options));
  }

  /** Tells the schedulers sharing this store; a store used by one scheduler stays quiet. */
  private changed(): void {
    if (this.users.size > 1) for (const user of this.users) user.wake();
  }

  /** Puts an entry where it belongs in the heap, after its task or claim changed. */
  private place(entry: Entry): void {
    if (entry.nextRunTime === null) this.due.remove(entry);
    else this.due.update(entry);
  }
}
