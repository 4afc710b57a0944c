import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Scheduler } from '@horae/core';
import { Bootstrap } from './bootstrap.js';
import { TaskDeclarations } from './declarations.js';
import { HoraeExplorer, type FeatureRegistration } from './horae.explorer.js';
import { ConfigurableModuleClass } from './module-definition.js';
import type { HoraeFeatureOptions, HoraeModuleOptions } from './options.js';
import { createScheduler } from './scheduler.factory.js';
import { FEATURE_BRAND, HORAE_MODULE_OPTIONS, HORAE_SCHEDULER } from './tokens.js';

/**
 * Options of {@link HoraeModule.forFeatureAsync}: a factory of {@link HoraeFeatureOptions} with
 * its dependencies.
 * @public
 */
export interface HoraeFeatureAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory: (...deps: any[]) => HoraeFeatureOptions | Promise<HoraeFeatureOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
}

let featureCount = 0;

const brand = (options: HoraeFeatureOptions): FeatureRegistration => ({ [FEATURE_BRAND]: true, options });

/** The module `forFeature` returns: it only carries a registration for the scheduler to find. */
@Module({})
export class HoraeFeatureModule {}

/**
 * The NestJS module of Horae: provides the `Scheduler` (also under `@InjectScheduler()`), finds
 * `@Scheduled` methods at module init, starts the scheduler at application bootstrap and drains
 * it before shutdown. Global by default (`isGlobal: false` to change that).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     HoraeModule.forRootAsync({
 *       imports: [ConfigModule, RedisModule],
 *       inject: [ConfigService, REDIS_CLIENT],
 *       useFactory: (config: ConfigService, redis: Redis) => ({
 *         stores: { default: new RedisStore({ client: redis, prefix: 'billing' }) },
 *         timezone: config.get('TZ'),
 *         config,
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 * @public
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: Scheduler, useFactory: (options: HoraeModuleOptions) => createScheduler(options), inject: [HORAE_MODULE_OPTIONS] },
    { provide: HORAE_SCHEDULER, useExisting: Scheduler },
    { provide: TaskDeclarations, useFactory: () => new TaskDeclarations() },
    { provide: Bootstrap, useFactory: () => new Bootstrap() },
    HoraeExplorer,
  ],
  exports: [Scheduler, HORAE_SCHEDULER, HORAE_MODULE_OPTIONS, TaskDeclarations, Bootstrap],
})
export class HoraeModule extends ConfigurableModuleClass {
  /**
   * Adds stores, handlers and tasks from a feature module. They are registered at module init,
   * before the scheduler starts.
   *
   * @example
   * ```ts
   * @Module({ imports: [HoraeModule.forFeature({ stores: { audit: new FileStore({ directory: '.horae/audit' }) } })] })
   * export class AuditModule {}
   * ```
   */
  static forFeature(options: HoraeFeatureOptions): DynamicModule {
    const token = Symbol(`horae-feature-${++featureCount}`);
    return { module: HoraeFeatureModule, providers: [{ provide: token, useValue: brand(options) }], exports: [token] };
  }

  /**
   * {@link HoraeModule.forFeature} with its options made by a factory from injected providers,
   * e.g. a store on the feature module's own Redis connection.
   *
   * @example
   * ```ts
   * HoraeModule.forFeatureAsync({
   *   imports: [AnalyticsRedisModule],
   *   inject: [ANALYTICS_REDIS],
   *   useFactory: (redis: Redis) => ({ stores: { analytics: new RedisStore({ client: redis, prefix: 'analytics' }) } }),
   * });
   * ```
   */
  static forFeatureAsync(options: HoraeFeatureAsyncOptions): DynamicModule {
    const token = Symbol(`horae-feature-${++featureCount}`);
    return {
      module: HoraeFeatureModule,
      imports: options.imports ?? [],
      providers: [{ provide: token, useFactory: async (...deps: unknown[]) => brand(await options.useFactory(...deps)), inject: options.inject ?? [] }],
      exports: [token],
    };
  }
}
