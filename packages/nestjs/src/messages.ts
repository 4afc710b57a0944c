/**
 * Every message @horae/nestjs writes or throws, as small factories that name the thing involved
 * and the fix, in one place.
 */

/** Where a decorated method lives, as messages show it: `ReportService.sendDigest`. */
export type MethodRef = string;

export const messages = {
  triggerCount: (where: MethodRef, given: string[]) =>
    `@Scheduled on ${where}: give exactly one of cron, interval, date or trigger; ${
      given.length === 0 ? 'none was given' : `got ${given.join(' and ')}`
    }.`,
  optionType: (where: MethodRef, option: string, value: unknown, allowed: string) =>
    `@Scheduled on ${where}: option "${option}" is ${describe(value)}; ${allowed}.`,
  optionFunctionFailed: (where: MethodRef, option: string) =>
    `@Scheduled on ${where}: the function given for option "${option}" threw while it was read from the module's config.`,
  duplicateTask: (id: string, first: string, second: string) =>
    `@horae/nestjs: the task id "${id}" is declared twice, by ${first} and by ${second}. Task ids name handlers in stores shared by replicas, so each must be unique: give one of them another id (@Scheduled({ id: '...' })), or provide the class once.`,
  featureStoreTaken: (alias: string) =>
    `@horae/nestjs: HoraeModule.forFeature adds a store under the alias "${alias}", but a store with that alias exists already; choose another alias.`,
  invalidShutdownTimeout: (value: unknown) =>
    `@horae/nestjs: shutdownTimeout is ${describe(value)}; give milliseconds as a finite number >= 0, or Infinity to wait as long as running handlers take.`,
  disabledRemoved: (id: string, store: string) =>
    `Task "${id}" is disabled (@Scheduled({ disabled })); it was removed from store "${store}" and will not run until enabled again.`,
  requestScopedResolved: (where: MethodRef) =>
    `${where} is in a request-scoped provider: each run resolves a fresh instance with its own context id.`,
} as const;

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || value === undefined) return String(value);
  if (value instanceof Date) return `the date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return 'an object';
    }
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value === 'symbol' ? value.toString() : 'a value';
}
