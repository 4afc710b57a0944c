// The application both consumers boot, given the exports each module system loaded. It prints
// one JSON line with what happened, and exits non-zero on any failure.
const decorate = (decorators, target, key) => {
  if (key === undefined) {
    for (const decorator of decorators.reverse()) target = decorator(target) || target;
    return target;
  }
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, key);
  for (const decorator of decorators.reverse()) decorator(target.prototype, key, descriptor);
  Object.defineProperty(target.prototype, key, descriptor);
  return target;
};
const param = (index, decorator) => (target, key) => decorator(target, key, index);

function waitFor(check, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > 20_000) {
        clearInterval(poll);
        reject(new Error(`gave up waiting for ${what}`));
      }
    }, 20);
  });
}

async function runConsumer(api, format) {
  const { Injectable, Inject, Module, NestFactory, Scheduler, HoraeModule, Scheduled, InjectScheduler, ScheduleModule, Cron, SchedulerRegistry, CronExpression } = api;
  const result = { format };

  // 1. HoraeModule + @Scheduled + @InjectScheduler, the scheduler injected through explicit tokens.
  let ticks = 0;
  class Ticker {
    constructor(scheduler) {
      this.scheduler = scheduler;
    }
    tick() {
      ticks += 1;
    }
  }
  decorate([Scheduled({ interval: 50 })], Ticker, 'tick');
  decorate([Injectable(), param(0, InjectScheduler())], Ticker);
  class App {}
  decorate([Module({ imports: [HoraeModule.forRoot({ logger: false })], providers: [Ticker] })], App);
  const app = await NestFactory.createApplicationContext(App, { logger: false });
  await waitFor(() => ticks >= 2, 'two @Scheduled runs');
  result.scheduledRuns = ticks >= 2;
  result.injectedScheduler = app.get(Ticker).scheduler instanceof Scheduler && app.get(Ticker).scheduler === app.get(Scheduler);
  result.taskIds = (await app.get(Scheduler).getTaskInfos()).map((info) => info.id);
  await app.close();

  // 2. The drop-in: ScheduleModule + @Cron + SchedulerRegistry.
  let cronRuns = 0;
  class Jobs {
    constructor(registry) {
      this.registry = registry;
    }
    every() {
      cronRuns += 1;
    }
  }
  decorate([Cron(CronExpression.EVERY_SECOND, { name: 'every' })], Jobs, 'every');
  decorate([Injectable(), param(0, Inject(SchedulerRegistry))], Jobs);
  class ScheduleApp {}
  decorate([Module({ imports: [ScheduleModule.forRoot({ logger: false })], providers: [Jobs] })], ScheduleApp);
  const scheduleApp = await NestFactory.createApplicationContext(ScheduleApp, { logger: false });
  await waitFor(() => cronRuns >= 1, 'a @Cron run');
  const job = scheduleApp.get(Jobs).registry.getCronJob('every');
  result.cronRuns = cronRuns >= 1;
  result.cronJobActive = job.isActive;
  result.nextDateIsLuxon = typeof job.nextDate().toISO === 'function';
  await scheduleApp.close();
  await scheduleApp.close();

  // The Nest this application ran on, resolved as its own imports of Nest are.
  result.nestMajor = Number(require('@nestjs/core/package.json').version.split('.')[0]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

module.exports = {
  runConsumer: (api, format) =>
    runConsumer(api, format).catch((error) => {
      process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
      process.exit(1);
    }),
};
