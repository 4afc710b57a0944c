import { errors, isHoraeError } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { Executor } from '../executors/executor.js';
import type { Logger } from '../logger/logger.js';
import { reviseRecord, taskRecord, type TaskRecord } from '../tasks/task.js';
import type { Trigger } from '../triggers/trigger.js';
import { toEpoch } from '../time/time.js';
import { pageOf, queryInfos, snapshot, type TaskInfo, type TaskInfoQuery, type TaskPage, type TaskPageQuery, type TaskState } from './inspection.js';
import { ListedTask } from './listed-task.js';
import type { StoreHandle } from './store-handle.js';
import type { StoreSet } from './stores.js';
import type { Addition, TaskOptions } from './task-options.js';

/** Where a task was found, and whether it still waits for its store to start. */
export interface Located {
  record: TaskRecord;
  store: string;
  pending: boolean;
  handle: StoreHandle;
}

/** How a staged task reaches its store at start. */
interface Staged {
  replaceExisting: boolean;
  /** Its next run time is its trigger's first fire time at start (else the one it has). */
  fromTrigger: boolean;
}

/** What the catalog needs of the scheduler. */
export interface CatalogContext {
  readonly stores: StoreSet;
  readonly options: TaskOptions;
  readonly events: EventHub;
  readonly logger: Logger;
  readonly executors: ReadonlyMap<string, Executor>;
  readonly notifyRunTime: (time: number | null) => void;
  /** The zone a `dueBefore` without one is read in. */
  readonly timezone: string;
}

/** Fields that define a task other than its schedule; equal ones make re-registration a no-op. */
const DEFINITION_FIELDS = ['name', 'executor', 'coalesce', 'misfireGraceTime', 'maxInstances', 'jitter'] as const;

function sameArgs(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function sameSchedule(next: Trigger, existing: Trigger): boolean {
  if (next.isSameSchedule !== undefined) return next.isSameSchedule(existing);
  return next.type === existing.type && JSON.stringify(next.toJSON()) === JSON.stringify(existing.toJSON());
}

/**
 * The tasks across the scheduler's stores: adding them (with `replaceExisting`, which keeps a
 * re-declared task's schedule), finding, listing, changing and deleting them. A task added
 * before its store starts is staged (see {@link StoreSet.stagingOf}) and reaches the store at
 * start, as if it had been added then.
 */
export class TaskCatalog {
  /** The staged tasks, by store, then by id in the order they were added. */
  private readonly staged = new Map<string, Map<string, Staged>>();

  constructor(private readonly context: CatalogContext) {}

  /** Keeps a validated task until its store starts. */
  async stage(addition: Addition): Promise<Located> {
    const { record, store } = addition;
    const staging = this.context.stores.stagingOf(store);
    let group = this.staged.get(store);
    if (group === undefined) this.staged.set(store, (group = new Map<string, Staged>()));
    try {
      await staging.add(record);
    } catch (error) {
      if (!addition.replaceExisting || !isHoraeError(error, 'CONFLICTING_ID')) throw error;
      // Replaced: it reaches the store in the order of this addition.
      await staging.delete(record.id);
      group.delete(record.id);
      await staging.add(record);
    }
    group.set(record.id, { replaceExisting: addition.replaceExisting, fromTrigger: addition.nextRunTime === undefined });
    return { record, store, pending: true, handle: staging };
  }

  /** Keeps validated tasks until their stores start; an id staged already, without `replaceExisting`, refuses them all. */
  async stageAll(additions: readonly Addition[]): Promise<Located[]> {
    for (const { record, store, replaceExisting } of additions) {
      if (this.isStaged(store, record.id) && !replaceExisting) throw errors.conflictingId(record.id, store);
    }
    const staged: Located[] = [];
    for (const addition of additions) staged.push(await this.stage(addition));
    return staged;
  }

  /** Whether a task of this id waits for this store to start. */
  isStaged(store: string, id: string): boolean {
    return this.staged.get(store)?.has(id) === true;
  }

  /**
   * Moves the staged tasks into their stores, as if each had been added now, in one step per
   * store where it can. A task that cannot be added is logged with the reason; the others are.
   */
  async commitStaged(): Promise<void> {
    const { stores } = this.context;
    const staged = [...this.staged];
    this.staged.clear();
    const byStore = new Map<string, Addition[]>();
    for (const [alias, group] of staged) {
      const staging = stores.stagingOf(alias);
      const additions: Addition[] = [];
      // Read one by one, in the order they were added (a listing would sort them by time).
      for (const [id, { replaceExisting, fromTrigger }] of group) {
        const record = await staging.lookup(id);
        if (record !== null) additions.push({ record, store: alias, replaceExisting, nextRunTime: fromTrigger ? undefined : record.nextRunTime });
      }
      await staging.removeAll();
      byStore.set(alias, additions);
    }
    for (const [alias, additions] of byStore) {
      try {
        // A schedule that never fires keeps only its own task out.
        const { refused } = await this.addGroup(alias, additions, (id, error) => this.notAddedAtStart(id, alias, error));
        for (const id of refused) this.notAddedAtStart(id, alias, errors.conflictingId(id, alias));
      } catch (error) {
        for (const { record } of additions) this.notAddedAtStart(record.id, alias, error);
      }
    }
  }

  private notAddedAtStart(id: string, store: string, error: unknown): void {
    this.context.logger.error(`Task "${id}" added before start could not be added to store "${store}".`, error);
  }

  /** Puts a validated task into its store, honouring `replaceExisting`; returns what is stored. */
  async commit(addition: Addition): Promise<TaskRecord> {
    const { record, store: alias } = addition;
    const { stores, options, events, notifyRunTime } = this.context;
    const store = stores.get(record.id, alias);
    const first = addition.nextRunTime !== undefined ? addition.nextRunTime : options.firstRunTime(record);
    if (addition.nextRunTime === undefined) options.checkFires(record, first);
    const fresh = taskRecord({ ...record, nextRunTime: first });
    try {
      await store.add(fresh);
      events.emit('task:added', { taskId: record.id, store: alias });
      notifyRunTime(first);
      return fresh;
    } catch (error) {
      if (!addition.replaceExisting || !isHoraeError(error, 'CONFLICTING_ID')) throw error;
    }
    // An unreadable existing record is quarantined by the lookup, so it is kept, not overwritten.
    const existing = await store.lookup(record.id);
    if (existing === null) return this.commit({ ...addition, replaceExisting: false });
    const keepSchedule = addition.nextRunTime === undefined && sameSchedule(record.trigger, existing.trigger);
    const unchanged =
      keepSchedule &&
      DEFINITION_FIELDS.every((field) => existing[field] === record[field]) &&
      existing.handler === record.handler &&
      sameArgs(existing.args, record.args);
    if (unchanged) return existing;
    const replacement = keepSchedule
      ? reviseRecord(existing, { ...record, trigger: existing.trigger, nextRunTime: existing.nextRunTime })
      : reviseRecord(existing, { ...record, nextRunTime: first });
    await store.update(replacement);
    events.emit('task:modified', { taskId: record.id, store: alias });
    notifyRunTime(replacement.nextRunTime);
    return replacement;
  }

  /** Puts validated tasks into their stores, one step per store where it can. */
  async commitAll(additions: readonly Addition[]): Promise<Map<Addition, TaskRecord>> {
    const byStore = new Map<string, Addition[]>();
    for (const addition of additions) {
      const group = byStore.get(addition.store);
      if (group === undefined) byStore.set(addition.store, [addition]);
      else group.push(addition);
    }
    const added = new Map<Addition, TaskRecord>();
    for (const [alias, group] of byStore) {
      for (const [addition, record] of await this.commitMany(alias, group)) added.set(addition, record);
    }
    return added;
  }

  /**
   * Puts validated tasks into one store in one step where it can. Ids that exist go the way of
   * {@link TaskCatalog.commit} when they may be replaced, and are reported together when not.
   */
  async commitMany(alias: string, additions: readonly Addition[]): Promise<Map<Addition, TaskRecord>> {
    const { committed, refused } = await this.addGroup(alias, additions);
    if (refused.length > 0) throw errors.conflictingIds(refused, alias, committed.size);
    return committed;
  }

  /**
   * {@link TaskCatalog.commitMany}, resolving to the ids refused instead of throwing for them.
   * With `unfit`, a task whose schedule never fires is handed to it and left out, instead of
   * failing the whole group.
   */
  private async addGroup(
    alias: string,
    additions: readonly Addition[],
    unfit?: (id: string, error: unknown) => void,
  ): Promise<{ committed: Map<Addition, TaskRecord>; refused: string[] }> {
    const { stores, options, events, notifyRunTime } = this.context;
    const store = stores.get(undefined, alias);
    const fresh = new Map<string, { addition: Addition; record: TaskRecord }>();
    for (const addition of additions) {
      const first = addition.nextRunTime !== undefined ? addition.nextRunTime : options.firstRunTime(addition.record);
      try {
        if (addition.nextRunTime === undefined) options.checkFires(addition.record, first);
      } catch (error) {
        if (unfit === undefined) throw error;
        unfit(addition.record.id, error);
        continue;
      }
      const record = first === addition.record.nextRunTime ? addition.record : taskRecord({ ...addition.record, nextRunTime: first });
      fresh.set(addition.record.id, { addition, record });
    }
    const existing = new Set(await store.addMany([...fresh.values()].map(({ record }) => record)));
    const committed = new Map<Addition, TaskRecord>();
    const refused: string[] = [];
    let earliest: number | null = null;
    for (const [id, { addition, record }] of fresh) {
      if (existing.has(id)) {
        if (addition.replaceExisting) committed.set(addition, await this.commit(addition));
        else refused.push(id);
        continue;
      }
      committed.set(addition, record);
      events.emit('task:added', { taskId: id, store: alias });
      if (record.nextRunTime !== null && (earliest === null || record.nextRunTime < earliest)) earliest = record.nextRunTime;
    }
    notifyRunTime(earliest);
    return { committed, refused };
  }

  /**
   * Writes a changed record where the task lives. A staged task's `schedule` says how it gets
   * its next run time at start: the one it has now (`'given'`), its trigger's first fire time
   * then (`'from-trigger'`), or as before (omitted).
   */
  async replace(located: Located, record: TaskRecord, schedule?: 'given' | 'from-trigger'): Promise<Located> {
    await located.handle.update(record);
    if (located.pending) {
      const staged = this.staged.get(located.store)?.get(record.id);
      if (staged !== undefined && schedule !== undefined) staged.fromTrigger = schedule === 'from-trigger';
    } else {
      this.context.events.emit('task:modified', { taskId: record.id, store: located.store });
      this.context.notifyRunTime(record.nextRunTime);
    }
    return { ...located, record };
  }

  async delete(located: Located): Promise<void> {
    await located.handle.delete(located.record.id);
    this.staged.get(located.store)?.delete(located.record.id);
  }

  /** Deletes every task of the given stores, staged ones included. */
  async removeAll(aliases: readonly string[]): Promise<void> {
    const { stores } = this.context;
    for (const alias of aliases) {
      this.forgetStore(alias);
      await stores.stagingOf(alias).removeAll();
      if (stores.isStarted(alias)) await stores.get(undefined, alias).removeAll();
    }
  }

  /** Forgets the staged tasks of a store that is removed. */
  forgetStore(alias: string): void {
    this.staged.delete(alias);
  }

  async find(id: string, storeAlias: string | undefined): Promise<Located | undefined> {
    const { stores } = this.context;
    if (storeAlias !== undefined) stores.get(id, storeAlias);
    const aliases = storeAlias === undefined ? stores.aliases() : [storeAlias];
    for (const alias of aliases) {
      if (!this.isStaged(alias, id)) continue;
      const staging = stores.stagingOf(alias);
      const record = await staging.lookup(id);
      if (record !== null) return { record, store: alias, pending: true, handle: staging };
    }
    for (const handle of stores.startedHandles()) {
      if (storeAlias !== undefined && handle.alias !== storeAlias) continue;
      const record = await handle.lookup(id);
      if (record !== null) return { record, store: handle.alias, pending: false, handle };
    }
    return undefined;
  }

  async locate(id: string, storeAlias: string | undefined): Promise<Located> {
    const located = await this.find(id, storeAlias);
    if (located === undefined) throw errors.taskNotFound(id, storeAlias);
    return located;
  }

  /** Every task (of one store, or of all), by next run time, paused ones last (in no order with `sorted: false`). */
  async collect(storeAlias: string | undefined, { sorted = true }: { readonly sorted?: boolean } = {}): Promise<Located[]> {
    const { stores } = this.context;
    if (storeAlias !== undefined) stores.get(undefined, storeAlias);
    const found: Located[] = [];
    for (const [alias, group] of this.staged) {
      if (storeAlias !== undefined && alias !== storeAlias) continue;
      const staging = stores.stagingOf(alias);
      for (const id of group.keys()) {
        const record = await staging.lookup(id);
        if (record !== null) found.push({ record, store: alias, pending: true, handle: staging });
      }
    }
    for (const handle of stores.startedHandles()) {
      if (storeAlias !== undefined && handle.alias !== storeAlias) continue;
      for (const record of await handle.all()) found.push({ record, store: handle.alias, pending: false, handle });
    }
    if (!sorted) return found;
    const order = (located: Located): number => located.record.nextRunTime ?? Infinity;
    return found.sort((a, b) => (order(a) === order(b) ? 0 : order(a) < order(b) ? -1 : 1));
  }

  /** Snapshots of the tasks that match a query, sorted (see {@link TaskInfoQuery}). */
  async infos(query: TaskInfoQuery): Promise<TaskInfo[]> {
    const { infos, triggerClassOf, dueBefore } = await this.snapshots(query);
    return queryInfos(infos, query, triggerClassOf, dueBefore);
  }

  /** One page of the tasks that match a query (see {@link TaskPageQuery}); only its own tasks are snapshotted. */
  async page(query: TaskPageQuery, page: Parameters<typeof pageOf>[2]): Promise<TaskPage> {
    const dueBefore = this.dueBefore(query);
    const listed = (await this.collect(query.store, { sorted: false })).map((located) => new ListedTask(located, located.record, located.store, this.stateOf(located)));
    const { items, ...rest } = pageOf(listed, query, page, (entry) => entry.triggerClass, dueBefore);
    return { ...rest, tasks: items.map((entry) => this.info(entry.source)) };
  }

  private dueBefore(query: TaskInfoQuery): number | undefined {
    const dueBefore = query.dueBefore === undefined ? undefined : toEpoch(query.dueBefore, this.context.timezone);
    if (query.dueBefore !== undefined && dueBefore === undefined) {
      throw errors.invalidOption(undefined, 'dueBefore', query.dueBefore, 'give a Date, epoch milliseconds or an ISO string');
    }
    return dueBefore;
  }

  private async snapshots(query: TaskInfoQuery): Promise<{ infos: TaskInfo[]; triggerClassOf: (info: TaskInfo) => string; dueBefore: number | undefined }> {
    const dueBefore = this.dueBefore(query);
    const found = await this.collect(query.store);
    const triggers = new Map(found.map((located) => [located.record.id + '\u0000' + located.store, located.record.trigger]));
    return {
      infos: found.map((located) => this.info(located)),
      triggerClassOf: (info) => triggers.get(info.id + '\u0000' + info.store)?.constructor.name ?? '',
      dueBefore,
    };
  }

  /** A snapshot of a task with its state. */
  info(located: Located): TaskInfo {
    const { record, store } = located;
    return snapshot(record, store, this.stateOf(located), this.running(record));
  }

  private stateOf({ record, pending }: Located): TaskState {
    if (pending) return 'pending';
    if (this.running(record) > 0) return 'running';
    return record.nextRunTime === null && record.trigger.firesOnShutdown !== true ? 'paused' : 'scheduled';
  }

  private running(record: TaskRecord): number {
    return this.context.executors.get(record.executor)?.runningInstances(record.id) ?? 0;
  }
}
