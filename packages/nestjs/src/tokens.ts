/**
 * Injection tokens and metadata keys. `Symbol.for` keys, so that two copies of this package in
 * one application (a CommonJS and an ES module build, say) still find each other's metadata.
 */

/**
 * The token of the module's options (`HoraeModuleOptions`).
 *
 * @example
 * ```ts
 * constructor(@Inject(HORAE_MODULE_OPTIONS) options: HoraeModuleOptions) {}
 * ```
 * @public
 */
export const HORAE_MODULE_OPTIONS = Symbol.for('@horae/nestjs:module-options');

/**
 * The token the scheduler is also provided under; `@InjectScheduler()` is `@Inject(HORAE_SCHEDULER)`.
 *
 * @example
 * ```ts
 * const scheduler = app.get<Scheduler>(HORAE_SCHEDULER);
 * ```
 * @public
 */
export const HORAE_SCHEDULER = Symbol.for('@horae/nestjs:scheduler');

/** Metadata key of `@Scheduled` declarations on a method. */
export const SCHEDULED_METADATA = Symbol.for('@horae/nestjs:scheduled');

/** Brand of the values `HoraeModule.forFeature` provides. */
export const FEATURE_BRAND = Symbol.for('@horae/nestjs:feature');
