import { errors } from '../errors/index.js';
import type { EventHub } from '../events/events.js';
import type { TaskRun } from '../history/task-run.js';
import type { QuarantinedTask } from '../stores/store.js';
import { reviseRecord, type AddTaskOptions, type TaskChanges } from '../tasks/task.js';
import type { TriggerInput } from '../triggers/trigger.js';
import type { Rooms } from './assembly.js';
import type { Located } from './catalog.js';
import type { TaskInfo, TaskInfoQuery, TaskPage, TaskPageQuery } from './inspection.js';
import { upcomingFireTimes } from '../triggers/upcoming.js';
import type { SchedulerState } from './scheduler-options.js';
import { Task, type TaskOperations } from './task-handle.js';
import { checkCount, fireTimes } from './task-options.js';

/**
 * The scheduler's tasks: adding, changing, running, reading and deleting them, and the
 * quarantine. The part of the {@link Scheduler}'s API that works on tasks, each method handing
 * the work to the room that does it; the scheduler itself adds the lifecycle, handlers, stores,
 * executors and events.
 * @public
 */
export abstract class SchedulerTasks implements TaskOperations {
  /** @internal */
  protected abstract readonly rooms: Rooms;
  /** @internal */
  protected abstract readonly events: EventHub;
  /** @internal The start under way, if any: tasks added meanwhile wait for it. */
  protected abstract readonly startingNow: Promise<void> | undefined;
  abstract get state(): SchedulerState;

  /**
   * Adds a task. Before `start()` it waits, pending, and reaches its store at start.
   *
   * @example
   * ```ts
   * await scheduler.addTask({ id: 'reindex', handler: 'reindex', trigger: { type: 'interval', hours: 1 }, replaceExisting: true });
   * ```
   */
  async addTask<TArgs = unknown>(options: AddTaskOptions<TArgs>): Promise<Task> {
    const addition = this.rooms.options.addition(options as AddTaskOptions);
    if (this.isStopped()) return this.task(await this.rooms.catalog.stage(addition));
    if (this.startingNow !== undefined) await this.startingNow;
    return new Task(this, await this.rooms.catalog.commit(addition), addition.store, false);
  }

  /**
   * Adds many tasks at once: every task is checked before any is added, and each store gets
   * them in one step where it can (one round trip for a Redis store). Each task is added as
   * {@link SchedulerTasks.addTask} would add it, `replaceExisting` included. Ids that exist
   * already in a store, on tasks without `replaceExisting`, reject the call with a
   * `CONFLICTING_ID` error naming them, after the other tasks were added.
   *
   * @example
   * ```ts
   * await scheduler.addTasks(users.map((user) => ({
   *   id: `reminder:${user.id}`,
   *   handler: 'send-reminder',
   *   args: { userId: user.id },
   *   trigger: { type: 'date', runAt: user.remindAt },
   * })));
   * ```
   */
  async addTasks(list: readonly AddTaskOptions[]): Promise<Task[]> {
    const additions = this.rooms.options.additions(list);
    if (this.isStopped()) return (await this.rooms.catalog.stageAll(additions)).map((located) => this.task(located));
    if (this.startingNow !== undefined) await this.startingNow;
    const added = await this.rooms.catalog.commitAll(additions);
    return additions.map((addition) => new Task(this, added.get(addition)!, addition.store, false));
  }

  /**
   * Changes a task. A new trigger recomputes the next run time (a paused task stays paused);
   * the id cannot change.
   *
   * @example
   * ```ts
   * await scheduler.updateTask('digest', { args: { list: 'weekly' }, maxInstances: 2 });
   * ```
   */
  async updateTask(id: string, changes: TaskChanges, options: { store?: string } = {}): Promise<Task> {
    const { options: validation, catalog } = this.rooms;
    validation.checkChanges(id, changes);
    const located = await catalog.locate(id, options.store);
    const { record, schedule } = validation.changed(located.record, located.store, changes);
    return this.task(await catalog.replace(located, record, schedule));
  }

  /** Gives a task a new trigger and computes its next run time from it (resuming it if paused). */
  async rescheduleTask(id: string, trigger: TriggerInput, options: { store?: string } = {}): Promise<Task> {
    const located = await this.rooms.catalog.locate(id, options.store);
    const record = this.rooms.options.rescheduled(located.record, located.store, trigger);
    return this.task(await this.rooms.catalog.replace(located, record, 'from-trigger'));
  }

  /** Pauses a task: it keeps its definition but has no next run time until resumed. */
  async pauseTask(id: string, options: { store?: string } = {}): Promise<Task> {
    const located = await this.rooms.catalog.locate(id, options.store);
    return this.task(await this.rooms.catalog.replace(located, reviseRecord(located.record, { nextRunTime: null }), 'given'));
  }

  /** Resumes a paused task from now; removes it (resolving `null`) if its schedule has finished. */
  async resumeTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.rooms.catalog.locate(id, options.store);
    const nextRunTime = this.rooms.options.firstRunTime(located.record);
    if (nextRunTime === null && located.record.trigger.firesOnShutdown !== true) {
      await this.deleteTask(id, { store: located.store });
      return null;
    }
    return this.task(await this.rooms.catalog.replace(located, reviseRecord(located.record, { nextRunTime }), 'from-trigger'));
  }

  /**
   * Runs a task now. When run times are due they are dispatched as the scheduler would
   * (misfires, coalescing) and the schedule moves on; when none is due, `force` (default
   * `true`) runs it once now without changing its schedule. A schedule that has no more fires
   * afterwards is removed (`removeFinished`, default `true`) or left paused.
   */
  async runTask(id: string, options: { store?: string; force?: boolean; removeFinished?: boolean } = {}): Promise<Task | null> {
    if (this.rooms.startStop.observing) throw errors.observing(`run task "${id}" here`);
    if (this.state === 'stopped') throw errors.notRunning(`run task "${id}"`);
    const { record, store, handle } = await this.rooms.catalog.locate(id, options.store);
    const outcome = await this.rooms.dispatcher.runNow(record, handle, { force: options.force !== false, removeWhenFinished: options.removeFinished !== false });
    if (outcome === 'extra-run') return new Task(this, record, store, false);
    return outcome === 'removed' ? null : this.getTask(id, { store });
  }

  /**
   * Runs a task for fire times its caller found due, as a dispatch runs them (the handler once per
   * time, in order, as one submission; events; `maxInstances`), without claiming the task or
   * moving its schedule: to coalesce, give only the latest.
   * For hosts that keep the clock themselves, such as a Cloudflare Workers cron (`@horae/hono`'s
   * `scheduled`): there, running each fire once is the caller's job. Resolves when the run has
   * ended (its outcome is in the `task:executed` / `task:error` events); a run refused under
   * `maxInstances` is reported as `task:max-instances`.
   *
   * @example
   * ```ts
   * await scheduler.runFires('digest', [new Date('2026-01-05T08:00:00Z')]);
   * ```
   */
  async runFires(id: string, times: readonly (Date | number)[], options: { store?: string } = {}): Promise<void> {
    if (this.rooms.startStop.observing) throw errors.observing(`run task "${id}" here`);
    if (this.state === 'stopped') throw errors.notRunning(`run task "${id}"`);
    const checked = fireTimes(id, times);
    const { record, handle } = await this.rooms.catalog.locate(id, options.store);
    await this.rooms.runner.runFires(record, handle, checked);
  }

  /** Deletes a task. */
  async deleteTask(id: string, options: { store?: string } = {}): Promise<void> {
    const located = await this.rooms.catalog.locate(id, options.store);
    await this.rooms.catalog.delete(located);
    this.events.emit('task:removed', { taskId: id, store: located.store });
  }

  /** Deletes every task, of one store or of all. */
  async removeAllTasks(store?: string): Promise<void> {
    const { stores, catalog } = this.rooms;
    if (store !== undefined) stores.get(undefined, store);
    await catalog.removeAll(store === undefined ? stores.aliases() : [store]);
    this.events.emit('tasks:removed-all', { store: store ?? null });
  }

  /** The task with this id, or `null`. */
  async getTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const located = await this.rooms.catalog.find(id, options.store);
    return located === undefined ? null : this.task(located);
  }

  /** Every task (of one store, or of all), by next run time; paused ones last. */
  async getTasks(store?: string): Promise<Task[]> {
    return (await this.rooms.catalog.collect(store)).map((located) => this.task(located));
  }

  /** An immutable snapshot of a task with its state, or `null`. */
  async getTaskInfo(id: string, options: { store?: string } = {}): Promise<TaskInfo | null> {
    const located = await this.rooms.catalog.find(id, options.store);
    return located === undefined ? null : this.rooms.catalog.info(located);
  }

  /**
   * Snapshots of the tasks that match a query, sorted.
   *
   * @example
   * ```ts
   * const failingSoon = await scheduler.getTaskInfos({ trigger: 'cron', state: 'scheduled', sortBy: 'nextRunTime' });
   * ```
   */
  getTaskInfos(query: TaskInfoQuery = {}): Promise<TaskInfo[]> {
    return this.rooms.catalog.infos(query);
  }

  /**
   * One page of the tasks that match a query, in its order, with how many match altogether and
   * how many of those are in each state. Pass `nextCursor` back as `cursor` for the next page: a
   * cursor names a position, so tasks added or removed meanwhile do not shift the pages. Tasks
   * unchanged since the last listing are not decoded again.
   *
   * @example
   * ```ts
   * let page = await scheduler.getTaskInfoPage({ state: 'paused', limit: 100 });
   * for (;;) {
   *   for (const info of page.tasks) console.log(info.id, info.triggerDescription);
   *   if (page.nextCursor === null) break;
   *   page = await scheduler.getTaskInfoPage({ state: 'paused', limit: 100, cursor: page.nextCursor });
   * }
   * ```
   */
  async getTaskInfoPage(query: TaskPageQuery = {}): Promise<TaskPage> {
    return this.rooms.catalog.page(query, this.rooms.options.pageQuery(query));
  }

  /**
   * A task's next fire times (at most `count`, default 10), from its next run time on; none
   * while it is paused. Jitter is not applied beyond the next run time.
   *
   * @example
   * ```ts
   * const [next, after] = await scheduler.getNextFireTimes('nightly-export', { count: 2 });
   * ```
   */
  async getNextFireTimes(id: string, options: { count?: number; store?: string } = {}): Promise<Date[]> {
    const { count = 10, store } = options;
    checkCount(id, 'count', count);
    const { record } = await this.rooms.catalog.locate(id, store);
    if (record.nextRunTime === null) return [];
    const after = upcomingFireTimes(record.trigger, record.nextRunTime, record.nextRunTime, count - 1);
    return [record.nextRunTime, ...after].map((time) => new Date(time));
  }

  /**
   * The next fire times (at most `count`, default 10) a trigger would have from `from` (default
   * now) on, without adding anything: to check a schedule before saving it. The trigger is
   * validated as `addTask` validates it; `timezone` defaults to the scheduler's.
   *
   * @example
   * ```ts
   * const times = scheduler.previewFireTimes({ type: 'cron', expression: '0 3 * * 1-5', timezone: 'Europe/Berlin' }, { count: 5 });
   * ```
   */
  previewFireTimes(trigger: TriggerInput, options: { count?: number; from?: Date | number | string; timezone?: string } = {}): Date[] {
    return this.rooms.options.previewFireTimes(trigger, options).map((time) => new Date(time));
  }

  /**
   * A task's run history, newest first, as every instance sharing its store recorded it: each
   * run with its fire time(s), instance, start, end, duration and outcome (`succeeded`, `failed`
   * with the error's message and stack, `interrupted`, `missed`, `skipped`), and the head of its
   * return value. At most `limit` runs (default 20, at most 1,000); with `before`, those that
   * ended before it, for paging. A deleted task's runs stay readable until they age out: give
   * its `store` then (else every store is read). Runs that just ended are written first.
   *
   * @example
   * ```ts
   * const [last] = await scheduler.getRuns('nightly-export', { limit: 1 });
   * if (last?.outcome === 'failed') console.error(last.error?.message);
   * ```
   */
  async getRuns(id: string, options: { limit?: number; before?: Date | number | string; store?: string } = {}): Promise<TaskRun[]> {
    const query = this.rooms.options.runQuery(id, options);
    await this.rooms.history.flush();
    const located = options.store === undefined ? await this.rooms.catalog.find(id, undefined) : undefined;
    const aliases = options.store !== undefined ? [options.store] : located !== undefined ? [located.store] : this.rooms.stores.aliases();
    return this.rooms.history.read(id, aliases, query);
  }

  /**
   * The records that could not be read or run (corrupt, undecryptable, of an unknown handler),
   * kept aside with the reason, of one store or of all.
   *
   * @example
   * ```ts
   * for (const held of await scheduler.getQuarantinedTasks()) console.warn(held.id, held.reason);
   * ```
   */
  getQuarantinedTasks(store?: string): Promise<(QuarantinedTask & { store: string })[]> {
    return this.rooms.quarantine.list(store);
  }

  /**
   * Puts a quarantined record back to be scheduled (after the cause was fixed: the handler
   * defined, the key set). It is read again at once; if it still cannot be read, it goes back to
   * the quarantine and this resolves to `null`.
   */
  async restoreQuarantinedTask(id: string, options: { store?: string } = {}): Promise<Task | null> {
    const restored = await this.rooms.quarantine.restore(id, options.store);
    return restored === null ? null : new Task(this, restored.record, restored.store, false);
  }

  /** Deletes a quarantined record for good. */
  purgeQuarantinedTask(id: string, options: { store?: string } = {}): Promise<void> {
    return this.rooms.quarantine.purge(id, options.store);
  }

  private task(located: Located): Task {
    return new Task(this, located.record, located.store, located.pending);
  }

  /** Stopped and not starting: tasks added now wait for `start()`. */
  private isStopped(): boolean {
    return this.state === 'stopped' && this.startingNow === undefined;
  }
}
