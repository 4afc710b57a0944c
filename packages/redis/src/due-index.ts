/**
 * Keeps the due index whole. Only tasks in the due index are ever claimed, so a task whose entry is
 * lost (the key deleted by mistake, evicted under memory pressure, edited by a tool) would never
 * run again, silently. Every script keeps each row in exactly one of the due index and the paused
 * set, so a check is three O(1) counts: HLEN tasks = ZCARD due + SCARD paused. Only when they
 * disagree does one replica (holding a short lock) repair, reading the rows in bounded HSCAN steps.
 * A store checks at start and every `indexCheckInterval` ({@link DueIndexChecks}).
 */
import { randomUUID } from 'node:crypto';
import { isHoraeError, type Logger, type StoreContext } from '@horae/core/store';
import { describe, type Connection } from './connection.js';
import { CHECK_INDEX, END_REPAIR, REPAIR_ENTRIES, REPAIR_ROWS, type Script } from './scripts/index.js';

/** What a check needs from its store. */
export interface DueIndexHost {
  readonly alias: string;
  readonly logger: Logger;
  readonly keys: {
    readonly tasks: string;
    readonly due: string;
    readonly paused: string;
    readonly claims: string;
    readonly quarantine: string;
    readonly indexRepair: string;
  };
  run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Reports a row the repair found unreadable and moved to the quarantine. */
  quarantined(id: string, reason: string): void;
  /** False once the store stopped: a repair in progress ends after its current step. */
  active(): boolean;
}

/** The outcome of one check. */
export interface DueIndexCheck {
  /** `consistent`: the counts agreed; `busy`: another replica is repairing; `repaired`: this one did. */
  readonly verdict: 'consistent' | 'busy' | 'repaired';
  /** Whether the repair changed the due index (so that the scheduler should look for due work). */
  readonly changedIndex: boolean;
}

/** How long the repair lock holds without a step renewing it: a dead repairer blocks no one for long. */
const LOCK_LIFETIME = 30_000;
/** Rows (or entries) one repair step asks HSCAN (ZSCAN, SSCAN) for. */
const REPAIR_STEP = 500;
/** How many task ids a log message names, at most. */
const EXAMPLES = 5;

/** A count of repaired ids and the first few of them, to name in the log. */
class Tally {
  count = 0;
  private readonly examples: string[] = [];

  add(ids: readonly string[]): void {
    this.count += ids.length;
    for (const id of ids) if (this.examples.length < EXAMPLES) this.examples.push(id);
  }

  describe(noun: string): string {
    const named = this.examples.map((id) => JSON.stringify(id)).join(', ');
    return `${this.count} ${noun} (${named}${this.count > this.examples.length ? ', …' : ''})`;
  }
}

class Repairs {
  readonly indexed = new Tally();
  readonly unindexed = new Tally();
  readonly staleIndexed = new Tally();
  readonly recorded = new Tally();
  readonly unrecorded = new Tally();
  readonly stalePaused = new Tally();
}

/**
 * Checks the store's due index by counting and repairs it when the counts disagree (unless
 * another replica is repairing it already). Logs what it repaired: a warning when the due index
 * changed, an info message when only the paused set did (as after an upgrade from a version that
 * kept none).
 */
export async function checkDueIndex(host: DueIndexHost): Promise<DueIndexCheck> {
  const token = randomUUID();
  const { tasks, due, paused, claims, quarantine, indexRepair } = host.keys;
  const count = async (): Promise<string> => {
    const reply = (await host.run(CHECK_INDEX, [tasks, due, paused, indexRepair], [token, String(LOCK_LIFETIME)])) as [number, number, number, string];
    return reply[3];
  };
  const verdict = await count();
  if (verdict !== 'repair') return { verdict: verdict === 'busy' ? 'busy' : 'consistent', changedIndex: false };

  const repairs = new Repairs();
  try {
    let cursor = '0';
    do {
      const reply = (await host.run(REPAIR_ROWS, [tasks, due, paused, claims, quarantine, indexRepair], [cursor, String(REPAIR_STEP), token, String(LOCK_LIFETIME)])) as [
        string,
        string[],
        string[],
        string[],
        string[],
        string[],
      ];
      const [next, indexed, unindexed, recorded, unrecorded, quarantined] = reply;
      repairs.indexed.add(indexed);
      repairs.unindexed.add(unindexed);
      repairs.recorded.add(recorded);
      repairs.unrecorded.add(unrecorded);
      for (let at = 0; at + 1 < quarantined.length; at += 2) host.quarantined(quarantined[at]!, quarantined[at + 1]!);
      cursor = next;
    } while (cursor !== '0' && host.active());
    // Entries whose row is gone are rare (a row deleted around the store): looked for only when
    // every row is in place and the counts still disagree.
    if (host.active() && (await count()) !== 'consistent') {
      for (const [mode, tally] of [
        ['due', repairs.staleIndexed],
        ['paused', repairs.stalePaused],
      ] as const) {
        cursor = '0';
        do {
          const [next, removed] = (await host.run(REPAIR_ENTRIES, [tasks, due, paused, indexRepair], [mode, cursor, String(REPAIR_STEP), token, String(LOCK_LIFETIME)])) as [string, string[]];
          tally.add(removed);
          cursor = next;
        } while (cursor !== '0' && host.active());
      }
    }
  } finally {
    report(host, repairs);
    await host.run(END_REPAIR, [indexRepair], [token]).catch(() => undefined); // else it expires
  }
  const changedIndex = repairs.indexed.count + repairs.unindexed.count + repairs.staleIndexed.count > 0;
  return { verdict: 'repaired', changedIndex };
}

function report(host: DueIndexHost, repairs: Repairs): void {
  const { indexed, unindexed, staleIndexed, recorded, unrecorded, stalePaused } = repairs;
  const index: string[] = [];
  if (indexed.count > 0) index.push(`indexed ${indexed.describe('scheduled task(s)')} that were missing from it, at their next run times; they run again from now on`);
  if (unindexed.count > 0) index.push(`took ${unindexed.describe('paused task(s)')} out of it`);
  if (staleIndexed.count > 0) index.push(`removed ${staleIndexed.describe('entr(ies)')} of tasks that no longer exist`);
  if (index.length > 0) {
    const cause =
      indexed.count > 0
        ? " Index entries go missing when a key is deleted or evicted: keep Redis's maxmemory-policy at noeviction, so that it never evicts the store's keys."
        : '';
    host.logger.warn(`@horae/redis: store "${host.alias}" repaired its due index ${host.keys.due}: ${index.join('; ')}.${cause}`);
  }
  const held: string[] = [];
  if (recorded.count > 0) held.push(`recorded ${recorded.describe('paused task(s)')}`);
  if (unrecorded.count > 0) held.push(`removed ${unrecorded.describe('scheduled task(s)')}`);
  if (stalePaused.count > 0) held.push(`removed ${stalePaused.describe('task(s)')} that no longer exist`);
  if (held.length > 0) host.logger.info(`@horae/redis: store "${host.alias}" brought its set of paused tasks ${host.keys.paused} up to date: ${held.join('; ')}.`);
}

/** Checks a store's due index at start and every `indexCheckInterval`, one check at a time. */
export class DueIndexChecks {
  private checker: NodeJS.Timeout | undefined;
  /** The due-index check in progress: one at a time. */
  private indexCheck: Promise<void> | undefined;
  /** The last wrong-typed key reported by a check, so that it is logged once, not every period. */
  private lastIndexError: string | undefined;
  /** Counts starts and stops: a check begun under one start stops when it is over. */
  private generation = 0;

  constructor(
    private readonly connection: Connection,
    private readonly indexCheckInterval: number,
  ) {}

  start(context: StoreContext): void {
    // At start, then every period: a lost index is found and repaired without anyone asking.
    const generation = this.generation;
    const checkIndex = (): void => {
      if (this.indexCheck !== undefined) return; // a long repair is not begun again meanwhile
      const check = this.checkIndex(generation, context).finally(() => {
        if (this.indexCheck === check) this.indexCheck = undefined;
      });
      this.indexCheck = check;
    };
    checkIndex();
    this.checker = setInterval(checkIndex, this.indexCheckInterval);
    this.checker.unref();
  }

  stop(): void {
    if (this.checker !== undefined) clearInterval(this.checker);
    this.checker = undefined;
    // A check in progress stops after its current step, and sends nothing more.
    this.generation++;
    this.indexCheck = undefined;
  }

  /**
   * One check of the due index: logs what it repaired, wakes the scheduler when tasks went back
   * into the index, and reports a key of the wrong type once.
   */
  private async checkIndex(generation: number, context: StoreContext): Promise<void> {
    const { connection } = this;
    const logger = guardedLogger(connection.logger);
    try {
      const { changedIndex } = await checkDueIndex({
        alias: connection.alias,
        logger,
        keys: connection.keys,
        // Never after a stop: connection.client() would open a connection that nobody closes.
        run: (script, keys, args) => (this.generation === generation ? connection.run(script, keys, args) : Promise.reject(new Error('the store stopped'))),
        quarantined: (id, reason) => connection.reportQuarantined(id, reason),
        active: () => this.generation === generation,
      });
      this.lastIndexError = undefined;
      if (changedIndex) context.wake();
    } catch (error) {
      if (this.generation !== generation) return; // stopped meanwhile: its connection was closed
      if (isHoraeError(error)) {
        if (error.message !== this.lastIndexError) logger.error(`@horae/redis: store "${connection.alias}" cannot check its due index. ${error.message}`);
        this.lastIndexError = error.message;
      } else {
        // Redis unreachable: the scheduler reports the outage; the next period checks again.
        logger.debug(`@horae/redis: store "${connection.alias}" could not check its due index: ${describe(error)}`);
      }
    }
  }
}

/** A logger whose calls never throw: checks run from a timer, where a throw would go unhandled. */
function guardedLogger(logger: Logger): Logger {
  const call =
    (level: keyof Logger) =>
    (message: string, ...rest: unknown[]): void => {
      try {
        logger[level](message, ...rest);
      } catch {
        // a broken logger must not stop the check
      }
    };
  return { debug: call('debug'), info: call('info'), warn: call('warn'), error: call('error') };
}
