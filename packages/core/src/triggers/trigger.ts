/**
 * The trigger contract. A trigger answers one question — when is the next fire after this one?
 * — and serialises to plain JSON `{ type, ... }` so that a persistent store can keep it.
 */

/** A JSON value, as a persistent store can keep it. @public */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/** A trigger in its serialised form: plain JSON with a `type`. @public */
export interface TriggerJSON {
  type: string;
  [option: string]: JsonValue | undefined;
}

/**
 * A schedule. Implement it (and register a factory with {@link TriggerRegistry.register}) to add
 * a trigger type of your own.
 *
 * @example
 * ```ts
 * class EveryOtherHour implements Trigger {
 *   readonly type = 'every-other-hour';
 *   getNextFireTime(previous: number | null, now: number) {
 *     const hour = 3_600_000;
 *     return (Math.floor((previous ?? now - 1) / (2 * hour)) + 1) * 2 * hour;
 *   }
 *   toJSON() { return { type: this.type }; }
 *   describe() { return 'every other hour'; }
 * }
 * scheduler.triggers.register('every-other-hour', () => new EveryOtherHour());
 * ```
 * @public
 */
export interface Trigger {
  /** The name this trigger type is registered under, e.g. `'cron'`. */
  readonly type: string;
  /**
   * The next fire time in epoch milliseconds, or `null` when the schedule is finished.
   * With `previous` (the last fire time), the first fire strictly after it; without, the first
   * fire at or after `now`.
   */
  getNextFireTime(previous: number | null, now: number): number | null;
  /** The JSON form; the registry's factory for `type` must turn it back into an equal trigger. */
  toJSON(): TriggerJSON;
  /** A short human description, e.g. `cron '0 3 * * *' (Europe/Berlin)`. */
  describe(): string;
  /** Random delay of up to this many milliseconds added to each fire time. */
  readonly jitter?: number | null;
  /** The misfire grace time a task on this trigger gets when it sets none (`null`: no limit). */
  readonly defaultMisfireGraceTime?: number | null;
  /** Whether this trigger fires once when the scheduler shuts down, instead of by time. */
  readonly firesOnShutdown?: boolean;
  /**
   * Whether `other` describes the same schedule, so that re-registering a task at boot keeps
   * its schedule state. Default: equal JSON forms.
   */
  isSameSchedule?(other: Trigger): boolean;
}

/** What a trigger factory is given besides the options. @public */
export interface TriggerContext {
  /** The time zone to use when the options name none (the scheduler's). */
  timezone: string;
  /** The current time, epoch milliseconds (anchors intervals and undated date triggers). */
  now: number;
  /** The task the trigger is for, named in error messages. */
  taskId?: string | undefined;
  /** Builds nested triggers (for `and` / `or`). */
  create(input: TriggerInput): Trigger;
  /**
   * Whether the options come from a stored record rather than from code: then keys a factory does
   * not know are left alone (a record written by a newer version), where from code they are an
   * error.
   */
  readonly lenient?: boolean;
}

/**
 * A trigger as options: `{ type, ...options }`. The JSON form is one; a spec may also hold
 * `Date`s where the JSON form has ISO strings.
 * @public
 */
export interface TriggerSpec {
  type: string;
  [option: string]: unknown;
}

/** Turns a spec (or a stored JSON form) into a trigger. @public */
export type TriggerFactory = (options: TriggerSpec, context: TriggerContext) => Trigger;

/**
 * What `addTask({ trigger })` accepts: a trigger instance, a spec object `{ type, ...options }`
 * (the same shape as the JSON form), or a bare type name for triggers with no required options
 * (`'date'` runs once now, `'shutdown'` runs at shutdown).
 * @public
 */
export type TriggerInput = Trigger | TriggerSpec | string;

/** Whether a value is a trigger instance rather than a spec. */
export function isTrigger(value: unknown): value is Trigger {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Trigger).getNextFireTime === 'function' &&
    typeof (value as Trigger).toJSON === 'function'
  );
}
