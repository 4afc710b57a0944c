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
  /** Where the dashboard is served, e.g. `'/horae'`: under the app's global prefix when it has one (`/api/horae`), as Nest serves every route. */
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
    const route = `/${path.replace(/^\/+|\/+$/g, '')}`;
    // Nest puts the app's global prefix (and version) before the route, which this module does
    // not know when it is configured: the dashboard's base path is read from the request, and
    // one dashboard made per base path seen (one, in practice).
    const listeners = new Map<string, ReturnType<typeof nodeListener>>();
    const listener: ReturnType<typeof nodeListener> = (req, res) => {
      const basePath = mountedAt((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', route);
      let serve = listeners.get(basePath);
      if (serve === undefined) listeners.set(basePath, (serve = nodeListener(dashboard(this.scheduler, { ...options, basePath }))));
      serve(req, res);
    };
    // The route itself (redirected to it with a slash) and everything under it.
    consumer.apply(listener).forRoutes({ path: route, method: RequestMethod.ALL }, { path: `${route}/{*path}`, method: RequestMethod.ALL });
  }
}

/** The path up to the end of `route` in a request's URL (`/api/horae` for `/api/horae/api/tasks`). */
function mountedAt(url: string, route: string): string {
  const pathname = url.split('?')[0]!;
  for (let at = pathname.indexOf(route); at !== -1; at = pathname.indexOf(route, at + 1)) {
    const end = at + route.length;
    if (end === pathname.length || pathname[end] === '/') return pathname.slice(0, end);
  }
  return route;
}
