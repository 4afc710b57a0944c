import { errors } from '../errors/index.js';
import { checkTriggerKeys, readJitter } from './options.js';
import type { Trigger, TriggerContext, TriggerInput, TriggerJSON, TriggerSpec } from './trigger.js';

/** Options of the `and` / `or` triggers. @public */
export interface CombiningTriggerOptions {
  /** The triggers to combine: instances, specs or type names. */
  triggers: TriggerInput[];
  /** Random delay of up to this many milliseconds added to each fire. */
  jitter?: number;
}

/** Bounds the search for a time every trigger agrees on; each round moves strictly forward. */
const MAX_AGREEMENT_ROUNDS = 10_000;

/**
 * Fires only when every one of its triggers fires at the same time.
 *
 * @example
 * ```ts
 * // 09:00 on every other day: where a daily cron and a two-day grid agree
 * trigger: { type: 'and', triggers: [
 *   { type: 'cron', expression: '0 9 * * *' },
 *   { type: 'interval', days: 2, startAt: '2026-01-05T09:00:00' },
 * ] }
 * ```
 * @public
 */
export class AndTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'and' {
    return 'and';
  }

  constructor(
    readonly triggers: readonly Trigger[],
    readonly jitter: number | null,
  ) {}

  getNextFireTime(previous: number | null, now: number): number | null {
    let after = previous;
    for (let round = 0; round < MAX_AGREEMENT_ROUNDS; round++) {
      let earliest = Infinity;
      let latest = -Infinity;
      for (const trigger of this.triggers) {
        const time = trigger.getNextFireTime(after, now);
        if (time === null) return null;
        if (time < earliest) earliest = time;
        if (time > latest) latest = time;
      }
      if (earliest === latest) return earliest;
      after = latest - 1;
    }
    return null;
  }

  toJSON(): TriggerJSON {
    const json: TriggerJSON = { type: 'and', triggers: this.triggers.map((t) => t.toJSON()) };
    if (this.jitter !== null) json.jitter = this.jitter;
    return json;
  }

  describe(): string {
    return `and[${this.triggers.map((t) => t.describe()).join(', ')}]`;
  }
}

/**
 * Fires whenever any of its triggers fires (a time two of them share fires once).
 *
 * @example
 * ```ts
 * // 08:00 on weekdays and 10:00 on weekends
 * trigger: { type: 'or', triggers: [
 *   { type: 'cron', expression: '0 8 * * 1-5' },
 *   { type: 'cron', expression: '0 10 * * 0,6' },
 * ] }
 * ```
 * @public
 */
export class OrTrigger implements Trigger {
  /** On the prototype, not on each instance: tasks can be many. */
  get type(): 'or' {
    return 'or';
  }

  constructor(
    readonly triggers: readonly Trigger[],
    readonly jitter: number | null,
  ) {}

  getNextFireTime(previous: number | null, now: number): number | null {
    let earliest: number | null = null;
    for (const trigger of this.triggers) {
      const time = trigger.getNextFireTime(previous, now);
      if (time !== null && (earliest === null || time < earliest)) earliest = time;
    }
    return earliest;
  }

  toJSON(): TriggerJSON {
    const json: TriggerJSON = { type: 'or', triggers: this.triggers.map((t) => t.toJSON()) };
    if (this.jitter !== null) json.jitter = this.jitter;
    return json;
  }

  describe(): string {
    return `or[${this.triggers.map((t) => t.describe()).join(', ')}]`;
  }
}

function readTriggers(options: TriggerSpec, context: TriggerContext): Trigger[] {
  const list = options.triggers;
  if (!Array.isArray(list) || list.length === 0) {
    throw errors.invalidTrigger(context.taskId, `${options.type} trigger: "triggers" must be a non-empty array of triggers`);
  }
  return list.map((input) => context.create(input as TriggerInput));
}

export function createAndTrigger(options: TriggerSpec, context: TriggerContext): AndTrigger {
  checkTriggerKeys(options, context, ['triggers', 'jitter']);
  return new AndTrigger(readTriggers(options, context), readJitter(options, context));
}

export function createOrTrigger(options: TriggerSpec, context: TriggerContext): OrTrigger {
  checkTriggerKeys(options, context, ['triggers', 'jitter']);
  return new OrTrigger(readTriggers(options, context), readJitter(options, context));
}
