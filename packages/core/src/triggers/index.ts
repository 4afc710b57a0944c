export type { JsonValue, Trigger, TriggerContext, TriggerFactory, TriggerInput, TriggerJSON, TriggerSpec } from './trigger.js';
export { TriggerRegistry } from './registry.js';
export { DateTrigger, type DateTriggerOptions } from './date.js';
export { IntervalTrigger, type IntervalTriggerOptions } from './interval.js';
export { CronTrigger, type CronTriggerOptions } from './cron.js';
export type { CronFields } from './cron-fields.js';
export { AndTrigger, OrTrigger, type CombiningTriggerOptions } from './combining.js';
export { ShutdownTrigger } from './shutdown.js';
