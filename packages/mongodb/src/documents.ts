/**
 * The documents MongoDBStore keeps, how it reads them, and the aggregation expressions its
 * update pipelines share. Reading is strict: a document of the wrong shape (written by another
 * tool, or edited by hand) is reported as unreadable with the reason, for the quarantine.
 */
import type { QuarantinedTask, RunLease, StoredTask } from '@horae/core/store';
import { ObjectId, type Document } from 'mongodb';

/**
 * The document a task is stored in: one per task, `_id` = task id. The task's record, as the
 * scheduler encoded it, is its `payload`, kept verbatim. The same document holds the task's run leases
 * (`runs`), so that a dispatch records a run lease and commits the release in one atomic update
 * of one document, and the release of a finished task's run deletes the document in one step.
 *
 * `dueAt` is what the due index (`{ dueAt: 1, seq: 1, _id: 1 }`) orders by: the next run time while the
 * task is free; while it is claimed, the later of its next run time and the claim's expiry, so
 * that a task under a live claim is never due and an expired claim makes it due again; absent
 * (null) while the task is paused. "What is due" and "when is the next work" are both one range
 * of that index.
 *
 * A document with `runsOnly: true` holds no task, only runs in progress: those of a task that
 * finished, was deleted or quarantined while it ran (or of a task id that never had a task, as a
 * store may be asked to count runs of any id). Every read of tasks leaves it out, adding a task of
 * that id takes it over (keeping the runs, which still count against `maxInstances`), and it is
 * deleted with its last run.
 */
export interface StoredTaskDocument {
  _id: string;
  /** Epoch ms; `null` while paused. */
  nextRunTime: number | null;
  /** Epoch ms the due index orders by (see above); `null` while paused. */
  dueAt: number | null;
  revision: number;
  /** The order tasks were added in, for equal run times. */
  seq: ObjectId;
  /** The scheduler's encoded record, verbatim. */
  payload: string;
  /** The scheduler's seal of the record, verbatim; absent when it gave none. */
  seal?: string;
  /** While claimed: the claiming instance. */
  claimedBy?: string;
  /** While claimed: when the claim runs out, epoch ms on MongoDB's clock. */
  claimExpiresAt?: number;
  /** While claimed: unique per claim call, to find what one call claimed. */
  claimToken?: string;
  /** The batch whose release last applied (see `dispatchTasks`), to find which did. */
  releasedBy?: string;
  /** The task's runs in progress anywhere, for a cluster-wide `maxInstances`; absent when none. */
  runs?: RunEntry[];
  /**
   * The earliest `expiresAt` of `runs`, indexed (sparse) for collecting expired leases; absent
   * when there are no runs, except on an empty `runsOnly` document: a minute after it became
   * empty, so that the same sweep deletes it if whoever emptied it did not (a dispatch deletes
   * the ones it leaves at once, but reads them back first when some of its releases failed).
   */
  runExpiry?: number;
  /** The leases the last {@link takeExpiredRunLeases} call removed, under that call's token. */
  taken?: { token: string; runs: RunEntry[] };
  /** No task here, only runs (see above). */
  runsOnly?: true;
}

export interface RunEntry {
  runId: string;
  owner: string;
  scheduledAt: number;
  /** Epoch ms on MongoDB's clock. */
  expiresAt: number;
}

/** A task moved out of scheduling: `_id` = task id, the document exactly as it was found. */
export interface QuarantineDocument {
  _id: string;
  reason: string;
  /** Epoch ms on MongoDB's clock. */
  quarantinedAt: number;
  record: Document;
  /** Unique per move, so that a move that has to be undone removes its own entry only. */
  moveToken: string;
}

/** A task as read from its document. */
export interface TaskRow extends StoredTask {
  readonly payload: string;
  /** For ordering equal run times; '' when the document lacks it. */
  readonly order: string;
}

/**
 * A task's new document, as add, update and restore write it: at the end of its run time's queue
 * (a new `seq`), unclaimed, without runs.
 */
export function newTaskDocument({ id, nextRunTime, revision, payload, seal }: StoredTask & { readonly payload: string }): StoredTaskDocument {
  return { _id: id, nextRunTime, dueAt: nextRunTime, revision, seq: new ObjectId(), payload, ...(seal === undefined ? {} : { seal }) };
}

/** A task read from its document, as the scheduler is given it. */
export function stored({ id, nextRunTime, revision, payload, seal }: TaskRow): StoredTask {
  return seal === undefined ? { id, nextRunTime, revision, payload } : { id, nextRunTime, revision, payload, seal };
}

/** Orders strings by UTF-16 code unit: the same order in every locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A task, or why its document cannot be read. */
export function readTask(document: Document): TaskRow | string {
  const { _id: id, nextRunTime = null, dueAt = null, revision, payload, seal, seq } = document as Partial<Record<string, unknown>>;
  if (typeof id !== 'string') return 'its _id is not a string';
  if (nextRunTime !== null && !isFiniteNumber(nextRunTime)) return 'its nextRunTime is neither a number nor null';
  if (!isFiniteNumber(revision)) return 'its revision is not a number';
  if (typeof payload !== 'string') return 'its payload is not a string';
  if (!(seal === undefined || seal === null || typeof seal === 'string')) return 'its seal is not a string';
  if (nextRunTime === null ? dueAt !== null : !isFiniteNumber(dueAt)) {
    return `its dueAt (${describeValue(dueAt)}) does not go with its nextRunTime (${describeValue(nextRunTime)}): a number while scheduled, null while paused`;
  }
  return { id, nextRunTime, revision, payload, ...(typeof seal === 'string' ? { seal } : {}), order: orderOf(seq) };
}

/** A quarantined task as {@link QuarantinedTask}: a readable record gives its fields, else as found. */
export function readQuarantined(entry: Document): QuarantinedTask {
  const { _id, reason: givenReason, quarantinedAt: givenAt, record } = entry as Partial<Record<string, unknown>>;
  const id = String(_id);
  const reason = typeof givenReason === 'string' ? givenReason : 'its quarantine entry cannot be read';
  const quarantinedAt = isFiniteNumber(givenAt) ? givenAt : 0;
  if (typeof record !== 'object' || record === null) return { id, payload: record ?? entry, nextRunTime: null, revision: 0, reason, quarantinedAt };
  const task = readTask(record);
  if (typeof task !== 'string') {
    const { order: _order, ...fields } = task;
    return { ...fields, reason, quarantinedAt };
  }
  // Unreadable: the payload as found when there is one, else the whole document.
  const found = record as Document;
  return {
    id,
    payload: 'payload' in found ? found.payload : found,
    nextRunTime: isFiniteNumber(found.nextRunTime) ? found.nextRunTime : null,
    revision: isFiniteNumber(found.revision) ? found.revision : 0,
    reason,
    quarantinedAt,
  };
}

/** A run lease from its entry, or `undefined` when the entry is not of the expected shape. */
export function readRunLease(taskId: string, entry: unknown): RunLease | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { runId, owner, scheduledAt } = entry as Partial<Record<keyof RunEntry, unknown>>;
  if (typeof runId !== 'string' || typeof owner !== 'string' || !isFiniteNumber(scheduledAt)) return undefined;
  return { taskId, runId, owner, scheduledAt };
}

/**
 * A filter matching a task document only while it is still exactly as read (every field the
 * store writes), so that a move to the quarantine never takes away a version nobody looked at.
 */
export function unchanged(document: Document): Document {
  const found = document as Partial<Record<string, unknown>>;
  const filter: Document = { _id: found._id };
  for (const field of ['nextRunTime', 'dueAt', 'revision', 'seq', 'payload', 'seal', 'claimedBy', 'claimExpiresAt', 'claimToken', 'releasedBy']) {
    filter[field] = field in found ? { $eq: found[field] } : { $exists: false };
  }
  return filter;
}

function orderOf(seq: unknown): string {
  if (typeof seq === 'object' && seq !== null && typeof (seq as { toHexString?: unknown }).toHexString === 'function') return (seq as ObjectId).toHexString();
  return typeof seq === 'string' || typeof seq === 'number' ? String(seq) : '';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function describeValue(value: unknown): string {
  return value === null || value === undefined ? 'null' : typeof value === 'number' ? String(value) : typeof value;
}

// ------------------------------------------------------------------ shared expressions

/** MongoDB's clock, epoch ms: `$$NOW` is one value for the whole command, filter and update alike. */
export const SERVER_NOW = { $toLong: '$$NOW' } as const;

/** A value of the caller's, never read as a field path or an operator inside a pipeline. */
export const literal = (value: unknown): Document => ({ $literal: value });

/** Matches tasks due by MongoDB's clock, through the due index (the bounds are computed once). */
export const DUE_FILTER: Document = { dueAt: { $type: 'number' }, $expr: { $lte: ['$dueAt', SERVER_NOW] } };

/** Matches documents that hold a task (not only runs: see {@link StoredTaskDocument}). */
export const IS_TASK: Document = { runsOnly: { $exists: false } };

/** Matches tasks under no live claim, by MongoDB's clock. */
export const FREE_FILTER: Document = { $expr: { $lte: [{ $ifNull: ['$claimExpiresAt', 0] }, SERVER_NOW] } };

/** An update pipeline stage that claims a task for `owner` until now + `duration`. */
export function claimStage(owner: string, token: string, duration: number): Document {
  const expiry = { $add: [SERVER_NOW, duration] };
  return {
    $set: {
      claimedBy: literal(owner),
      claimToken: literal(token),
      claimExpiresAt: expiry,
      // Paused tasks stay out of the due index, claimed or not.
      dueAt: { $cond: [{ $isNumber: '$nextRunTime' }, { $max: ['$nextRunTime', expiry] }, null] },
    },
  };
}

/** How long an empty `runsOnly` document is left to whoever emptied it before the sweep may delete it, ms. */
const EMPTY_RUNS_ONLY_GRACE = 60_000;

/** The runs of a task that hold live leases, by MongoDB's clock. */
export const LIVE_RUNS: Document = { $filter: { input: { $ifNull: ['$runs', []] }, cond: { $gt: ['$$this.expiresAt', SERVER_NOW] } } };

/** A new run entry, its lease running `duration` ms from now on MongoDB's clock. */
export function runEntry(lease: RunLease, duration: number): Document {
  return { runId: literal(lease.runId), owner: literal(lease.owner), scheduledAt: literal(lease.scheduledAt), expiresAt: { $add: [SERVER_NOW, duration] } };
}

/**
 * The last stages of every update pipeline that changes `runs`: no empty array left behind (the
 * run indexes are sparse), and `runExpiry` recomputed (see {@link StoredTaskDocument.runExpiry}).
 */
export const SETTLE_RUNS: Document[] = [
  { $set: { runs: { $cond: [{ $gt: [{ $size: { $ifNull: ['$runs', []] } }, 0] }, '$runs', '$$REMOVE'] } } },
  { $set: { runExpiry: { $cond: [{ $isArray: '$runs' }, { $min: '$runs.expiresAt' }, { $cond: [{ $eq: ['$runsOnly', true] }, { $add: [SERVER_NOW, EMPTY_RUNS_ONLY_GRACE] }, '$$REMOVE'] }] } } },
];

/**
 * The stages that turn a task's document into a `runsOnly` one: out of the due index (`dueAt`
 * null, as if paused) and unclaimed; its runs stay. The task's other fields stay too, unread
 * (every read of tasks leaves runsOnly documents out), so that MongoDB logs the change as a small
 * delta rather than a replacement of the document, which change streams would report to every
 * instance as a change worth waking for.
 */
export const RUNS_ONLY_STAGES: Document[] = [{ $unset: ['claimedBy', 'claimExpiresAt', 'claimToken'] }, { $set: { runsOnly: true, dueAt: null } }];

/** An update pipeline that turns a task's document into a `runsOnly` one: the task goes, its runs stay. */
export const TO_RUNS_ONLY: Document[] = [...RUNS_ONLY_STAGES, ...SETTLE_RUNS];

/**
 * Matches the `runsOnly` documents of `taskIds` that hold no runs but `runIds` (deleting them
 * loses no one's lease). Run ids are unique: one list serves every task.
 */
export function onlyRunsOf(taskIds: readonly string[], runIds: readonly string[]): Document {
  return { _id: { $in: taskIds }, runsOnly: true, runs: { $not: { $elemMatch: { runId: { $nin: runIds } } } } };
}

/** A task's run history as this store keeps it (see `history.ts`): `_id` = task id. */
export interface RunsDocument {
  _id: string;
  /** Its newest runs, oldest first. */
  runs: RunEntryDocument[];
  /** When MongoDB's TTL monitor removes it: the last write plus the history's age. */
  expireAt: Date;
}

export interface RunEntryDocument {
  runId: string;
  /** Epoch ms. */
  endedAt: number;
  payload: string;
}

/** A scheduler instance that beats (see `cluster.ts`): `_id` = instance id. */
export interface InstanceDocument {
  _id: string;
  /** When it stops counting as alive unless it beats again, on MongoDB's clock. */
  expiresAt: Date;
  payload: string;
}
