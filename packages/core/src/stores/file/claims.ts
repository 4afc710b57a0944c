/**
 * Claims and releases on task files: a claim is a new generation of the task's file naming its
 * owner and expiry, a release one with the new schedule, each published by compare-and-swap, so
 * that of several processes racing for a task exactly one wins.
 */
import type { ClaimOptions, Lease, StoredTask, TaskRelease } from '../store.js';
import type { CompareAndSwap } from './compare-and-swap.js';
import { WRITE_CONCURRENCY } from './disk.js';
import type { GenerationFiles, Head } from './generations.js';
import { taskKey } from './naming.js';
import { isLive, released, storedTask, type TaskFile, type TaskGeneration } from './records.js';

/** The current generation of a task that exists. */
export type LiveHead = Head<TaskGeneration> & { readonly doc: TaskFile };

/** By next run time, paused last, then in the order the tasks were added. */
export function byRunTime({ doc: a }: LiveHead, { doc: b }: LiveHead): number {
  return (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity) || a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface ClaimsContext {
  readonly tasks: GenerationFiles<TaskGeneration>;
  readonly cas: CompareAndSwap;
  /** The tasks that exist, after the directories are ready (for claims: from the kept listing). */
  readonly liveTasks: () => Promise<LiveHead[]>;
  readonly ready: () => Promise<void>;
}

export class FileClaims {
  constructor(private readonly context: ClaimsContext) {}

  async claimDue({ now, limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    const due = (await this.context.liveTasks())
      .filter(({ doc }) => doc.nextRunTime !== null && doc.nextRunTime <= now && (doc.claim === null || doc.claim.expiresAt <= now))
      .sort(byRunTime);
    const claimed: StoredTask[] = [];
    // In batches no bigger than the claims still wanted, so that the limit is never passed.
    for (let next = 0; next < due.length && claimed.length < limit; ) {
      const batch = due.slice(next, next + Math.min(limit - claimed.length, WRITE_CONCURRENCY));
      next += batch.length;
      const won = await Promise.all(batch.map((head) => this.context.tasks.publish(head, { ...head.doc, claim: { owner, expiresAt: now + duration }, writtenAt: Date.now() })));
      // A lost race means another process claimed or changed the task first: it is not ours.
      for (const [index, head] of batch.entries()) if (won[index] === true) claimed.push(storedTask(head.doc));
    }
    return claimed;
  }

  async claimOne(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    const key = taskKey(id);
    await this.context.ready();
    return this.context.cas.change(this.context.tasks, key, `claim task "${id}"`, ({ doc }) => {
      const now = Date.now();
      if (!isLive(doc) || (doc.claim !== null && doc.claim.expiresAt > now)) return { result: null };
      return { next: { ...doc, claim: { owner, expiresAt: now + duration }, writtenAt: now }, result: storedTask(doc) };
    });
  }

  async release(release: TaskRelease): Promise<boolean> {
    const key = taskKey(release.id);
    await this.context.ready();
    return this.context.cas.change(this.context.tasks, key, `release task "${release.id}"`, ({ doc }) => released(doc, release));
  }
}
