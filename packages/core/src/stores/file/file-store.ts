import { join, resolve } from 'node:path';
import { errors } from '../../errors/index.js';
import { defaultLogger, type Logger } from '../../logger/logger.js';
import { byRunTime, FileClaims, type LiveHead } from './claims.js';
import { CompareAndSwap, type Decision } from './compare-and-swap.js';
import { prepareDirectories } from './directories.js';
import { eachLimited, errorCode, WRITE_CONCURRENCY } from './disk.js';
import { COLLECT_AFTER_MS, GenerationFiles, type Head } from './generations.js';
import { FileHistory } from './history.js';
import { FileInstances } from './instances.js';
import { Intake } from './intake.js';
import { taskIdOf, taskKey } from './naming.js';
import { checkOptions, RESERVED_BYTES, type FileStoreOptions } from './options.js';
import { Quarantine, quarantinedTask, restorable } from './quarantine.js';
import { isLive, liveFile, storedTask, tombstone, toLeaseSlot, toTaskGeneration, type LeaseSlot, type TaskGeneration } from './records.js';
import { RunSlots, slotOf } from './run-slots.js';
import { ChangeWatcher } from './watch.js';
import { dispatchEach } from '../dispatch-each.js';
import type { ClaimOptions, DispatchOutcome, HeldRunLease, Lease, QuarantinedTask, RunLease, RunRetention } from '../store.js';
import type { StoreContext, StoredInstance, StoredRun, StoredTask, TaskDispatch, TaskStore } from '../store.js';

export type { FileStoreOptions } from './options.js';

const LEASE_SUFFIX = '.lease';
const RUNS_DIRECTORY = 'runs';
const QUARANTINE_DIRECTORY = 'quarantine';
const HISTORY_DIRECTORY = 'history';
const INSTANCES_DIRECTORY = 'instances';

/**
 * Keeps tasks in a directory, one JSON file per task, safe for several processes on one host
 * sharing the directory (replicas of an application on one machine, a CLI beside a server). It
 * takes no lock files: every change publishes a new immutable generation of the task's file with
 * an atomic `link`, which fails if another process published that generation first, and the
 * loser reads again. A process that dies mid-write leaves at worst a hidden temporary file,
 * never a half-written task, and holds nothing the others wait for.
 *
 * On disk, in `directory`:
 * - `<id>.<generation><suffix>`: the task's generations, the highest being current. The id is
 *   escaped for the file system (everything but `a-z 0-9 . _ -` as `%XX`). Deleting writes a
 *   tombstone generation, collected ten minutes later. Superseded generations are deleted some
 *   seconds after they were written.
 * - `runs/<id>.<slot>.<generation>.lease`: the run leases that enforce `maxInstances` across processes.
 * - `quarantine/<id>.json`: records that could not be read, kept with the reason.
 * - `history/<id>/<end>-<run id>.run`: the run history, one file per run (see `history.ts`).
 * - `instances/<instance id>.instance`: the scheduler instances alive (see `instances.ts`).
 *
 * Task files can be read with any JSON tool. Files that cannot be read (written by hand, cut
 * short by a foreign tool) are moved to the quarantine and reported, never deleted. Only regular
 * files of at most `maxFileSize` bytes are read, and links are never followed: anything else
 * under a task file's name (a directory, a FIFO, a link to `/dev/zero` or to a secret) is
 * quarantined by its name, unread, and later moved into `quarantine/` whole; every other task
 * goes on as before.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({
 *   stores: { default: new FileStore({ directory: './data/tasks' }) },
 * });
 * ```
 * @public
 */
export class FileStore implements TaskStore {
  readonly persistent: boolean = true;
  /** The absolute path of the task directory. */
  readonly directory: string;
  private readonly suffix: string;
  private readonly mode: number;
  private readonly maxFileSize: number;
  private readonly cleanupOnShutdown: boolean;
  private readonly tasks: GenerationFiles<TaskGeneration>;
  private readonly runs: GenerationFiles<LeaseSlot>;
  private readonly slots: RunSlots;
  private readonly cas: CompareAndSwap;
  private readonly quarantine: Quarantine;
  private readonly history: FileHistory;
  private readonly claims: FileClaims;
  private readonly instances: FileInstances;
  private readonly intake: Intake;
  private readonly watcher: ChangeWatcher;
  private alias = 'default';
  private logger: Logger = defaultLogger;
  /** Reports a record this store quarantined by itself; logs until the scheduler starts it. */
  private reportQuarantined = (id: string, reason: string): void => {
    this.logger.error(`Task "${id}" in store "${this.alias}" was moved to the quarantine: ${reason}.`);
  };
  private preparing: Promise<void> | undefined;
  private lastOrder = 0;

  constructor(options: FileStoreOptions) {
    const checked = checkOptions(options);
    this.directory = resolve(checked.directory);
    this.suffix = checked.suffix;
    this.mode = checked.mode;
    this.maxFileSize = checked.maxFileSize;
    this.cleanupOnShutdown = checked.cleanupOnShutdown;
    this.cas = new CompareAndSwap((operation, attempts) => errors.fileStoreContended(this.alias, this.directory, operation, attempts));
    this.watcher = new ChangeWatcher(this.directory, (name) => this.tasks.isGenerationFile(name), checked.pollInterval);
    this.tasks = new GenerationFiles<TaskGeneration>({
      directory: this.directory,
      suffix: this.suffix,
      maxFileSize: this.maxFileSize,
      isKey: (key) => taskIdOf(key) !== undefined,
      validate: (value, key) => toTaskGeneration(value, taskIdOf(key) ?? key),
      collectable: (doc, now) => !isLive(doc) && now - doc.writtenAt >= COLLECT_AFTER_MS,
      unreadable: (file) => this.intake.unreadableTask(file),
      foreign: (name) => this.intake.foreign(name),
      setAside: (name, reason) => this.intake.setAside(join(this.directory, name), name, reason),
      names: this.watcher.names,
    });
    this.runs = new GenerationFiles<LeaseSlot>({
      directory: join(this.directory, RUNS_DIRECTORY),
      suffix: LEASE_SUFFIX,
      maxFileSize: this.maxFileSize,
      isKey: (key) => slotOf(key) !== undefined,
      validate: (value, key) => toLeaseSlot(value, slotOf(key)?.taskId ?? key),
      collectable: (slot, now) => slot.lease === null && slot.interrupted.length === 0 && now - slot.writtenAt >= COLLECT_AFTER_MS,
      unreadable: (file) => Promise.resolve(this.intake.unreadableSlot(file, slotOf(file.key)?.taskId ?? file.key)),
      setAside: (name, reason) => this.intake.setAside(join(this.runs.directory, name), `${RUNS_DIRECTORY}/${name}`, reason),
    });
    this.slots = new RunSlots(this.runs, this.cas);
    this.claims = new FileClaims({ tasks: this.tasks, cas: this.cas, liveTasks: () => this.liveTasks({ kept: true }), ready: () => this.ready() });
    // A record holds a task file's text, escaped (up to 6 bytes a byte), maybe its bytes in base64 too.
    this.quarantine = new Quarantine(join(this.directory, QUARANTINE_DIRECTORY), 8 * this.maxFileSize + 64 * 1024);
    this.history = new FileHistory(join(this.directory, HISTORY_DIRECTORY), {
      mode: this.mode,
      maxFileSize: this.maxFileSize,
      logger: () => this.logger,
      alias: () => this.alias,
    });
    this.instances = new FileInstances(join(this.directory, INSTANCES_DIRECTORY), { maxFileSize: this.maxFileSize, logger: () => this.logger, alias: () => this.alias });
    this.intake = new Intake({
      directory: this.directory,
      suffix: this.suffix,
      maxFileSize: this.maxFileSize,
      quarantine: this.quarantine,
      quarantineName: QUARANTINE_DIRECTORY,
      names: this.watcher.names,
      tombstone: async (file, id) => {
        await this.tasks.publish({ key: file.key, generation: file.generation, doc: null, seenAt: file.seenAt }, tombstone(id));
      },
      alias: () => this.alias,
      logger: () => this.logger,
      reportQuarantined: (id, reason) => this.reportQuarantined(id, reason),
    });
  }

  async start(context: StoreContext): Promise<void> {
    this.alias = context.alias;
    this.logger = context.logger;
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
    await this.ready();
    await this.watcher.start(() => context.wake(), context.logger, {
      watching: (on) => this.tasks.keepListing(on),
      change: (name) => this.tasks.noteChange(name),
    });
  }

  async shutdown(): Promise<void> {
    this.watcher.stop();
    if (!this.cleanupOnShutdown) return;
    try {
      await this.tasks.removeAll();
      await this.runs.removeAll();
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  async addTask(task: StoredTask): Promise<void> {
    const key = this.checkedKey(task);
    await this.ready();
    await this.change(this.tasks, key, `add task "${task.id}"`, (head) => {
      if (isLive(head.doc)) throw errors.conflictingId(task.id, this.alias);
      return { next: liveFile(task, null, this.nextOrder()), result: undefined };
    });
  }

  async updateTask(task: StoredTask): Promise<void> {
    const key = this.checkedKey(task);
    await this.ready();
    await this.change(this.tasks, key, `update task "${task.id}"`, ({ doc }) => {
      if (!isLive(doc)) throw errors.taskNotFound(task.id, this.alias);
      return { next: liveFile(task, null, doc.order), result: undefined };
    });
  }

  async deleteTask(id: string): Promise<void> {
    const key = taskKey(id);
    await this.ready();
    await this.change(this.tasks, key, `delete task "${id}"`, ({ doc }) => {
      if (!isLive(doc)) throw errors.taskNotFound(id, this.alias);
      return { next: tombstone(id), result: undefined };
    });
  }

  async lookupTask(id: string): Promise<StoredTask | null> {
    const key = taskKey(id);
    await this.ready();
    const { doc } = await this.tasks.head(key);
    return isLive(doc) ? storedTask(doc) : null;
  }

  async getAllTasks(): Promise<StoredTask[]> {
    return (await this.liveTasks()).sort(byRunTime).map(({ doc }) => storedTask(doc));
  }

  async getNextRunTime(): Promise<number | null> {
    let next: number | null = null;
    for (const { doc } of await this.liveTasks({ kept: true })) {
      if (doc.nextRunTime === null) continue;
      // A task under a claim is its claimer's business until the claim would expire.
      const runTime = doc.claim === null ? doc.nextRunTime : Math.max(doc.nextRunTime, doc.claim.expiresAt);
      if (next === null || runTime < next) next = runTime;
    }
    return next;
  }

  async removeAllTasks(): Promise<void> {
    await eachLimited(await this.liveTasks(), WRITE_CONCURRENCY, async (first) => {
      await this.change(this.tasks, first.key, `delete task "${first.doc.id}"`, ({ doc }) => (isLive(doc) ? { next: tombstone(doc.id), result: undefined } : { result: undefined }), first);
    });
  }

  claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    return this.claims.claimDue(options);
  }

  claimTask(id: string, lease: Lease): Promise<StoredTask | null> {
    return this.claims.claimOne(id, lease);
  }

  /**
   * Task by task (see {@link dispatchEach}): each release is one compare-and-swap of the task's
   * file, and a run lease is a file of its own, so no step covers both. Tasks are files of their
   * own, so several are dispatched at once: a burst of due tasks waits on the disk in parallel.
   */
  dispatchTasks(dispatches: readonly TaskDispatch[]): Promise<DispatchOutcome[]> {
    return dispatchEach(
      dispatches,
      {
        release: (release) => this.claims.release(release),
        acquireRunLease: (lease, maxInstances, duration) => this.acquireRunLease(lease, maxInstances, duration),
        releaseRunLease: (taskId, runId) => this.releaseRunLease(taskId, runId),
      },
      { concurrency: WRITE_CONCURRENCY },
    );
  }

  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    const key = taskKey(lease.taskId);
    await this.ready();
    return this.slots.acquire(key, lease, maxInstances, duration);
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    if (runIds.length === 0) return;
    await this.ready();
    await this.slots.renew(owner, runIds, duration);
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    const key = taskKey(taskId);
    await this.ready();
    await this.slots.release(key, taskId, runId);
  }

  async takeExpiredRunLeases(): Promise<RunLease[]> {
    await this.ready();
    return this.slots.takeExpired();
  }

  async quarantineTask(id: string, reason: string): Promise<void> {
    const key = taskKey(id);
    await this.ready();
    const file = await this.change(this.tasks, key, `quarantine task "${id}"`, ({ doc }) => {
      if (!isLive(doc)) throw errors.taskNotFound(id, this.alias);
      return { next: tombstone(id), result: doc };
    });
    await this.quarantine.put({ ...storedTask(file), reason, quarantinedAt: Date.now() });
  }

  async getQuarantinedTasks(): Promise<QuarantinedTask[]> {
    await this.ready();
    return (await this.quarantine.list()).map(quarantinedTask);
  }

  async restoreQuarantinedTask(id: string): Promise<void> {
    await this.ready();
    const record = await this.quarantine.get(id);
    if (record === undefined) throw errors.taskNotFound(id, `${this.alias} (quarantine)`);
    const task = restorable(record);
    if (typeof task === 'string') {
      // Still unreadable: it stays where it is, with the news (a record of an entry never read
      // has none, and keeps the reason that names the entry).
      if (record.unread !== true) await this.quarantine.put({ ...record, reason: `${task} (tried again when restored)`, quarantinedAt: Date.now() });
      return;
    }
    this.checkSize(task);
    await this.change(this.tasks, taskKey(task.id), `restore task "${task.id}"`, ({ doc }) => {
      if (isLive(doc)) throw errors.conflictingId(task.id, this.alias);
      return { next: liveFile(task, null, this.nextOrder()), result: undefined };
    });
    await this.quarantine.remove(id);
  }

  async purgeQuarantinedTask(id: string): Promise<void> {
    await this.ready();
    if (!(await this.quarantine.remove(id))) throw errors.taskNotFound(id, `${this.alias} (quarantine)`);
  }

  async addRuns(runs: readonly StoredRun[], retention: RunRetention): Promise<void> {
    await this.ready();
    await this.history.add(runs, retention);
  }

  async getRuns(taskId: string, options: { readonly limit: number; readonly before?: number }): Promise<StoredRun[]> {
    await this.ready();
    return this.history.list(taskId, options);
  }

  async beatInstance(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    await this.ready();
    await this.instances.beat(instanceId, payload, ttl);
  }

  async getInstances(): Promise<StoredInstance[]> {
    await this.ready();
    return this.instances.list();
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.ready();
    await this.instances.remove(instanceId);
  }

  async getRunLeases(): Promise<HeldRunLease[]> {
    await this.ready();
    return this.slots.alive();
  }

  // ---------------------------------------------------------------- internals

  /** Creates and checks the directories once (see {@link prepareDirectories}). */
  private ready(): Promise<void> {
    this.preparing ??= prepareDirectories({
      store: this.alias,
      directory: this.directory,
      subdirectories: [
        { path: this.runs.directory, holds: 'run leases' },
        { path: this.quarantine.directory, holds: 'quarantined records' },
        { path: this.history.directory, holds: 'the run history' },
        { path: this.instances.directory, holds: 'the instances alive' },
      ],
      mode: this.mode,
      logger: this.logger,
    }).catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  /**
   * The tasks that exist. `kept`: for the dispatcher's calls, from the listing kept up to date by
   * watching the directory (see {@link GenerationFiles.keepListing}); changes it has not heard of
   * yet wake it soon after.
   */
  private async liveTasks(options: { readonly kept?: boolean } = {}): Promise<LiveHead[]> {
    await this.ready();
    return (await this.tasks.heads(undefined, options)).filter((head): head is LiveHead => isLive(head.doc));
  }

  /** The file-name key of a task to write, after checking its id, that its payload is JSON, and its size. */
  private checkedKey(task: StoredTask): string {
    const key = taskKey(task.id);
    if (JSON.stringify(task.payload) === undefined) throw errors.notSerializable(task.id, this.alias, 'payload', task.payload);
    this.checkSize(task);
    return key;
  }

  /**
   * Refuses a task whose file every reader would refuse as too large. Room is kept for what
   * claims add later, so that a task accepted now stays readable.
   */
  private checkSize(task: StoredTask): void {
    const bytes = Buffer.byteLength(JSON.stringify(liveFile(task, null, this.lastOrder)), 'utf8');
    if (bytes > this.maxFileSize - RESERVED_BYTES) throw errors.fileStoreFileTooLarge(task.id, this.alias, bytes, this.maxFileSize - RESERVED_BYTES);
  }

  /** See {@link CompareAndSwap.change}. */
  private change<TDoc extends object, TResult>(
    files: GenerationFiles<TDoc>,
    key: string,
    operation: string,
    decide: (head: Head<TDoc>) => Decision<TDoc, TResult>,
    first?: Head<TDoc>,
  ): Promise<TResult> {
    return this.cas.change(files, key, operation, decide, first);
  }

  /** Increasing, and comparable across processes: the insertion order of tasks with equal run times. */
  private nextOrder(): number {
    this.lastOrder = Math.max(Date.now() * 1000, this.lastOrder + 1);
    return this.lastOrder;
  }
}
