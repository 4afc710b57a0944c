/** What the file store's files hold, and the checks a file must pass to be read. */
import type { RunLease, StoredTask, TaskRelease } from '../store.js';

export interface Claim {
  readonly owner: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** One generation of a task. */
export interface TaskFile {
  readonly id: string;
  readonly nextRunTime: number | null;
  readonly revision: number;
  /** Kept verbatim: the scheduler's encoded (maybe encrypted) task. */
  readonly payload: unknown;
  /** Kept verbatim when set (see `StoredTask.seal`). */
  readonly seal?: string;
  readonly claim: Claim | null;
  /** When the task was added (µs-scale, increasing): breaks ties between equal run times. */
  readonly order: number;
  /** Epoch ms. */
  readonly writtenAt: number;
}

/** The generation that ends a task: what a process holding an older one cannot build on. */
export interface Tombstone {
  readonly id: string;
  readonly deleted: true;
  /** Epoch ms; tombstones are collected some minutes later. */
  readonly writtenAt: number;
}

export type TaskGeneration = TaskFile | Tombstone;

export const isLive = (doc: TaskGeneration | null): doc is TaskFile => doc !== null && !('deleted' in doc);

/** A task's generation as first written (added, updated, restored). */
export function liveFile(task: StoredTask, claim: TaskFile['claim'], order: number): TaskFile {
  const { id, nextRunTime, revision, payload, seal } = task;
  return { id, nextRunTime, revision, payload, ...(seal === undefined ? {} : { seal }), claim, order, writtenAt: Date.now() };
}

export function tombstone(id: string): Tombstone {
  return { id, deleted: true, writtenAt: Date.now() };
}

/**
 * What a release makes of a task's current generation: refused (nothing written) when the claim
 * is no longer the releasing owner's or the task changed since the claim; else the next
 * generation, or a tombstone for a finished task that goes.
 */
export function released(doc: TaskGeneration | null, release: TaskRelease): { next?: TaskGeneration; result: boolean } {
  if (!isLive(doc) || doc.claim?.owner !== release.owner || doc.revision !== release.claimedRevision) return { result: false };
  if (release.nextRunTime === null && release.removeWhenFinished) return { next: tombstone(doc.id), result: true };
  const { seal: _replaced, ...kept } = doc;
  const next: TaskFile = {
    ...kept,
    nextRunTime: release.nextRunTime,
    revision: doc.revision + 1,
    ...(release.seal === undefined ? {} : { seal: release.seal }),
    claim: null,
    writtenAt: Date.now(),
  };
  return { next, result: true };
}

export function storedTask({ id, nextRunTime, revision, payload, seal }: TaskFile): StoredTask {
  return seal === undefined ? { id, nextRunTime, revision, payload } : { id, nextRunTime, revision, payload, seal };
}

/** One generation of a run-lease slot: the run holding it, if any, and runs to report as interrupted. */
export interface LeaseSlot {
  readonly taskId: string;
  /** `null` once released or taken as expired: the slot is free. */
  readonly lease: HeldLease | null;
  /**
   * Expired leases that another run took the slot over from, kept until
   * `takeExpiredRunLeases` reports them: taking a slot over must not lose the report.
   */
  readonly interrupted: readonly RunLease[];
  /** Epoch ms. */
  readonly writtenAt: number;
}

export interface HeldLease extends RunLease {
  /** Epoch ms. */
  readonly expiresAt: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Reads a task generation file's JSON; a string says why it is not one. */
export function toTaskGeneration(value: unknown, id: string): TaskGeneration | string {
  if (!isObject(value)) return 'it is not a JSON object';
  if (value.id !== id) return `it names id ${JSON.stringify(value.id)}, but its file name says "${id}"`;
  // Files written by hand may leave out the bookkeeping fields; they default to "long ago".
  const writtenAt = isTime(value.writtenAt) ? value.writtenAt : 0;
  if (value.deleted === true) return { id, deleted: true, writtenAt };
  if (!(value.nextRunTime === null || isTime(value.nextRunTime))) return `its nextRunTime ${JSON.stringify(value.nextRunTime)} is not a number or null`;
  if (!isTime(value.revision)) return `its revision ${JSON.stringify(value.revision)} is not a number`;
  if (!('payload' in value)) return 'it has no payload';
  if (!(value.seal === undefined || typeof value.seal === 'string')) return `its seal ${JSON.stringify(value.seal)} is not a string`;
  const claim = value.claim ?? null;
  if (!(claim === null || (isObject(claim) && typeof claim.owner === 'string' && isTime(claim.expiresAt)))) {
    return `its claim ${JSON.stringify(claim)} is not null or { owner, expiresAt }`;
  }
  return {
    id,
    nextRunTime: value.nextRunTime,
    revision: value.revision,
    payload: value.payload,
    ...(value.seal === undefined ? {} : { seal: value.seal }),
    claim: claim === null ? null : { owner: claim.owner as string, expiresAt: claim.expiresAt as number },
    order: isTime(value.order) ? value.order : 0,
    writtenAt,
  };
}

function toRunLease(value: unknown, taskId: string): RunLease | undefined {
  if (!isObject(value) || value.taskId !== taskId || typeof value.runId !== 'string' || typeof value.owner !== 'string' || !isTime(value.scheduledAt)) {
    return undefined;
  }
  return { taskId, runId: value.runId, owner: value.owner, scheduledAt: value.scheduledAt };
}

/** Reads a run-lease slot file's JSON; a string says why it is not one. */
export function toLeaseSlot(value: unknown, taskId: string): LeaseSlot | string {
  if (!isObject(value) || value.taskId !== taskId) return `it is not a run-lease slot of task "${taskId}"`;
  if (!isTime(value.writtenAt) || !Array.isArray(value.interrupted)) return 'it lacks writtenAt or interrupted';
  let lease: HeldLease | null = null;
  if (value.lease !== null) {
    const run = toRunLease(value.lease, taskId);
    const expiresAt = isObject(value.lease) ? value.lease.expiresAt : undefined;
    if (run === undefined || !isTime(expiresAt)) return 'its lease is not valid';
    lease = { ...run, expiresAt };
  }
  const interrupted: RunLease[] = [];
  for (const item of value.interrupted as unknown[]) {
    const run = toRunLease(item, taskId);
    if (run === undefined) return 'an interrupted lease is not valid';
    interrupted.push(run);
  }
  return { taskId, lease, interrupted, writtenAt: value.writtenAt };
}
