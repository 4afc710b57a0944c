import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Scheduler } from '@horae/core';
import { dashboard, type DashboardOptions } from '@horae/dashboard';
import { nodeListener } from '@horae/dashboard/node';
import { errors } from '../messages.js';

/**
 * Options of {@link HoraeDashboardModule.forRoot}: the dashboard's own options, with the path to
 * serve it at in place of `basePath`.
 * @public
 */
export interface HoraeDashboardModuleOptions extends Omit<DashboardOptions, 'basePath'> {
  /** Where the dashboard is served, e.g. `'/horae'` (under the app's global prefix, if it has one, include it). */
  path: string;
}

const DASHBOARD_OPTIONS = Symbol.for('@horae/nestjs:dashboard-options');

/**
 * Serves the Horae dashboard (`@horae/dashboard`) in a Nest application, over the scheduler of
 * `HoraeModule`. Safe by default: without `authorize` it answers loopback clients only and makes
 * no changes (see the dashboard's options).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     HoraeModule.forRoot({ stores: { default: new RedisStore({ client: redis }) } }),
 *     HoraeDashboardModule.forRoot({ path: '/horae', authorize: (request, action) => isAdmin(request) }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 * @public
 */
@Module({})
export class HoraeDashboardModule implements NestModule {
  constructor(
    @Inject(Scheduler) private readonly scheduler: Scheduler,
    @Inject(DASHBOARD_OPTIONS) private readonly options: HoraeDashboardModuleOptions,
  ) {}

  /** The module, serving the dashboard at `options.path`. */
  static forRoot(options: HoraeDashboardModuleOptions): DynamicModule {
    if (typeof options !== 'object' || options === null || typeof options.path !== 'string') throw errors.dashboardPath(options?.path);
    return { module: HoraeDashboardModule, providers: [{ provide: DASHBOARD_OPTIONS, useValue: options }] };
  }

  configure(consumer: MiddlewareConsumer): void {
    const { path, ...options } = this.options;
    const basePath = `/${path.replace(/^\/+|\/+$/g, '')}`;
    const listener = nodeListener(dashboard(this.scheduler, { ...options, basePath }));
    // The base path itself (redirected to it with a slash) and everything under it.
    consumer.apply(listener).forRoutes({ path: basePath, method: RequestMethod.ALL }, { path: `${basePath}/{*path}`, method: RequestMethod.ALL });
  }
}
