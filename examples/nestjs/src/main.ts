/**
 * A Nest application on Horae. `pnpm --filter @horae/example-nestjs start` from the
 * repository root: it runs for a few seconds, prints what ran, and drains on shutdown. Run it
 * twice: the FileStore in .horae-data/ keeps the schedule, so the second run picks it up.
 *
 * tsx (esbuild) emits no decorator metadata, so every injection names its token with @Inject.
 */
import 'reflect-metadata';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FileStore, type RunContext, type TaskStore } from '@horae/core';
import { Scheduled } from '@horae/nestjs';
import { Cron, CronExpression, ScheduleModule, SchedulerRegistry } from '@horae/nestjs/schedule';

const STORE = Symbol('task store');
const RUN_FOR_MS = Number(process.env.DEMO_DURATION_MS ?? 6_000);

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

@Module({
  imports: [
    ScheduleModule.forRootAsync({
      imports: [StorageModule],
      inject: [STORE],
      useFactory: (store: TaskStore) => ({ stores: { default: store }, shutdownTimeout: 5_000 }),
    }),
  ],
  providers: [Reports, Admin],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule);
app.enableShutdownHooks();
Logger.log(app.get(Admin).describe(), 'Example');
await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));
await app.close();
