import type { RunRetention, StoredRun } from './store.js';

/**
 * A bounded run history in memory, for the memory store: per task the newest `perTask` runs,
 * none older than `maxAge`, and at most `limit` runs in all (memory holds tasks by the hundred
 * thousand; 50 runs of each would not fit), the runs of the tasks written least recently going
 * first.
 */
export class RunLog {
  /** Runs by task, oldest first; tasks in the order they were last written. */
  private readonly runs = new Map<string, StoredRun[]>();
  private count = 0;

  constructor(private readonly limit: number) {}

  add(runs: readonly StoredRun[], { perTask, maxAge, now }: RunRetention): void {
    const oldest = now - maxAge;
    for (const run of runs) {
      let list = this.runs.get(run.taskId);
      if (list === undefined) list = [];
      // Moved to the end: the map stays in the order tasks were last written.
      else this.runs.delete(run.taskId);
      this.runs.set(run.taskId, list);
      let at = list.length;
      while (at > 0 && list[at - 1]!.endedAt > run.endedAt) at--;
      list.splice(at, 0, run);
      this.count++;
      let drop = Math.max(0, list.length - perTask);
      while (drop < list.length && list[drop]!.endedAt < oldest) drop++;
      this.count -= list.splice(0, drop).length;
      if (list.length === 0) this.runs.delete(run.taskId);
    }
    // The tasks written least recently first: their aged runs go, and while there are more than
    // `limit` runs in all, their oldest ones.
    for (const [taskId, list] of this.runs) {
      let drop = 0;
      while (drop < list.length && (list[drop]!.endedAt < oldest || this.count - drop > this.limit)) drop++;
      if (drop === 0) break;
      this.count -= list.splice(0, drop).length;
      if (list.length === 0) this.runs.delete(taskId);
    }
  }

  get(taskId: string, { limit, before }: { limit: number; before?: number }): StoredRun[] {
    const list = this.runs.get(taskId) ?? [];
    const found: StoredRun[] = [];
    for (let at = list.length - 1; at >= 0 && found.length < limit; at--) {
      const run = list[at]!;
      if (before === undefined || run.endedAt < before) found.push(run);
    }
    return found;
  }
}
