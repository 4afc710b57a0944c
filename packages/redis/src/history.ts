/**
 * The run history: `{prefix}:history:<task id>`, a sorted set per task whose members are the
 * runs (`<length of the run id>:<run id><payload>`) scored by their end. One script adds a batch
 * and trims the tasks it touched; a task's set expires `maxAge` after its last write, so that the
 * runs of a task that runs no more go by themselves.
 */
import type { RunRetention, StoredRun } from '@horae/core/store';
import type { Connection } from './connection.js';
import { errors } from './messages.js';
import { ADD_RUNS } from './scripts/index.js';

/** The most runs one script adds: a big backlog goes in several. */
const ADD_BATCH = 1_000;

function member(run: StoredRun): string {
  return `${run.runId.length}:${run.runId}${run.payload as string}`;
}

function fromMember(taskId: string, raw: string, score: string): StoredRun | undefined {
  const colon = raw.indexOf(':');
  const length = Number(raw.slice(0, colon));
  if (colon < 1 || !Number.isInteger(length) || raw.length < colon + 1 + length) return undefined;
  return { taskId, runId: raw.slice(colon + 1, colon + 1 + length), endedAt: Number(score), payload: raw.slice(colon + 1 + length) };
}

export class History {
  constructor(private readonly connection: Connection) {}

  async add(runs: readonly StoredRun[], { perTask, maxAge, now }: RunRetention): Promise<void> {
    for (const run of runs) {
      if (typeof run.payload !== 'string') throw errors.payloadNotString(run.taskId, this.connection.alias, run.payload);
    }
    for (let start = 0; start < runs.length; start += ADD_BATCH) {
      const batch = runs.slice(start, start + ADD_BATCH);
      const keys: string[] = [];
      const index = new Map<string, number>();
      const args = [String(perTask), String(maxAge), String(now)];
      for (const run of batch) {
        const key = this.connection.keys.history(run.taskId);
        let at = index.get(key);
        if (at === undefined) index.set(key, (at = keys.push(key)));
        args.push(String(at), String(run.endedAt), member(run));
      }
      await this.connection.run(ADD_RUNS, keys, args);
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
