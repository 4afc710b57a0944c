/** The five cron expressions benchmarks 2 and 3 spread their 100,000 tasks over (task i gets i % 5). */
export const CRON_EXPRESSIONS = ['*/5 * * * *', '0 * * * *', '0 3 * * *', '15 10 * * 1-5', '0 0 1 * *'] as const;

export const TASK_COUNT = 100_000;

/** The handler every task shares, so no per-task closure is counted. */
export function noop(): void {}
