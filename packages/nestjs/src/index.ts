/**
 * `@horae/nestjs`: Horae for NestJS — `HoraeModule`, `@Scheduled`, stores through dependency
 * injection, draining on shutdown. The `@nestjs/schedule` drop-in is at `@horae/nestjs/schedule`.
 *
 * @packageDocumentation
 */
export { HoraeModule, HoraeFeatureModule, type HoraeFeatureAsyncOptions } from './horae.module.js';
export { Scheduled, InjectScheduler, type ScheduledOptions, type FromConfig } from './scheduled.decorator.js';
export type { HoraeModuleOptions, HoraeOptionsFactory, HoraeFeatureOptions, ScheduledRun, TaskErrorInfo } from './options.js';
export { HORAE_MODULE_OPTIONS, HORAE_SCHEDULER } from './tokens.js';
export { createScheduler } from './scheduler.factory.js';
export { DEFAULT_SHUTDOWN_TIMEOUT } from './horae.explorer.js';
export { toHoraeLogger, type HoraeLoggerOption } from './logger.js';
