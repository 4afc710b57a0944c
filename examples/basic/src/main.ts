/**
 * A tour of @horae/core in one small program: it schedules a few tasks in a FileStore, prints
 * what happens, shows the schedule through the inspection API, and shuts down gracefully after a
 * while (or on Ctrl-C / SIGTERM). Run it twice: the second run finds the tasks of the first,
 * with their schedules, in `.horae-data/`.
 *
 * Run it from the repository root with `pnpm demo`.
 */
import { fileURLToPath } from 'node:url';
import { FileStore, Scheduler, isHoraeError, type RunContext } from '@horae/core';

const RUN_FOR_MS = Number(process.env.DEMO_DURATION_MS ?? 12_000);
const started = Date.now();
const clock = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

// Horae logs through any console-like object; this one keeps the demo's output short.
const quiet = () => undefined;
const logger = { debug: quiet, info: quiet, warn: (message: string) => console.warn(`[horae] ${message}`), error: quiet };
const directory = fileURLToPath(new URL('../.horae-data', import.meta.url));
const scheduler = new Scheduler({ timezone: 'UTC', logger, stores: { default: new FileStore({ directory }) } });

// Handlers are registered by name; tasks refer to them by that name.
scheduler.define('heartbeat', (_args: unknown, ctx: RunContext) => {
  console.log(`${clock()}  heartbeat          (scheduled for ${ctx.scheduledAt.toISOString()})`);
});
scheduler.define('report', async ({ kind }: { kind: string }, ctx: RunContext) => {
  await new Promise((resolve) => setTimeout(resolve, 300)); // pretend to build something
  if (ctx.signal.aborted) return 'aborted';
  console.log(`${clock()}  ${kind} report built`);
  return { rows: Math.floor(Math.random() * 100) };
});
scheduler.define('flaky', () => {
  throw new Error('the upstream API said 503');
});
scheduler.define('goodbye', () => console.log(`${clock()}  shutdown task: flushing buffers`));

scheduler.on('task:executed', ({ taskId, result, duration }) => {
  if (result !== undefined) console.log(`${clock()}  ✔ ${taskId} returned ${JSON.stringify(result)} in ${duration.toFixed(0)} ms`);
});
scheduler.on('task:error', ({ taskId, error }) => {
  console.log(`${clock()}  ✘ ${taskId} failed: ${(error as Error).message} (the app carries on)`);
});

await scheduler.start();
const previous = await scheduler.getTasks();
console.log(
  previous.length === 0
    ? `No tasks in ${directory} yet: this is the first run.\n`
    : `Found ${previous.length} task(s) from the previous run in ${directory}: ${previous.map((task) => task.id).join(', ')}.\n`,
);

// Declared at every boot; replaceExisting keeps the schedule of a task whose definition is unchanged.
const declare = { replaceExisting: true } as const;
await scheduler.addTask({ id: 'heartbeat', handler: 'heartbeat', trigger: { type: 'interval', seconds: 2 }, ...declare });
await scheduler.addTask({
  id: 'report',
  handler: 'report',
  args: { kind: 'sales' },
  trigger: { type: 'cron', expression: '*/5 * * * * *' }, // every 5 seconds (six fields: with seconds)
  ...declare,
});
await scheduler.addTask({ id: 'flaky', handler: 'flaky', trigger: { type: 'date', runAt: Date.now() + 3_000 }, ...declare });
await scheduler.addTask({ id: 'goodbye', handler: 'goodbye', trigger: 'shutdown', ...declare });

try {
  await scheduler.addTask({ handler: 'report', trigger: { type: 'cron', expression: '0 25 * * *' } });
} catch (error) {
  if (isHoraeError(error)) console.log(`Bad input is refused with a clear error:\n  [${error.code}] ${error.message}\n`);
}

console.log('Scheduled tasks:');
console.table(
  (await scheduler.getTaskInfos()).map((info) => ({
    id: info.id,
    trigger: info.triggerDescription,
    state: info.state,
    next: info.nextRunTime?.toISOString() ?? '-',
  })),
);

let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${clock()}  ${reason}: shutting down (waiting up to 5 s for running tasks)`);
  await scheduler.shutdown({ timeout: 5_000 });
  console.log(`${clock()}  stopped cleanly`);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
setTimeout(() => void stop(`demo ran for ${RUN_FOR_MS / 1000} s`), RUN_FOR_MS);
