/**
 * The run history: `{prefix}:history:<task id>`, a sorted set per task whose members are the
 * runs (`<length of the run id>:<run id><payload>`) scored by their end. One script adds a batch
 * and trims the tasks it touched to `perTask`; a task's set expires between `maxAge` and
 * `maxAge + maxAge / 10` after its last write, so that the runs of a task that runs no more go by
 * themselves.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { Connection } from './connection.js';
import { errors } from './messages.js';
import { ADD_RUNS } from './scripts/index.js';

/** The most runs one script adds: a big backlog goes in several. */
const ADD_BATCH = 1_000;
/**
 * A set's expiry is set this much past `maxAge`, as a fraction of it, so that a store that set it
 * need not set it again for that long (see {@link ExpiryMemo}).
 */
const EXPIRY_SLACK = 0.1;
/** The most sets whose expiry a store remembers; past it, the oldest are forgotten (and set again when written). */
const REMEMBERED_EXPIRIES = 10_000;

function member(run: StoredRun): string {
  return `${run.runId.length}:${run.runId}${run.payload as string}`;
}

function fromMember(taskId: string, raw: string, score: string): StoredRun | undefined {
  const colon = raw.indexOf(':');
  const length = Number(raw.slice(0, colon));
  if (colon < 1 || !Number.isInteger(length) || raw.length < colon + 1 + length) return undefined;
  return { taskId, runId: raw.slice(colon + 1, colon + 1 + length), endedAt: Number(score), payload: raw.slice(colon + 1 + length) };
}

/**
 * The sets whose expiry this store set lately, and until when (at least) they last. Writing to
 * one that still lasts `maxAge` needs no new expiry, which saves Redis a command per busy task.
 * Only a hint: a set deleted or expired meanwhile is still given an expiry by the script (see
 * `ADD_RUNS`). Measured on a monotonic clock: the expiry runs on Redis's, not the scheduler's.
 */
class ExpiryMemo {
  /** Key -> the time (of `performance.now()`) before which it cannot expire; oldest first. */
  private readonly lasts = new Map<string, number>();

  lastsFor(key: string, maxAge: number, now: number): boolean {
    const until = this.lasts.get(key);
    return until !== undefined && until - now >= maxAge;
  }

  /** After a script set the expiry of `keys` to `ttl`, sent at `sentAt`. */
  set(keys: readonly string[], ttl: number, sentAt: number, maxAge: number): void {
    for (const key of keys) {
      // Deleted first so that the map stays in order of expiry, oldest first.
      this.lasts.delete(key);
      this.lasts.set(key, sentAt + ttl);
    }
    for (const [key, until] of this.lasts) {
      if (this.lasts.size <= REMEMBERED_EXPIRIES && until - sentAt >= maxAge) break;
      this.lasts.delete(key);
    }
  }
}

export class History {
  private readonly expiries = new ExpiryMemo();

  constructor(private readonly connection: Connection) {}

  async add(runs: readonly StoredRun[], { perTask, maxAge }: RunRetention): Promise<void> {
    for (const run of runs) {
      if (typeof run.payload !== 'string') throw errors.payloadNotString(run.taskId, this.connection.alias, run.payload);
    }
    // Whole milliseconds: PEXPIRE takes no fraction.
    const ttl = Math.ceil(maxAge + maxAge * EXPIRY_SLACK);
    for (let start = 0; start < runs.length; start += ADD_BATCH) {
      // Grouped by task: one ZADD per set.
      const byKey = new Map<string, string[]>();
      for (const run of runs.slice(start, start + ADD_BATCH)) {
        const key = this.connection.keys.history(run.taskId);
        let values = byKey.get(key);
        if (values === undefined) byKey.set(key, (values = []));
        values.push(String(run.endedAt), member(run));
      }
      const sentAt = performance.now();
      const keys: string[] = [];
      const args = [String(perTask), String(ttl), ''];
      let lately = '';
      for (const [key, values] of byKey) {
        keys.push(key);
        lately += this.expiries.lastsFor(key, maxAge, sentAt) ? 'k' : 'n';
        args.push(String(values.length / 2), ...values);
      }
      args[2] = lately;
      const existed = (await this.connection.run(ADD_RUNS, keys, args)) as number[];
      // Only sets written before: remembering the many that are written once (one-shot tasks) would cost more than it saves.
      this.expiries.set(existed.map((index) => keys[index - 1]!), ttl, sentAt, maxAge);
    }
  }

  async list(taskId: string, { limit, before }: { limit: number; before?: number }): Promise<StoredRun[]> {
    const key = this.connection.keys.history(taskId);
    const max = before === undefined ? '+inf' : `(${before}`;
    const flat = await this.connection.typed(key, 'zset', (client) => client.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit));
    const runs: StoredRun[] = [];
    for (let at = 0; at < flat.length; at += 2) {
      const run = fromMember(taskId, flat[at]!, flat[at + 1]!);
      if (run === undefined) this.connection.logger.warn(`Store "${this.connection.alias}": a run in ${key} cannot be read and is left out of the history: ${flat[at]!.slice(0, 200)}`);
      else runs.push(run);
    }
    return runs;
  }
}
