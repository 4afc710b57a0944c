/**
 * Everything @horae/nestjs throws or writes, as small factories that name the thing involved, the
 * value and the fix, in one place: the errors of `HoraeModule` and of the `@nestjs/schedule`
 * drop-in (all of them `HoraeError`s with a code), and the lines they log.
 */
import { HoraeError } from '@horae/core';

/** Where a decorated method lives, as messages show it: `ReportService.sendDigest`. */
export type MethodRef = string;

/** The kinds of job of the `@nestjs/schedule` drop-in, as its messages name them. */
export type ScheduleKind = 'Cron Job' | 'Interval' | 'Timeout';

/**
 * The errors of @horae/nestjs.
 *
 * @example
 * ```ts
 * if (!job) throw errors.jobNotFound('Cron Job', name);
 * ```
 */
export const errors = {
  /** `HoraeDashboardModule.forRoot` without a path (`INVALID_OPTION`). */
  dashboardPath: (path: unknown) =>
    new HoraeError('INVALID_OPTION', `HoraeDashboardModule.forRoot: invalid path ${typeof path === 'string' ? JSON.stringify(path) : String(path)}: give the path to serve the dashboard at, such as '/horae'.`),
  /** A `@Scheduled` option given as a function of the config threw (`INVALID_OPTION`). */
  optionFunctionFailed: (where: MethodRef, option: string, cause: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `@Scheduled on ${where}: the function given for option "${option}" threw while it was read from the module's config.`,
      { cause },
    ),
  /** One task id declared by two methods or feature tasks (`CONFLICTING_ID`). */
  duplicateTask: (id: string, first: string, second: string) =>
    new HoraeError(
      'CONFLICTING_ID',
      `@horae/nestjs: the task id "${id}" is declared twice, by ${first} and by ${second}. Task ids name handlers in stores shared by replicas, so each must be unique: give one of them another id (@Scheduled({ id: '...' })), or provide the class once.`,
      { taskId: id },
    ),
  /** `forFeature` adds a store under an alias that is taken (`INVALID_OPTION`). */
  featureStoreTaken: (alias: string, cause: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `@horae/nestjs: HoraeModule.forFeature adds a store under the alias "${alias}", but a store with that alias exists already; choose another alias.`,
      { cause },
    ),
  /** A decorator put on something that is not a method (`INVALID_OPTION`). */
  notAMethod: () => new HoraeError('INVALID_OPTION', '@horae/nestjs decorators apply to methods only.'),

  // The @nestjs/schedule drop-in. The first two are word for word @nestjs/schedule's.

  /** `SchedulerRegistry.get…` found no job of that name (`TASK_NOT_FOUND`). */
  jobNotFound: (kind: ScheduleKind, name?: string) =>
    new HoraeError(
      'TASK_NOT_FOUND',
      name
        ? `No ${kind} was found with the given name (${name}). Check that you created one with a decorator or with the create API.`
        : `No ${kind} was found. Check your configuration.`,
    ),
  /** `SchedulerRegistry.add…` or a decorator registers a name that is taken (`CONFLICTING_ID`). */
  jobExists: (kind: ScheduleKind, name: string) => new HoraeError('CONFLICTING_ID', `${kind} with the given name (${name}) already exists. Ignored.`),
  /** `addCronJob` was given something that is not a `cron` package `CronJob` (`INVALID_OPTION`). */
  notACronJob: (name: string, job: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `SchedulerRegistry.addCronJob("${name}"): the job is ${job === null ? 'null' : typeof job}; give a CronJob from the "cron" package (new CronJob(...) or CronJob.from(...)) or one from this registry.`,
    ),
  /** A cron time that Horae cannot schedule (`INVALID_TRIGGER`). */
  unsupportedCronTime: (where: string, value: unknown) =>
    new HoraeError('INVALID_TRIGGER', `${where}: the cron time ${String(value)} is neither a cron expression, a Date nor a Luxon DateTime.`),
  /** A `utcOffset` that no IANA `Etc/GMT±N` zone stands for (`INVALID_TIMEZONE`). */
  utcOffset: (where: string, offset: unknown) =>
    new HoraeError(
      'INVALID_TIMEZONE',
      `${where}: utcOffset ${String(offset)} is not a whole number of hours (in minutes: -720..840, a multiple of 60, or -12..14 hours); use timeZone with an IANA name for other offsets.`,
    ),
  /** `ScheduleModule`'s `requestScoped` that is neither `'skip'` nor `'run'` (`INVALID_OPTION`). */
  invalidRequestScoped: (value: unknown) =>
    new HoraeError('INVALID_OPTION', `ScheduleModule: requestScoped ${typeof value === 'string' ? JSON.stringify(value) : String(value)} is not allowed; give 'skip' (the default: warn and skip them, as @nestjs/schedule) or 'run' (a fresh instance for each run).`),
  /** An `@Interval` or `@Timeout` delay that is not a usable number of milliseconds (`INVALID_OPTION`). */
  invalidTimeout: (kind: 'Interval' | 'Timeout', where: string, value: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `@${kind} on ${where}: the ${kind === 'Interval' ? 'interval' : 'timeout'} is ${String(value)}; give milliseconds as a finite number >= ${kind === 'Interval' ? 1 : 0}.`,
    ),
  /** `CronJob.setTime` was given neither a `CronTime` nor an expression (`INVALID_OPTION`). */
  invalidCronTimeForSetTime: (name: string) =>
    new HoraeError('INVALID_OPTION', `CronJob "${name}": setTime needs a CronTime (new CronTime('...') from the "cron" package) or a cron expression.`, {
      taskId: name,
    }),
  /** `CronJob.nextDate` on a schedule that is over (`INVALID_TRIGGER`). */
  noFireTimeAfterNow: (name: string) =>
    new HoraeError('INVALID_TRIGGER', `CronJob "${name}": its schedule has no fire time after now.`, { taskId: name }),
} as const;

/** The lines @horae/nestjs logs. */
export const logs = {
  /** (log) A task declared `disabled` was taken out of its store. */
  disabledRemoved: (id: string, store: string) =>
    `Task "${id}" is disabled (@Scheduled({ disabled })); it was removed from store "${store}" and will not run until enabled again.`,
  /** (warn) `@nestjs/schedule`'s own words for a job of a request-scoped provider, which the drop-in skips unless `requestScoped: 'run'`. */
  nonStaticSkipped: (kind: 'cron' | 'interval' | 'timeout', provider: unknown, method: string) =>
    `Cannot register ${kind === 'cron' ? 'cron job' : kind} "${String(provider)}@${method}" because it is defined in a non static provider.`,
  /** (debug) A method of a request-scoped provider runs on a fresh instance each time. */
  requestScopedResolved: (where: MethodRef) =>
    `${where} is in a request-scoped provider: each run resolves a fresh instance with its own context id.`,
} as const;
