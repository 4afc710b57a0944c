import { errors } from '../errors/index.js';
import type { ScheduledOptions } from './scheduled-options.js';

/**
 * Declarations live on the method function under a `Symbol.for` key rather than in
 * `Symbol.metadata` (absent from Node 20) or a module-level map: two copies of this package (its
 * CommonJS and ES module builds) read each other's declarations.
 */
const SCHEDULED = Symbol.for('horae.scheduled');

/** The `@Scheduled` declarations on a method, in the order they were written. */
export function scheduledDeclarations(method: unknown): readonly ScheduledOptions[] {
  if (typeof method !== 'function') return [];
  const value = (method as unknown as Record<symbol, unknown>)[SCHEDULED];
  return Array.isArray(value) ? (value as ScheduledOptions[]) : [];
}

function declare(method: unknown, where: string, options: ScheduledOptions): void {
  if (typeof method !== 'function') throw errors.scheduledOption(where, 'target', method, '@Scheduled applies to methods only');
  if (typeof options !== 'object' || options === null) throw errors.scheduledOption(where, 'options', options, 'give an object such as { cron: "0 3 * * *" }');
  // Decorators apply from the bottom up: putting each in front keeps the order they are written in.
  const declared = [options, ...scheduledDeclarations(method)];
  Object.defineProperty(method, SCHEDULED, { value: declared, configurable: true, enumerable: false, writable: false });
}

/** What a standard (TC39) method decorator receives as its second argument. */
interface MethodContext {
  readonly kind: string;
  readonly name: string | symbol;
  readonly static?: boolean;
}

/**
 * Schedules a class method. `scheduler.register(instance)` defines each decorated method as a
 * handler named `Class.method` (or `id`) and adds its task with `replaceExisting`, so every
 * replica that declares it leaves one task whose schedule survives deploys. The method receives
 * `(args, ctx)` like any Horae handler, with `this` bound to the registered instance.
 *
 * A standard (TC39) decorator, for TypeScript 5 without `experimentalDecorators`; it works with
 * that flag on too. Several `@Scheduled` on one method are several tasks (each needs its own id).
 *
 * @example
 * ```ts
 * class Reports {
 *   @Scheduled({ cron: '0 3 * * *', timezone: 'Europe/Berlin' })
 *   async nightly(_args: unknown, ctx: RunContext) {
 *     await buildReport({ signal: ctx.signal });
 *   }
 *
 *   @Scheduled({ interval: { minutes: 5 }, id: 'reports:refresh' })
 *   refresh() {}
 * }
 * await scheduler.register(new Reports());
 * ```
 * @public
 */
export function Scheduled(options: ScheduledOptions) {
  function decorate<TMethod>(method: TMethod, context: MethodContext): void;
  function decorate(target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
  function decorate(method: unknown, context: unknown, descriptor?: PropertyDescriptor): void {
    if (descriptor !== undefined) {
      // experimentalDecorators: (prototype, key, descriptor)
      declare(descriptor.value, `method ${String(context)}`, options);
      return;
    }
    const { kind, name, static: isStatic } = context as MethodContext;
    const where = `method ${String(name)}`;
    if (kind !== 'method' || isStatic === true) throw errors.scheduledOption(where, 'target', kind, '@Scheduled applies to instance methods only');
    declare(method, where, options);
  }
  return decorate;
}
