import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HoraeModule } from '../horae.module.js';
import { SchedulerRegistry } from './registry.js';
import { ScheduleExplorer } from './schedule.explorer.js';
import { withLocalStore, type ScheduleModuleOptions } from './schedule-options.js';

/**
 * A class that makes `ScheduleModule`'s options (`forRootAsync({ useClass | useExisting })`).
 *
 * @example
 * ```ts
 * @Injectable()
 * class ScheduleConfig implements ScheduleModuleOptionsFactory {
 *   createScheduleOptions() { return { timeouts: false }; }
 * }
 * ```
 * @public
 */
export interface ScheduleModuleOptionsFactory {
  createScheduleOptions(): Promise<ScheduleModuleOptions> | ScheduleModuleOptions;
}

/**
 * Options of `ScheduleModule.forRootAsync`, as `@nestjs/schedule` takes them.
 * @public
 */
export interface ScheduleModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useExisting?: Type<ScheduleModuleOptionsFactory>;
  useClass?: Type<ScheduleModuleOptionsFactory>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => Promise<ScheduleModuleOptions> | ScheduleModuleOptions;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inject?: any[];
}

/**
 * `@nestjs/schedule`'s `ScheduleModule` on Horae: `@Cron`, `@Interval`, `@Timeout` and the
 * `SchedulerRegistry` behave as there; give it a shared store to keep schedules across restarts
 * and run each fire once across replicas. It includes `HoraeModule` (so `@Scheduled` and the
 * injectable `Scheduler` work too); use one of the two modules, not both.
 *
 * @example
 * ```ts
 * import { ScheduleModule } from '@horae/nestjs/schedule';
 *
 * @Module({ imports: [ScheduleModule.forRoot({ stores: { default: new RedisStore({ url: process.env.REDIS_URL }) } })] })
 * export class AppModule {}
 * ```
 * @public
 */
@Module({})
export class ScheduleModule {
  static forRoot(options?: ScheduleModuleOptions): DynamicModule {
    return {
      global: true,
      module: ScheduleModule,
      imports: [DiscoveryModule, HoraeModule.forRoot(withLocalStore(options))],
      providers: [SchedulerRegistry, ScheduleExplorer],
      exports: [SchedulerRegistry],
    };
  }

  static forRootAsync(options: ScheduleModuleAsyncOptions): DynamicModule {
    const { useFactory, useClass, useExisting } = options;
    const factoryClass = useClass ?? useExisting;
    const horae = useFactory
      ? HoraeModule.forRootAsync({
          imports: options.imports ?? [],
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) => withLocalStore(await useFactory(...args)),
        })
      : HoraeModule.forRootAsync({
          imports: options.imports ?? [],
          inject: factoryClass === undefined ? [] : [factoryClass],
          ...(useClass === undefined ? {} : { provideInjectionTokensFrom: [{ provide: useClass, useClass }] }),
          useFactory: async (factory?: ScheduleModuleOptionsFactory) => withLocalStore(await factory?.createScheduleOptions()),
        });
    return {
      global: true,
      module: ScheduleModule,
      imports: [DiscoveryModule, horae],
      providers: [SchedulerRegistry, ScheduleExplorer],
      exports: [SchedulerRegistry],
    };
  }
}
