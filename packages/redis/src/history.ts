/**
 * The run history. A task's runs are kept in a sorted set of its own, `{prefix}:history:<task id>`,
 * members `<length of the run id>:<run id><payload>` scored by their end, cut to `perTask` at
 * every write and expiring between `maxAge` and `maxAge + maxAge / 10` after its last write. But a
 * task's first run waits in a hash shared by all tasks, `{prefix}:lone-runs:<0 or 1>` (field: the
 * task id, value `<end>:<member>`), until a second comes: a one-shot task never gets a set.
 *
 * Why: most of what the history cost Redis was making those sets. A set made for one run (Redis
 * keeps one whose members pass 64 bytes as a skip list, ~1.3 KB) and its expiry cost Redis about
 * three times the CPU of a field in a hash, and four times the memory. The two hashes take turns
 * (see `ADD_RUNS`), so a lone run goes between `maxAge + maxAge / 10` and twice that after it was
 * written; the scheduler never shows runs past `maxAge`. One script adds a batch, another reads a
 * task's runs.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { Connection } from './connection.js';
import { errors } from './messages.js';
import { ADD_RUNS, READ_RUNS } from './scripts/index.js';

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
  const endedAt = Number(score);
  if (colon < 1 || !Number.isInteger(length) || raw.length < colon + 1 + length || score === '' || Number.isNaN(endedAt)) return undefined;
  return { taskId, runId: raw.slice(colon + 1, colon + 1 + length), endedAt, payload: raw.slice(colon + 1 + length) };
}

/** A lone run, `<end>:<member>`. */
function fromLone(taskId: string, raw: string): StoredRun | undefined {
  const colon = raw.indexOf(':');
  return colon < 0 ? undefined : fromMember(taskId, raw.slice(colon + 1), raw.slice(0, colon));
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
      const { loneRuns, loneRunsGeneration } = this.connection.keys;
      const keys = [loneRunsGeneration, ...loneRuns];
      const args = [String(perTask), String(ttl), String(this.connection.keys.history('').length), ''];
      let lately = '';
      for (const [key, values] of byKey) {
        keys.push(key);
        lately += this.expiries.lastsFor(key, maxAge, sentAt) ? 'k' : 'n';
        args.push(String(values.length / 2), ...values);
      }
      args[3] = lately;
      const existed = (await this.connection.run(ADD_RUNS, keys, args)) as number[];
      // Only sets written before: remembering the many that are written once (one-shot tasks) would cost more than it saves.
      this.expiries.set(existed.map((index) => keys[index - 1]!), ttl, sentAt, maxAge);
    }
  }

  async list(taskId: string, { limit, before }: { limit: number; before?: number }): Promise<StoredRun[]> {
    const { loneRuns } = this.connection.keys;
    const key = this.connection.keys.history(taskId);
    const max = before === undefined ? '+inf' : `(${before}`;
    const [lone, flat] = (await this.connection.run(READ_RUNS, [...loneRuns, key], [taskId, max, String(limit)])) as [string[], string[]];
    const runs: StoredRun[] = [];
    const unreadable = (where: string, raw: string) => this.connection.logger.warn(`Store "${this.connection.alias}": a run in ${where} cannot be read and is left out of the history: ${raw.slice(0, 200)}`);
    for (const raw of lone) {
      const run = fromLone(taskId, raw);
      if (run === undefined) unreadable(`${loneRuns.join(' or ')} (task "${taskId}")`, raw);
      else if (before === undefined || run.endedAt < before) runs.push(run);
    }
    for (let at = 0; at < flat.length; at += 2) {
      const run = fromMember(taskId, flat[at]!, flat[at + 1]!);
      if (run === undefined) unreadable(key, flat[at]!);
      else runs.push(run);
    }
    // A task has a lone run or a set; both only if its set was deleted by hand meanwhile.
    return runs.sort((a, b) => b.endedAt - a.endedAt).slice(0, limit);
  }
}
