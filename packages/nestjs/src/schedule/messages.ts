/** Messages of the drop-in; the first two are word for word `@nestjs/schedule`'s. */
export const NO_SCHEDULER_FOUND = (schedulerName: string, name?: string): string =>
  name
    ? `No ${schedulerName} was found with the given name (${name}). Check that you created one with a decorator or with the create API.`
    : `No ${schedulerName} was found. Check your configuration.`;

export const DUPLICATE_SCHEDULER = (schedulerName: string, name: string): string =>
  `${schedulerName} with the given name (${name}) already exists. Ignored.`;

export const scheduleMessages = {
  notACronJob: (name: string, job: unknown) =>
    `SchedulerRegistry.addCronJob("${name}"): the job is ${job === null ? 'null' : typeof job}; give a CronJob from the "cron" package (new CronJob(...) or CronJob.from(...)) or one from this registry.`,
  unsupportedCronTime: (where: string, value: unknown) =>
    `${where}: the cron time ${String(value)} is neither a cron expression, a Date nor a Luxon DateTime.`,
  utcOffset: (where: string, offset: unknown) =>
    `${where}: utcOffset ${String(offset)} is not a whole number of hours (in minutes: -720..840, a multiple of 60, or -12..14 hours); use timeZone with an IANA name for other offsets.`,
  invalidTimeout: (kind: 'Interval' | 'Timeout', where: string, value: unknown) =>
    `@${kind} on ${where}: the ${kind === 'Interval' ? 'interval' : 'timeout'} is ${String(value)}; give milliseconds as a finite number >= ${kind === 'Interval' ? 1 : 0}.`,
  invalidCronTimeForSetTime: (name: string) =>
    `CronJob "${name}": setTime needs a CronTime (new CronTime('...') from the "cron" package) or a cron expression.`,
} as const;
