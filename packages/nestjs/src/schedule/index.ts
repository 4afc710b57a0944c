/**
 * `@horae/nestjs/schedule`: a drop-in for `@nestjs/schedule` — change the import path, keep the
 * code; give `ScheduleModule.forRoot` a shared store to gain persistence and one run per fire
 * across replicas.
 *
 * @packageDocumentation
 */
export { ScheduleModule, type ScheduleModuleAsyncOptions, type ScheduleModuleOptionsFactory } from './schedule.module.js';
export { Cron, Interval, Timeout, type CronOptions, type CronTimeInput } from './decorators.js';
export { CronExpression } from './cron-expression.js';
export { SchedulerRegistry, type CronJobLike, type RegisteredCronJob } from './registry.js';
export { HoraeCronJob, TimerHandle, type CronTimeView, type CronJobCallback } from './jobs.js';
export { LOCAL_STORE, type ScheduleModuleOptions } from './schedule-options.js';
