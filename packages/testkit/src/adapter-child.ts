/**
 * The contract app in a process of its own, for the signal tests: `node --import tsx
 * adapter-child.ts '<json>'`. It prints one line per thing the parent waits for or checks.
 */
import { pathToFileURL } from 'node:url';
import { Scheduler } from '@horae/core';
import { echoFetchHandler, type ContractAppOptions, type ServedApp } from './adapter-fixture.js';

interface ChildConfig {
  module: string;
  /** How the declared task's handler behaves. */
  handler: 'finishing' | 'stuck' | 'deaf';
  shutdownTimeout: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const say = (line: string) => process.stdout.write(`${line}\n`);
const { serve, frameworkVersion } = (await import(pathToFileURL(config.module).href)) as {
  serve(options: ContractAppOptions): Promise<ServedApp>;
  frameworkVersion?: string;
};
if (frameworkVersion !== undefined) say(`framework ${frameworkVersion}`);

const quiet = () => undefined;
const scheduler = new Scheduler({ timezone: 'UTC', logger: { debug: quiet, info: (message: string) => say(`log ${message}`), warn: quiet, error: (message: string) => say(`error ${message}`) } });
scheduler.define('contract:fire', () => undefined);
scheduler.define('work', async (_args: unknown, ctx) => {
  say('started');
  if (config.handler === 'deaf') return new Promise<void>(() => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, config.handler === 'finishing' ? 500 : 600_000);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      say('aborted');
      resolve();
    });
  });
  say('finished');
});
scheduler.on('scheduler:shutdown', () => say('scheduler shutdown'));
await scheduler.addTask({ id: 'work', handler: 'work', trigger: { type: 'date', runAt: Date.now() + 100 } });
process.on('exit', (code) => say(`exit ${code}`));
const { port } = await serve({ scheduler, lifecycle: { signals: true, shutdownTimeout: config.shutdownTimeout }, fetchHandler: echoFetchHandler });
say(`listening ${port}`);
