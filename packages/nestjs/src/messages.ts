/**
 * Every message @horae/nestjs writes or throws, as small factories that name the thing involved
 * and the fix, in one place.
 */

/** Where a decorated method lives, as messages show it: `ReportService.sendDigest`. */
export type MethodRef = string;

export const messages = {
  optionFunctionFailed: (where: MethodRef, option: string) =>
    `@Scheduled on ${where}: the function given for option "${option}" threw while it was read from the module's config.`,
  duplicateTask: (id: string, first: string, second: string) =>
    `@horae/nestjs: the task id "${id}" is declared twice, by ${first} and by ${second}. Task ids name handlers in stores shared by replicas, so each must be unique: give one of them another id (@Scheduled({ id: '...' })), or provide the class once.`,
  featureStoreTaken: (alias: string) =>
    `@horae/nestjs: HoraeModule.forFeature adds a store under the alias "${alias}", but a store with that alias exists already; choose another alias.`,
  disabledRemoved: (id: string, store: string) =>
    `Task "${id}" is disabled (@Scheduled({ disabled })); it was removed from store "${store}" and will not run until enabled again.`,
  requestScopedResolved: (where: MethodRef) =>
    `${where} is in a request-scoped provider: each run resolves a fresh instance with its own context id.`,
} as const;
