/**
 * Claims: taking due tasks (or one given task) under a lease on Redis's clock, in one script each,
 * so that of several instances exactly one wins each task, whatever their own clocks say.
 */
import type { ClaimOptions, Lease, StoredTask } from '@horae/core/store';
import { pairs, type Connection } from './connection.js';
import { quarantineKeys } from './keys.js';
import type { Quarantine } from './quarantine.js';
import { checkDuration, parseRow, storedTask } from './rows.js';
import { CLAIM_DUE, CLAIM_ONE } from './scripts/index.js';

/**
 * The most tasks one claim script takes, whatever the limit asked: it keeps each script short, so
 * Redis serves other clients between batches. The scheduler asks again while batches come full.
 */
const CLAIM_BATCH = 1_000;

/** Takes due tasks, or one given task, under a lease on Redis's clock. */
export class Claims {
  constructor(
    private readonly connection: Connection,
    private readonly quarantine: Quarantine,
  ) {}

  /** Claims by Redis's clock: `now` is ignored, so instances with skewed clocks agree. */
  async claimDue({ limit, owner, duration }: ClaimOptions): Promise<StoredTask[]> {
    checkDuration(duration);
    if (!(limit >= 1)) return [];
    const batch = String(Math.min(Math.floor(limit), CLAIM_BATCH));
    const reply = await this.connection.run(CLAIM_DUE, quarantineKeys(this.connection.keys), [owner, String(duration), batch]);
    const [claimedPairs, quarantinedPairs] = reply as [string[], string[]];
    for (const [id, reason] of pairs(quarantinedPairs)) this.connection.reportQuarantined(id, reason);
    const claimed: StoredTask[] = [];
    for (const [id, raw] of pairs(claimedPairs)) {
      const row = parseRow(raw);
      // The script read this row already; only a reader disagreeing with cjson gets here.
      if (typeof row === 'string') await this.quarantine.moveUnreadable(id, raw, row);
      else claimed.push(storedTask(id, row));
    }
    return claimed;
  }

  async claimOne(id: string, { owner, duration }: Lease): Promise<StoredTask | null> {
    checkDuration(duration);
    const [status, detail] = (await this.connection.run(CLAIM_ONE, quarantineKeys(this.connection.keys), [id, owner, String(duration)])) as [string, string?];
    if (status === 'quarantined') this.connection.reportQuarantined(id, detail ?? 'its record in Redis cannot be read');
    if (status !== 'claimed' || detail === undefined) return null;
    return this.quarantine.readRow(id, detail);
  }
}
