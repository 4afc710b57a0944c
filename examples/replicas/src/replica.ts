/**
 * One replica of an application: a scheduler on the shared store that declares its tasks at
 * boot, as every replica does. Prints one line per fire it runs.
 */
import { Scheduler } from '@horae/core';
import { openStore, storeUrl } from './store.js';

const name = process.argv[2] ?? 'replica';
const quiet = () => undefined;
const scheduler = new Scheduler({
  timezone: 'UTC',
  instanceId: name,
  stores: { default: await openStore(storeUrl()) },
  logger: { debug: quiet, info: quiet, warn: (message: string) => console.warn(`[${name}] ${message}`), error: (message: string) => console.error(`[${name}] ${message}`) },
});

scheduler.define('send-digest', ({ list }: { list: string }, ctx) => {
  console.log(`${name} ran ${ctx.taskId} (${list}) for ${ctx.scheduledAt.toISOString()}`);
});

await scheduler.start();
// Both replicas declare the same tasks; the store keeps one of each, with one schedule.
for (const list of ['news', 'alerts', 'billing']) {
  await scheduler.addTask({
    id: `digest-${list}`,
    handler: 'send-digest',
    args: { list },
    trigger: { type: 'interval', seconds: 1, startAt: Math.ceil(Date.now() / 1000) * 1000 },
    replaceExisting: true,
  });
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => void scheduler.shutdown().then(() => process.exit(0)));
