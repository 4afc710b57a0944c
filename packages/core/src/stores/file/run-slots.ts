/**
 * The file store's run leases, which enforce `maxInstances` across processes: a task's runs hold
 * numbered slots, `runs/<task key>.<slot>.<generation>.lease`, each changed by compare-and-swap.
 * A slot whose lease expired is taken over, and the expired lease kept until it is reported as
 * interrupted, exactly once.
 */
import type { RunLease } from '../store.js';
import { AGAIN, type CompareAndSwap } from './compare-and-swap.js';
import { eachLimited, WRITE_CONCURRENCY } from './disk.js';
import type { GenerationFiles, Head } from './generations.js';
import { taskIdOf } from './naming.js';
import type { HeldLease, LeaseSlot } from './records.js';

export class RunSlots {
  constructor(
    private readonly files: GenerationFiles<LeaseSlot>,
    private readonly cas: CompareAndSwap,
  ) {}

  /** Takes a free slot of the task (file-name key `key`) for `lease`; `false` when `maxInstances` are running. */
  acquire(key: string, lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    const run: RunLease = { taskId: lease.taskId, runId: lease.runId, owner: lease.owner, scheduledAt: lease.scheduledAt };
    let listed = false;
    return this.cas.attempt(`take a run lease of task "${lease.taskId}"`, async () => {
      const seenAt = Date.now();
      // First from the slots known here; after a lost race, from a listing of the directory.
      const heads = listed ? await this.listed(key) : await this.known(key);
      listed = true;
      const slots = new Map(heads.map((head) => [slotOf(head.key)?.slot, head]));
      const now = Date.now();
      const isLeased = (head: Head<LeaseSlot> | undefined): boolean => (leaseOf(head)?.expiresAt ?? -Infinity) > now;
      // Every live lease counts, also in slots beyond a lowered maxInstances.
      if ([...slots.values()].filter(isLeased).length >= maxInstances) return false;
      for (let slot = 0; slot < maxInstances; slot++) {
        const head = slots.get(slot) ?? { key: `${key}.${slot}`, generation: 0, doc: null, seenAt };
        if (isLeased(head)) continue;
        // Taking over an expired lease keeps it for takeExpired to report.
        const held = leaseOf(head);
        const expired = held === null ? [] : [runLease(held)];
        const next: LeaseSlot = {
          taskId: lease.taskId,
          lease: { ...run, expiresAt: now + duration },
          interrupted: [...(head.doc?.interrupted ?? []), ...expired],
          writtenAt: now,
        };
        // Lost: another run took a slot meanwhile; count again.
        return (await this.files.publish(head, next)) ? true : AGAIN;
      }
      return false;
    });
  }

  /** Extends the leases of `owner`'s runs `runIds` by `duration` from now. */
  async renew(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    const wanted = new Set(runIds);
    const isMine = (head: Head<LeaseSlot>, runId?: string): boolean => {
      const lease = leaseOf(head);
      return lease !== null && lease.owner === owner && (runId === undefined ? wanted.has(lease.runId) : lease.runId === runId);
    };
    await eachLimited((await this.files.heads()).filter((head) => isMine(head)), WRITE_CONCURRENCY, async (first) => {
      const runId = leaseOf(first)?.runId;
      await this.cas.change(this.files, first.key, 'renew a run lease', (head) => {
        // Taken over or reported as expired meanwhile: it is no longer ours to renew.
        if (head.doc === null || head.doc.lease === null || !isMine(head, runId)) return { result: undefined };
        const now = Date.now();
        return { next: { ...head.doc, lease: { ...head.doc.lease, expiresAt: now + duration }, writtenAt: now }, result: undefined };
      }, first);
    });
  }

  /** Frees the slot held by run `runId` of the task (file-name key `key`), if it still holds one. */
  async release(key: string, taskId: string, runId: string): Promise<void> {
    const holds = ({ doc }: Head<LeaseSlot>): boolean => doc?.lease?.runId === runId;
    const holding = (await this.known(key)).find(holds) ?? (await this.listed(key)).find(holds);
    if (holding === undefined) return;
    await this.cas.change(this.files, holding.key, `release a run lease of task "${taskId}"`, ({ doc }) => {
      if (doc?.lease?.runId !== runId) return { result: undefined };
      return { next: { ...doc, lease: null, writtenAt: Date.now() }, result: undefined };
    }, holding);
  }

  /**
   * The task's slots this process knows of (from its listings and its own changes), each read
   * fresh: a few file checks, where a listing reads the whole directory, which holds every task's
   * slots. A slot another process created since is found by the compare-and-swap that fails on it.
   */
  private known(key: string): Promise<Head<LeaseSlot>[]> {
    return Promise.all(this.files.knownKeys((slot) => slot.startsWith(`${key}.`) && slotOf(slot)?.taskKey === key).map((slot) => this.files.head(slot)));
  }

  /** The task's slots, from a listing of the directory. */
  private listed(key: string): Promise<Head<LeaseSlot>[]> {
    return this.files.heads((slot) => slotOf(slot)?.taskKey === key);
  }

  /** Every lease alive now, with its expiry. */
  async alive(): Promise<HeldLease[]> {
    const now = Date.now();
    return (await this.files.heads()).flatMap(({ doc }) => (doc?.lease !== null && doc?.lease !== undefined && doc.lease.expiresAt > now ? [doc.lease] : []));
  }

  /** Frees the expired leases and hands them, with those taken over, to this caller alone. */
  async takeExpired(): Promise<RunLease[]> {
    const now = Date.now();
    const taken: RunLease[] = [];
    await eachLimited(await this.files.heads(), WRITE_CONCURRENCY, async (head) => {
      const { doc } = head;
      if (doc === null) return;
      const expired = doc.lease !== null && doc.lease.expiresAt <= now;
      if (!expired && doc.interrupted.length === 0) return;
      const reports = [...doc.interrupted, ...(expired && doc.lease !== null ? [runLease(doc.lease)] : [])];
      // Only the process whose generation lands reports them: each lease is reported once.
      if (await this.files.publish(head, { ...doc, lease: expired ? null : doc.lease, interrupted: [], writtenAt: now })) taken.push(...reports);
    });
    return taken;
  }
}

/** The task and slot a run-lease key (`<task key>.<slot>`) stands for. */
export function slotOf(key: string): { taskId: string; taskKey: string; slot: number } | undefined {
  const match = /^(.+)\.(0|[1-9]\d{0,8})$/.exec(key);
  const taskId = match?.[1] === undefined ? undefined : taskIdOf(match[1]);
  if (match?.[1] === undefined || match[2] === undefined || taskId === undefined) return undefined;
  return { taskId, taskKey: match[1], slot: Number(match[2]) };
}

function leaseOf(head: Head<LeaseSlot> | undefined): HeldLease | null {
  return head?.doc?.lease ?? null;
}

function runLease({ taskId, runId, owner, scheduledAt }: HeldLease): RunLease {
  return { taskId, runId, owner, scheduledAt };
}
