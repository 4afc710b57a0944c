/**
 * One replica in the multi-process tests: a scheduler on a shared store, ticking tasks and
 * appending what it does to a log file. Run with `node --import tsx child-process.ts '<json>'`.
 * `@horae/core` resolves to its sources through the tsconfig paths tsx reads, so no build is needed.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Scheduler, type TaskStore } from '@horae/core';

interface ChildConfig {
  storeModule: string;
  storeConfig: unknown;
  logFile: string;
  name: string;
  taskIds: string[];
  startAt: number;
  /** Absent: the scheduler's default. */
  leaseDuration?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const log = (entry: Record<string, unknown>) => appendFileSync(config.logFile, `${JSON.stringify({ ...entry, name: config.name, pid: process.pid })}\n`);

const { openStore } = (await import(pathToFileURL(config.storeModule).href)) as { openStore(config: unknown): TaskStore };
const quiet = () => undefined;
const scheduler = new Scheduler({
  timezone: 'UTC',
  instanceId: config.name,
  ...(config.leaseDuration === undefined ? {} : { leaseDuration: config.leaseDuration }),
  stores: { default: openStore(config.storeConfig) },
  logger: { debug: quiet, info: quiet, warn: quiet, error: (message: string) => log({ event: 'error', message }) },
});
scheduler.define('tick', (_args: unknown, ctx) => log({ event: 'ran', taskId: ctx.taskId, scheduledAt: ctx.scheduledAt.getTime(), at: Date.now() }));
scheduler.on('task:interrupted', ({ taskId, scheduledAt }) => log({ event: 'interrupted', taskId, scheduledAt: scheduledAt.getTime() }));
scheduler.on('task:max-instances', ({ taskId, scheduledRunTimes }) => {
  for (const time of scheduledRunTimes) log({ event: 'max-instances', taskId, scheduledAt: time.getTime(), at: Date.now() });
});
await scheduler.start();
for (const id of config.taskIds) {
  await scheduler.addTask({
    id,
    handler: 'tick',
    trigger: { type: 'interval', seconds: 1, startAt: config.startAt },
    misfireGraceTime: null,
    coalesce: false,
    replaceExisting: true,
  });
}
process.once('SIGTERM', () => {
  void scheduler.shutdown().then(() => process.exit(0));
});
process.stdout.write('ready\n');
