/**
 * A Nest application on Horae. `pnpm --filter @horae/example-nestjs start` from the
 * repository root: it serves on port 3000 (PORT), prints what ran, and drains on Ctrl-C or
 * SIGTERM; with DEMO_DURATION_MS set it stops by itself after that many ms. Run it twice: the
 * FileStore in .horae-data/ keeps the schedule, so the second run picks it up.
 *
 * The dashboard is at http://localhost:3000/horae/: without an authorize hook it answers this
 * machine only (loopback) and refuses every change. HORAE_DASHBOARD_TOKEN=<secret> gives it one
 * that lets requests bearing the token do everything, from any address, and refuses all others
 * (a browser sends no bearer token: in an app, authorize checks the user's session, see
 * docs/dashboard.md):
 *   curl -X POST -H "Authorization: Bearer $HORAE_DASHBOARD_TOKEN" localhost:3000/horae/api/tasks/reports:heartbeat/run
 *
 * tsx (esbuild) emits no decorator metadata, so every injection names its token with @Inject.
 */
import 'reflect-metadata';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FileStore, type RunContext, type TaskStore } from '@horae/core';
import { Scheduled } from '@horae/nestjs';
import { HoraeDashboardModule } from '@horae/nestjs/dashboard';
import { Cron, CronExpression, ScheduleModule, SchedulerRegistry } from '@horae/nestjs/schedule';

const STORE = Symbol('task store');
const RUN_FOR_MS = process.env.DEMO_DURATION_MS === undefined ? undefined : Number(process.env.DEMO_DURATION_MS);

/** The app's storage module: where the task store comes from (a Redis client in production). */
@Module({ providers: [{ provide: STORE, useFactory: () => new FileStore({ directory: '.horae-data/nestjs' }) }], exports: [STORE] })
class StorageModule {}

@Injectable()
class Reports {
  private readonly logger = new Logger('Reports');

  // Horae's own decorator: every option, an id that names the handler in the store.
  @Scheduled({ id: 'reports:heartbeat', interval: { seconds: 2 }, maxInstances: 1 })
  heartbeat(_args: unknown, ctx: RunContext) {
    this.logger.log(`heartbeat for ${ctx.scheduledAt.toISOString()}`);
  }

  // The @nestjs/schedule drop-in, unchanged code.
  @Cron(CronExpression.EVERY_SECOND, { name: 'tick', waitForCompletion: true })
  tick() {
    this.logger.log('tick');
  }
}

@Injectable()
class Admin {
  constructor(@Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry) {}

  describe(): string {
    const job = this.registry.getCronJob('tick');
    return `tick: active=${job.isActive}, next=${job.nextDate().toISO()}`;
  }
}

// The dashboard's access (see above). The token is compared as digests, in constant time.
const token = process.env.HORAE_DASHBOARD_TOKEN;
const digest = (text: string) => createHash('sha256').update(text).digest();
const bearsToken = (request: Request) => timingSafeEqual(digest(request.headers.get('authorization') ?? ''), digest(`Bearer ${token}`));

@Module({
  imports: [
    ScheduleModule.forRootAsync({
      imports: [StorageModule],
      inject: [STORE],
      useFactory: (store: TaskStore) => ({ stores: { default: store }, shutdownTimeout: 5_000 }),
    }),
    // Audit lines go to the scheduler's logger, Nest's Logger('Horae') here.
    HoraeDashboardModule.forRoot({
      path: '/horae',
      authorize: token ? (request) => (bearsToken(request) ? { identity: 'token holder' } : false) : undefined,
    }),
  ],
  providers: [Reports, Admin],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port);
Logger.log(app.get(Admin).describe(), 'Example');
Logger.log(`the dashboard is at http://localhost:${port}/horae/`, 'Example');
if (RUN_FOR_MS !== undefined) {
  await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));
  await app.close();
}
