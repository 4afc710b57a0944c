import { errors, show } from '../errors/index.js';
import { createAndTrigger, createOrTrigger } from './combining.js';
import { createCronTrigger } from './cron.js';
import { createDateTrigger } from './date.js';
import { createIntervalTrigger } from './interval.js';
import { createShutdownTrigger } from './shutdown.js';
import { isTrigger, type Trigger, type TriggerContext, type TriggerFactory, type TriggerInput, type TriggerSpec } from './trigger.js';

/**
 * The trigger types a scheduler knows, by name. The built-in ones (`date`, `interval`, `cron`,
 * `and`, `or`, `shutdown`) are always there; register your own to use them in specs and to read
 * them back from persistent stores.
 *
 * @example
 * ```ts
 * scheduler.triggers.register('every-other-hour', () => new EveryOtherHour());
 * await scheduler.addTask({ handler: 'sync', trigger: 'every-other-hour' });
 * ```
 * @public
 */
export class TriggerRegistry {
  private readonly factories = new Map<string, TriggerFactory>([
    ['date', createDateTrigger],
    ['interval', createIntervalTrigger],
    ['cron', createCronTrigger],
    ['and', createAndTrigger],
    ['or', createOrTrigger],
    ['shutdown', createShutdownTrigger],
  ]);

  /** Registers (or replaces) the factory for a trigger type. */
  register(type: string, factory: TriggerFactory): void {
    if (typeof type !== 'string' || type.length === 0) {
      throw errors.invalidOption(undefined, 'trigger type name', type, 'give a non-empty string');
    }
    this.factories.set(type, factory);
  }

  /** The registered type names. */
  types(): string[] {
    return [...this.factories.keys()];
  }

  /** Builds a trigger from an instance, a spec / JSON form, or a type name. */
  create(input: TriggerInput, options: { timezone: string; now: number; taskId?: string | undefined; depth?: number; lenient?: boolean }): Trigger {
    if (isTrigger(input)) return input;
    // A trigger nested thousands deep (in code or in a tampered record) would overflow the stack
    // here and again at every fire; no real schedule needs more than a few levels.
    if ((options.depth ?? 0) > MAX_TRIGGER_DEPTH) {
      throw errors.invalidTrigger(options.taskId, `triggers are nested more than ${MAX_TRIGGER_DEPTH} levels deep; flatten the and/or combination`);
    }
    const spec: TriggerSpec | undefined =
      typeof input === 'string' ? { type: input } : typeof input === 'object' && input !== null ? input : undefined;
    const factory = spec === undefined || typeof spec.type !== 'string' ? undefined : this.factories.get(spec.type);
    if (spec === undefined || factory === undefined) {
      const type = spec === undefined ? input : spec.type;
      throw errors.invalidTrigger(
        options.taskId,
        `unknown trigger ${show(type)}. Give a trigger object, or { type, ...options } with type one of ` +
          `${this.types().map((t) => `"${t}"`).join(', ')} (register others with scheduler.triggers.register)`,
      );
    }
    return factory(spec, new CreationContext(this, options));
  }
}

/** How deep and/or triggers may nest. */
const MAX_TRIGGER_DEPTH = 32;

/**
 * What a trigger factory is given. A class rather than an object with a closure: one is made for
 * every trigger created, and adding many tasks at once creates many.
 */
class CreationContext implements TriggerContext {
  readonly timezone: string;
  readonly now: number;
  readonly taskId: string | undefined;
  /** How deep in and/or combinations the trigger being made is (0: the task's own). */
  readonly depth: number;
  readonly lenient: boolean;

  constructor(
    private readonly registry: TriggerRegistry,
    options: { timezone: string; now: number; taskId?: string | undefined; depth?: number; lenient?: boolean },
  ) {
    this.timezone = options.timezone;
    this.now = options.now;
    this.taskId = options.taskId;
    this.depth = options.depth ?? 0;
    this.lenient = options.lenient === true;
  }

  create(input: TriggerInput): Trigger {
    return this.registry.create(input, { timezone: this.timezone, now: this.now, taskId: this.taskId, depth: this.depth + 1, lenient: this.lenient });
  }
}
