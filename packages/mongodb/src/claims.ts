/**
 * Claims: taking due tasks (or one given task) under a lease, on MongoDB's clock, so that of
 * several instances exactly one wins each task, whatever their own clocks say.
 */
import { randomUUID } from 'node:crypto';
import type { ClaimOptions, Lease, StoredTask } from '@horae/core/store';
import type { Document } from 'mongodb';
import { checkDuration } from './checks.js';
import type { Connection } from './connection.js';
import { claimStage, compare, DUE_FILTER, FREE_FILTER, IS_TASK, literal, readTask, stored, type TaskRow } from './documents.js';
import type { Quarantine } from './quarantine.js';
import type { WakeUps } from './wake-ups.js';

/** The most tasks one claim call takes, whatever the limit asked: the scheduler asks again while batches come full. */
const CLAIM_BATCH = 1_000;
/** How often one claim call looks for more candidates after losing some to other instances. */
const CLAIM_ATTEMPTS = 3;

/** What one claim round took: the tasks that could be read, how many could not (quarantined), and whether no more were due. */
interface ClaimRound {
  readable: TaskRow[];
  unreadable: number;
  exhausted: boolean;
}

/** Takes due tasks, or one given task, under a lease on MongoDB's clock. */
export class Claims {
  constructor(
    private readonly connection: Connection,
    private readonly quarantine: Quarantine,
    private readonly wakeUps: Pick<WakeUps, 'drainingChanged'>,
  ) {}

  /**
   * Claims by MongoDB's clock: `now` is ignored, so instances with skewed clocks agree. One round:
   * the earliest due candidates (an index range), one `updateMany` that claims those still due
   * and free at that moment (each document atomically, so of several instances exactly one wins
   * each task), and one read of the documents this call's token is on. Tells the change stream
   * whether this instance is draining due tasks (see {@link WakeUps.drainingChanged}).
   */
  async claimDue({ limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    checkDuration(duration);
    if (!(limit >= 1)) return [];
    await this.connection.ready();
    const wanted = Math.min(Math.floor(limit), CLAIM_BATCH);
    const won: TaskRow[] = [];
    // Unreadable documents claimed on the way go to the quarantine; more are claimed in their place.
    let more = true;
    for (let pass = 0; pass < CLAIM_ATTEMPTS && won.length < wanted; pass++) {
      const { readable, unreadable, exhausted } = await this.claimBatch(wanted - won.length, owner, duration);
      won.push(...readable);
      more = !exhausted;
      if (unreadable === 0 || exhausted) break;
    }
    await this.wakeUps.drainingChanged(more || won.length >= limit);
    const time = (task: TaskRow): number => task.nextRunTime ?? Infinity;
    return won.sort((a, b) => time(a) - time(b) || compare(a.order, b.order)).map(stored);
  }

  /** Claims one task if it is free, due or not. */
  async claimOne(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    checkDuration(duration);
    await this.connection.ready();
    const token = randomUUID();
    const found = await this.connection.tasks().findOneAndUpdate({ _id: id, ...IS_TASK, ...FREE_FILTER }, [claimStage(owner, token, duration)], { returnDocument: 'after' });
    if (found === null) return null;
    const task = readTask(found);
    if (typeof task !== 'string') return stored(task);
    await this.quarantine.moveUnreadable(found, task, { _id: id, claimToken: token });
    return null;
  }

  /**
   * Claims up to `wanted` due tasks under one token, usually in two round trips: the earliest due
   * documents from the due index, then one `updateMany` that claims those still due, free and
   * exactly as read (same id, revision and seq: a changed or re-added task is not claimed on an
   * old reading). When it claimed every one of them (its count says so), the documents read are
   * what was claimed; otherwise others took some, more candidates are looked for, and what this
   * call won is read back by its token.
   */
  private async claimBatch(wanted: number, owner: string, duration: number): Promise<ClaimRound> {
    const token = randomUUID();
    const tasks = this.connection.tasks();
    let claimed = 0;
    let exhausted = false;
    const tried: string[] = [];
    let wonAsRead: Document[] | undefined;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS && claimed < wanted; attempt++) {
      const asked = wanted - claimed;
      const candidates = await tasks.find(DUE_FILTER, { sort: { dueAt: 1, seq: 1, _id: 1 }, limit: asked }).toArray();
      exhausted = candidates.length < asked;
      if (candidates.length === 0) break;
      if (candidates.length === 1 && claimed === 0) {
        // One task due (the usual case between bursts): claimed and read in one round trip.
        const found = await tasks.findOneAndUpdate({ _id: candidates[0]!._id, ...DUE_FILTER }, [claimStage(owner, token, duration)], { returnDocument: 'after' });
        if (found === null) continue; // taken by another instance: look again
        return this.readClaimed([found], token, exhausted);
      }
      const versions: unknown[][] = candidates.map((candidate) => [candidate._id, candidate.revision as unknown, candidate.seq as unknown]);
      const { modifiedCount } = await tasks.updateMany(
        { _id: { $in: candidates.map((candidate) => candidate._id) }, ...DUE_FILTER, $expr: { $and: [DUE_FILTER.$expr as Document, { $in: [['$_id', '$revision', '$seq'], literal(versions)] }] } },
        [claimStage(owner, token, duration)],
      );
      wonAsRead = claimed === 0 && modifiedCount === candidates.length ? candidates : undefined;
      claimed += modifiedCount;
      tried.push(...candidates.map((candidate) => candidate._id));
      // Every candidate won, or there were no more: nothing to look for. Else others took some
      // of them, and later ones may still be free.
      if (modifiedCount === candidates.length || exhausted) break;
    }
    if (claimed === 0) return { readable: [], unreadable: 0, exhausted };
    if (wonAsRead !== undefined) return this.readClaimed(wonAsRead, token, exhausted);
    return this.readClaimed(await tasks.find({ _id: { $in: tried }, claimToken: token }).toArray(), token, exhausted);
  }

  /** Reads claimed documents; unreadable ones go to the quarantine (while still under `token`). */
  private async readClaimed(documents: Document[], token: string, exhausted: boolean): Promise<ClaimRound> {
    const readable: TaskRow[] = [];
    let unreadable = 0;
    for (const found of documents) {
      const task = readTask(found);
      if (typeof task !== 'string') {
        readable.push(task);
        continue;
      }
      unreadable++;
      await this.quarantine.moveUnreadable(found, task, { _id: String(found._id), claimToken: token });
    }
    return { readable, unreadable, exhausted };
  }
}
