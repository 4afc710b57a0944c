/**
 * Run leases, for a cluster-wide `maxInstances`: each run in progress is an entry in the runs
 * hash, recorded while fewer than `maxInstances` live ones are there, renewed by the heartbeat,
 * released when the run ends, and taken by one instance only once it expires (a dead instance's
 * run, reported as interrupted). All of it on Redis's clock.
 */
import type { RunLease } from '@horae/core/store';
import type { Connection } from './connection.js';
import type { RedisStoreKeys } from './keys.js';
import { checkDuration, instanceBound, parseRunLease, runLeaseJson } from './rows.js';
import { ACQUIRE_RUN, RELEASE_RUNS, RENEW_RUNS, TAKE_EXPIRED_RUNS } from './scripts/index.js';

/** The most expired run leases one call hands out; the rest come with the next heartbeat. */
const EXPIRED_BATCH = 1_000;

/** Records, renews, releases and takes back run leases. */
export class RunLeases {
  constructor(private readonly connection: Connection) {}

  private get keys(): RedisStoreKeys {
    return this.connection.keys;
  }

  async acquire(lease: RunLease, maxInstances: number, duration: number): Promise<boolean> {
    checkDuration(duration);
    const args = [lease.taskId, lease.runId, runLeaseJson(lease), String(instanceBound(maxInstances)), String(duration)];
    const acquired = await this.connection.run(ACQUIRE_RUN, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], args);
    return acquired === 1;
  }

  async renew(owner: string, runIds: readonly string[], duration: number): Promise<void> {
    checkDuration(duration);
    if (runIds.length === 0) return;
    await this.connection.run(RENEW_RUNS, [this.keys.runs, this.keys.runExpiry], [owner, String(duration), ...runIds]);
  }

  async release(leases: readonly { readonly taskId: string; readonly runId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.connection.run(RELEASE_RUNS, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], leases.flatMap(({ taskId, runId }) => [taskId, runId]));
  }

  async takeExpired(): Promise<RunLease[]> {
    const taken = (await this.connection.run(TAKE_EXPIRED_RUNS, [this.keys.runs, this.keys.runExpiry, this.keys.taskRuns], [String(EXPIRED_BATCH)])) as string[];
    const leases: RunLease[] = [];
    for (const raw of taken) {
      const lease = parseRunLease(raw);
      if (lease === undefined) this.connection.logger.warn(`Store "${this.connection.alias}": an expired run lease cannot be read and was dropped: ${raw.slice(0, 200)}`);
      else leases.push(lease);
    }
    return leases;
  }
}
