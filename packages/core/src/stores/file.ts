import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errors, HoraeError } from '../errors/index.js';
import { defaultLogger, type Logger } from '../logger/logger.js';
import { resolveEncryptionKey } from './codec.js';
import { eachLimited, errorCode, removeQuietly } from './file/disk.js';
import { COLLECT_AFTER_MS, GenerationFiles, type Head, type UnreadableFile } from './file/generations.js';
import { taskIdOf, taskKey } from './file/naming.js';
import { Quarantine, quarantinedTask, rawBytes, unreadableFileRecord, type QuarantineRecord } from './file/quarantine.js';
import { isLive, storedTask, toLeaseSlot, toTaskGeneration, type HeldLease, type LeaseSlot, type TaskFile, type TaskGeneration, type Tombstone } from './file/records.js';
import { ChangeWatcher } from './file/watch.js';
import type { ClaimOptions, Lease, QuarantinedTask, RunLease, StoreContext, StoredTask, TaskRelease, TaskStore } from './store.js';

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * const store = new FileStore({ directory: '/var/lib/my-app/tasks', pollInterval: 500 });
 * ```
 * @public
 */
export interface FileStoreOptions {
  /** The directory of the task files, shared by every process using the store; created when missing. */
  readonly directory: string;
  /** Ends the name of every task file. Default `'.task'`. */
  readonly suffix?: string;
  /**
   * Permissions of the directory (and its `runs` and `quarantine` subdirectories) when the store
   * creates them. Default `0o700`: task arguments may be private.
   */
  readonly mode?: number;
  /** Delete the task files at shutdown, for throwaway directories. Quarantined records stay. Default `false`. */
  readonly cleanupOnShutdown?: boolean;
  /**
   * How often (ms) the directory listing is compared for changes made by other processes that
   * `fs.watch` missed (it is unreliable on network file systems). Default `1000`.
   */
  readonly pollInterval?: number;
  /**
   * The key payloads are encrypted with; `null` for none. Default: the `HORAE_STORE_ENCRYPTION_KEY`
   * environment variable.
   */
  readonly encryptionKey?: string | null;
}

const DEFAULT_SUFFIX = '.task';
const LEASE_SUFFIX = '.lease';
const RUNS_DIRECTORY = 'runs';
const QUARANTINE_DIRECTORY = 'quarantine';
/** How often one change is tried while other processes keep changing the same task first. */
const MAX_ATTEMPTS = 100;
/** How many files one call writes at a time. */
const WRITE_CONCURRENCY = 16;

/** The current generation of a task that exists. */
type LiveHead = Head<TaskGeneration> & { readonly doc: TaskFile };

/** What a compare-and-swap step decided: the next generation to publish (if any) and the result. */
type Decision<TDoc, TResult> = { readonly next?: TDoc; readonly result: TResult };

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
 *
 * Task files can be read with any JSON tool. Files that cannot be read (written by hand, cut
 * short by a foreign tool) are moved to the quarantine and reported, never deleted.
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
  readonly encryptionKey: string | undefined;
  /** The absolute path of the task directory. */
  readonly directory: string;
  private readonly suffix: string;
  private readonly mode: number;
  private readonly cleanupOnShutdown: boolean;
  private readonly tasks: GenerationFiles<TaskGeneration>;
  private readonly runs: GenerationFiles<LeaseSlot>;
  private readonly quarantine: Quarantine;
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
    this.cleanupOnShutdown = checked.cleanupOnShutdown;
    this.encryptionKey = resolveEncryptionKey(options.encryptionKey);
    this.watcher = new ChangeWatcher(this.directory, (name) => this.tasks.isGenerationFile(name), checked.pollInterval);
    this.tasks = new GenerationFiles<TaskGeneration>({
      directory: this.directory,
      suffix: this.suffix,
      isKey: (key) => taskIdOf(key) !== undefined,
      validate: (value, key) => toTaskGeneration(value, taskIdOf(key) ?? key),
      collectable: (doc, now) => !isLive(doc) && now - doc.writtenAt >= COLLECT_AFTER_MS,
      unreadable: (file) => this.quarantineUnreadable(file),
      foreign: (name) => this.quarantineForeign(name),
      names: this.watcher.names,
    });
    this.runs = new GenerationFiles<LeaseSlot>({
      directory: join(this.directory, RUNS_DIRECTORY),
      suffix: LEASE_SUFFIX,
      isKey: (key) => slotOf(key) !== undefined,
      validate: (value, key) => toLeaseSlot(value, slotOf(key)?.taskId ?? key),
      collectable: (slot, now) => slot.lease === null && slot.interrupted.length === 0 && now - slot.writtenAt >= COLLECT_AFTER_MS,
      unreadable: (file) => Promise.resolve(this.freeUnreadableSlot(file)),
    });
    this.quarantine = new Quarantine(join(this.directory, QUARANTINE_DIRECTORY), this.mode);
  }

  async start(context: StoreContext): Promise<void> {
    this.alias = context.alias;
    this.logger = context.logger;
    this.reportQuarantined = (id, reason) => context.quarantined(id, reason);
    await this.ready();
    await this.watcher.start(() => context.wake(), context.logger);
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
    for (const { doc } of await this.liveTasks()) {
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

  async claimDueTasks({ now, limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    const due = (await this.liveTasks())
      .filter(({ doc }) => doc.nextRunTime !== null && doc.nextRunTime <= now && (doc.claim === null || doc.claim.expiresAt <= now))
      .sort(byRunTime);
    const claimed: StoredTask[] = [];
    // In batches no bigger than the claims still wanted, so that the limit is never passed.
    for (let next = 0; next < due.length && claimed.length < limit; ) {
      const batch = due.slice(next, next + Math.min(limit - claimed.length, WRITE_CONCURRENCY));
      next += batch.length;
      const won = await Promise.all(batch.map((head) => this.tasks.publish(head, { ...head.doc, claim: { owner, expiresAt: now + duration }, writtenAt: Date.now() })));
      // A lost race means another process claimed or changed the task first: it is not ours.
      for (const [index, head] of batch.entries()) if (won[index] === true) claimed.push(storedTask(head.doc));
    }
    return claimed;
  }

  async claimTask(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    const key = taskKey(id);
    await this.ready();
    return this.change(this.tasks, key, `claim task "${id}"`, ({ doc }) => {
      const now = Date.now();
      if (!isLive(doc) || (doc.claim !== null && doc.claim.expiresAt > now)) return { result: null };
      return { next: { ...doc, claim: { owner, expiresAt: now + duration }, writtenAt: now }, result: storedTask(doc) };
    });
  }

  async releaseTask(release: TaskRelease): Promise<boolean> {
    const key = taskKey(release.id);
    await this.ready();
    return this.change(this.tasks, key, `release task "${release.id}"`, ({ doc }) => {
      // Refused when the claim is no longer this owner's, or the task changed since the claim.
      if (!isLive(doc) || doc.claim?.owner !== release.owner || doc.revision !== release.claimedRevision) return { result: false };
      if (release.nextRunTime === null && release.removeWhenFinished) return { next: tombstone(doc.id), result: true };
      const next: TaskFile = { ...doc, nextRunTime: release.nextRunTime, revision: doc.revision + 1, claim: null, writtenAt: Date.now() };
      return { next, result: true };
    });
  }

  async acquireRunLease(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    const key = taskKey(lease.taskId);
    const run: RunLease = { taskId: lease.taskId, runId: lease.runId, owner: lease.owner, scheduledAt: lease.scheduledAt };
    await this.ready();
    return this.attempt(`take a run lease of task "${lease.taskId}"`, async () => {
      const seenAt = Date.now();
      const slots = new Map((await this.runs.heads((slot) => slotOf(slot)?.taskKey === key)).map((head) => [slotOf(head.key)?.slot, head]));
      const now = Date.now();
      const isLeased = (head: Head<LeaseSlot> | undefined): boolean => (leaseOf(head)?.expiresAt ?? -Infinity) > now;
      // Every live lease counts, also in slots beyond a lowered maxInstances.
      if ([...slots.values()].filter(isLeased).length >= maxInstances) return false;
      for (let slot = 0; slot < maxInstances; slot++) {
        const head = slots.get(slot) ?? { key: `${key}.${slot}`, generation: 0, doc: null, seenAt };
        if (isLeased(head)) continue;
        // Taking over an expired lease keeps it for takeExpiredRunLeases to report.
        const held = leaseOf(head);
        const expired = held === null ? [] : [runLease(held)];
        const next: LeaseSlot = {
          taskId: lease.taskId,
          lease: { ...run, expiresAt: now + duration },
          interrupted: [...(head.doc?.interrupted ?? []), ...expired],
          writtenAt: now,
        };
        // Lost: another run took a slot meanwhile; count again.
        return (await this.runs.publish(head, next)) ? true : AGAIN;
      }
      return false;
    });
  }

  async renewRunLeases(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    if (runIds.length === 0) return;
    await this.ready();
    const wanted = new Set(runIds);
    const isMine = (head: Head<LeaseSlot>, runId?: string): boolean => {
      const lease = leaseOf(head);
      return lease !== null && lease.owner === owner && (runId === undefined ? wanted.has(lease.runId) : lease.runId === runId);
    };
    await eachLimited((await this.runs.heads()).filter((head) => isMine(head)), WRITE_CONCURRENCY, async (first) => {
      const runId = leaseOf(first)?.runId;
      await this.change(this.runs, first.key, 'renew a run lease', (head) => {
        // Taken over or reported as expired meanwhile: it is no longer ours to renew.
        if (head.doc === null || head.doc.lease === null || !isMine(head, runId)) return { result: undefined };
        const now = Date.now();
        return { next: { ...head.doc, lease: { ...head.doc.lease, expiresAt: now + duration }, writtenAt: now }, result: undefined };
      }, first);
    });
  }

  async releaseRunLease(taskId: string, runId: string): Promise<void> {
    const key = taskKey(taskId);
    await this.ready();
    const holding = (await this.runs.heads((slot) => slotOf(slot)?.taskKey === key)).find(({ doc }) => doc?.lease?.runId === runId);
    if (holding === undefined) return;
    await this.change(this.runs, holding.key, `release a run lease of task "${taskId}"`, ({ doc }) => {
      if (doc?.lease?.runId !== runId) return { result: undefined };
      return { next: { ...doc, lease: null, writtenAt: Date.now() }, result: undefined };
    }, holding);
  }

  async takeExpiredRunLeases(): Promise<RunLease[]> {
    await this.ready();
    const now = Date.now();
    const taken: RunLease[] = [];
    await eachLimited(await this.runs.heads(), WRITE_CONCURRENCY, async (head) => {
      const { doc } = head;
      if (doc === null) return;
      const expired = doc.lease !== null && doc.lease.expiresAt <= now;
      if (!expired && doc.interrupted.length === 0) return;
      const reports = [...doc.interrupted, ...(expired && doc.lease !== null ? [runLease(doc.lease)] : [])];
      // Only the process whose generation lands reports them: each lease is reported once.
      if (await this.runs.publish(head, { ...doc, lease: expired ? null : doc.lease, interrupted: [], writtenAt: now })) taken.push(...reports);
    });
    return taken;
  }

  async quarantineTask(id: string, reason: string): Promise<void> {
    const key = taskKey(id);
    await this.ready();
    const file = await this.change(this.tasks, key, `quarantine task "${id}"`, ({ doc }) => {
      if (!isLive(doc)) throw errors.taskNotFound(id, this.alias);
      return { next: tombstone(id), result: doc };
    });
    await this.quarantine.put({ id, payload: file.payload, nextRunTime: file.nextRunTime, revision: file.revision, reason, quarantinedAt: Date.now() });
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
      // Still unreadable: it stays where it is, with the news.
      await this.quarantine.put({ ...record, reason: `${task} (tried again when restored)`, quarantinedAt: Date.now() });
      return;
    }
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

  // ---------------------------------------------------------------- internals

  /** Creates the directories once. Their mode is set exactly: `mkdir` would reduce it by the umask. */
  private ready(): Promise<void> {
    this.preparing ??= (async () => {
      for (const directory of [this.directory, this.runs.directory, this.quarantine.directory]) {
        if ((await mkdir(directory, { recursive: true, mode: this.mode })) !== undefined) await chmod(directory, this.mode);
      }
    })().catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  private async liveTasks(): Promise<LiveHead[]> {
    await this.ready();
    return (await this.tasks.heads()).filter((head): head is LiveHead => isLive(head.doc));
  }

  /** The file-name key of a task to write, after checking its id and that its payload is JSON. */
  private checkedKey(task: StoredTask): string {
    const key = taskKey(task.id);
    if (JSON.stringify(task.payload) === undefined) throw errors.notSerializable(task.id, this.alias, 'payload', task.payload);
    return key;
  }

  /**
   * Changes one key by compare-and-swap: reads its current generation (or starts from `first`),
   * lets `decide` compute the next one, and publishes it; when another process changed the key
   * in between, reads again and decides anew. `decide` may throw to refuse.
   */
  private change<TDoc extends object, TResult>(
    files: GenerationFiles<TDoc>,
    key: string,
    operation: string,
    decide: (head: Head<TDoc>) => Decision<TDoc, TResult>,
    first?: Head<TDoc>,
  ): Promise<TResult> {
    let known = first;
    return this.attempt(operation, async () => {
      const head = known ?? (await files.head(key));
      known = undefined;
      const { next, result } = decide(head);
      if (next === undefined) return result;
      return (await files.publish(head, next)) ? result : AGAIN;
    });
  }

  /** Runs `step` until it settles (does not return {@link AGAIN}), a bounded number of times. */
  private async attempt<TResult>(operation: string, step: () => Promise<TResult | typeof AGAIN>): Promise<TResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const result = await step();
      if (result !== AGAIN) return result;
    }
    throw new HoraeError(
      'STORE_UNAVAILABLE',
      `Store "${this.alias}" (${this.directory}) could not ${operation}: other processes changed it first ${MAX_ATTEMPTS} times in a row.`,
    );
  }

  /** Increasing, and comparable across processes: the insertion order of tasks with equal run times. */
  private nextOrder(): number {
    this.lastOrder = Math.max(Date.now() * 1000, this.lastOrder + 1);
    return this.lastOrder;
  }

  /**
   * A task file that cannot be read: its bytes go to the quarantine, and a tombstone takes the
   * task out of scheduling (the file itself is then swept like any superseded generation).
   */
  private async quarantineUnreadable(file: UnreadableFile): Promise<TaskGeneration | undefined> {
    const id = taskIdOf(file.key) ?? file.fileName;
    const reason = `its file ${file.fileName} cannot be read: ${file.reason}`;
    try {
      await this.quarantine.put(unreadableFileRecord(id, file.fileName, file.raw, reason));
    } catch (error) {
      this.logger.error(`Task "${id}" in store "${this.alias}" cannot be read (${file.reason}), nor moved to the quarantine; it is skipped.`, error);
      // Skipped without a tombstone, so the file stays current and is never collected.
      return { id, deleted: true, writtenAt: Infinity };
    }
    this.reportQuarantined(id, reason);
    await this.tasks.publish({ key: file.key, generation: file.generation, doc: null, seenAt: file.seenAt }, tombstone(id));
    return undefined;
  }

  /** A file with the task suffix this store did not name: kept in the quarantine under its file name. */
  private async quarantineForeign(name: string): Promise<void> {
    const path = join(this.directory, name);
    let raw: Buffer;
    try {
      raw = await readFile(path);
    } catch {
      return; // another process moved it first
    }
    const reason = `its file name is not <id>.<generation>${this.suffix}, the names this store writes`;
    await this.quarantine.put(unreadableFileRecord(name, name, raw, reason));
    this.reportQuarantined(name, reason);
    this.watcher.names.add(name);
    await removeQuietly(path);
  }

  /** A run-lease file that cannot be read counts as a free slot: leases are bookkeeping, not tasks. */
  private freeUnreadableSlot(file: UnreadableFile): LeaseSlot {
    this.logger.warn(`Run-lease file ${file.fileName} in store "${this.alias}" cannot be read (${file.reason}); its slot counts as free.`);
    return { taskId: slotOf(file.key)?.taskId ?? file.key, lease: null, interrupted: [], writtenAt: 0 };
  }
}

/** Returned by a step of {@link FileStore.attempt} that lost a race and must be tried again. */
const AGAIN = Symbol('again');

function liveFile(task: StoredTask, claim: TaskFile['claim'], order: number): TaskFile {
  return { id: task.id, nextRunTime: task.nextRunTime, revision: task.revision, payload: task.payload, claim, order, writtenAt: Date.now() };
}

function tombstone(id: string): Tombstone {
  return { id, deleted: true, writtenAt: Date.now() };
}

function leaseOf(head: Head<LeaseSlot> | undefined): HeldLease | null {
  return head?.doc?.lease ?? null;
}

function runLease({ taskId, runId, owner, scheduledAt }: HeldLease): RunLease {
  return { taskId, runId, owner, scheduledAt };
}

/** By next run time, paused last, then in the order the tasks were added. */
function byRunTime({ doc: a }: LiveHead, { doc: b }: LiveHead): number {
  return (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity) || a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The task and slot a run-lease key (`<task key>.<slot>`) stands for. */
function slotOf(key: string): { taskId: string; taskKey: string; slot: number } | undefined {
  const match = /^(.+)\.(0|[1-9]\d{0,8})$/.exec(key);
  const taskId = match?.[1] === undefined ? undefined : taskIdOf(match[1]);
  if (match?.[1] === undefined || match[2] === undefined || taskId === undefined) return undefined;
  return { taskId, taskKey: match[1], slot: Number(match[2]) };
}

/** The task a quarantine record gives back, or why it still cannot be read. */
function restorable(record: QuarantineRecord): StoredTask | string {
  const { id, payload, nextRunTime, revision } = record;
  if (record.unreadableFile === undefined) return { id, payload, nextRunTime, revision };
  // The record holds a file that could not be read: read it again, as a task file.
  let value: unknown;
  try {
    value = JSON.parse(rawBytes(record).toString('utf8'));
  } catch (error) {
    return `it is not valid JSON (${(error as Error).message})`;
  }
  const named = (value as { id?: unknown } | null)?.id;
  const taskId = typeof named === 'string' ? named : id;
  try {
    taskKey(taskId);
  } catch (error) {
    return (error as Error).message;
  }
  const file = toTaskGeneration(value, taskId);
  if (typeof file === 'string') return file;
  return isLive(file) ? storedTask(file) : 'it is a tombstone: the task was deleted';
}

function checkOptions(options: FileStoreOptions): Required<Omit<FileStoreOptions, 'encryptionKey'>> {
  const invalid = (name: string, value: unknown, allowed: string) => errors.invalidOption(undefined, `FileStore option "${name}"`, value, allowed);
  const { directory, suffix = DEFAULT_SUFFIX, mode = 0o700, cleanupOnShutdown = false, pollInterval = 1000 } = options ?? {};
  if (typeof directory !== 'string' || directory === '') throw invalid('directory', directory, 'the path of a directory (created when missing)');
  if (typeof suffix !== 'string' || !/^\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,14}$/.test(suffix)) {
    throw invalid('suffix', suffix, 'a "." followed by 1 to 15 letters, digits, ".", "_" or "-", such as ".task"');
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o700) !== 0o700) {
    throw invalid('mode', mode, 'permission bits such as 0o700 or 0o750; the owner needs read, write and search permission');
  }
  if (typeof cleanupOnShutdown !== 'boolean') throw invalid('cleanupOnShutdown', cleanupOnShutdown, 'true or false');
  if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < 1 || pollInterval > 2 ** 31 - 1) {
    throw invalid('pollInterval', pollInterval, 'a number of milliseconds, at least 1');
  }
  return { directory, suffix, mode, cleanupOnShutdown, pollInterval };
}
