import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger, Module, type INestApplication } from '@nestjs/common';
import { FileStore, Scheduler, type TaskInfo } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoraeModule, Scheduled, type ScheduledOptions } from '../src/index.js';
import { boot, recordingLogger } from './helpers.js';

// Deploys of one application on a persistent store: each boot is a new Nest app with a new
// FileStore on the same directory, as a restarted process would have. The scheduler's clock is
// set by the test, so that "later" needs no waiting and a reset schedule would show.
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let directory: string;
let now: number;
const open: INestApplication[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'horae-nest-persistence-'));
  now = T0;
});

afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
  await rm(directory, { recursive: true, force: true });
});

/** Boots the application as deployed with this declaration of `Reports.hourly`; returns its task. */
async function deploy(declaration: ScheduledOptions) {
  @Injectable()
  class Reports {
    @Scheduled(declaration)
    hourly() {}
  }
  @Module({
    imports: [HoraeModule.forRoot({ stores: { default: new FileStore({ directory }) }, logger: recordingLogger(), scheduler: { clock: () => now } })],
    providers: [Reports],
  })
  class App {}
  const app = await boot(App);
  open.push(app);
  const task = await app.get(Scheduler).getTaskInfo('Reports.hourly');
  return { app, task };
}

async function close(app: INestApplication): Promise<void> {
  open.splice(open.indexOf(app), 1);
  await app.close();
}

const scheduleOf = (task: TaskInfo | null) => task && { nextRunTime: task.nextRunTime, trigger: task.triggerDescription, state: task.state };

describe('@Scheduled on a persistent store, across restarts and deploys', () => {
  it('keeps the schedule when the definition is unchanged: the same next run time, no reset', async () => {
    const first = await deploy({ interval: HOUR });
    expect(first.task?.nextRunTime).toEqual(new Date(T0 + HOUR));
    await close(first.app);

    now = T0 + 20 * MINUTE;
    const second = await deploy({ interval: HOUR });
    // A reset would be now + 1 h = 01:20.
    expect(scheduleOf(second.task)).toEqual(scheduleOf(first.task));
    expect(second.task?.nextRunTime).toEqual(new Date(T0 + HOUR));
    await close(second.app);

    // A paused task stays paused across a deploy too.
    now = T0 + 30 * MINUTE;
    const third = await deploy({ interval: HOUR });
    await third.app.get(Scheduler).pauseTask('Reports.hourly');
    await close(third.app);
    now = T0 + 40 * MINUTE;
    const fourth = await deploy({ interval: HOUR });
    expect(fourth.task?.nextRunTime).toBeNull();
  });

  it('takes a changed definition: the new schedule, and the new options', async () => {
    const first = await deploy({ interval: HOUR });
    await close(first.app);

    now = T0 + 20 * MINUTE;
    const second = await deploy({ interval: 2 * HOUR, maxInstances: 3 });
    expect(second.task?.nextRunTime).toEqual(new Date(now + 2 * HOUR));
    expect(second.task?.triggerDescription).not.toEqual(first.task?.triggerDescription);
    expect(second.task?.maxInstances).toBe(3);
    await close(second.app);

    // Options other than the schedule change without moving the next run time.
    now = T0 + 30 * MINUTE;
    const third = await deploy({ interval: 2 * HOUR, maxInstances: 1, name: 'Hourly reports' });
    expect(third.task?.nextRunTime).toEqual(second.task?.nextRunTime);
    expect(third.task?.maxInstances).toBe(1);
    expect(third.task?.name).toBe('Hourly reports');
  });

  it('removes a task that a deploy marks disabled from the store, and does not add it back', async () => {
    const first = await deploy({ interval: HOUR });
    expect(first.task).not.toBeNull();
    await close(first.app);

    const logged = vi.spyOn(Logger.prototype, 'log');
    try {
      const second = await deploy({ interval: HOUR, disabled: true });
      expect(await second.app.get(Scheduler).getTaskInfo('Reports.hourly')).toBeNull();
      expect(logged.mock.calls.map(([message]) => String(message))).toContain(
        'Task "Reports.hourly" is disabled (@Scheduled({ disabled })); it was removed from store "default" and will not run until enabled again.',
      );
      await close(second.app);
    } finally {
      logged.mockRestore();
    }

    // Gone from the files, not only from that app's view: a fresh store on the directory agrees.
    const third = await deploy({ interval: HOUR, disabled: true });
    expect(third.task).toBeNull();
    await close(third.app);

    // Enabled again: added afresh, from the time of that deploy.
    now = T0 + 5 * MINUTE;
    const fourth = await deploy({ interval: HOUR });
    expect(fourth.task?.nextRunTime).toEqual(new Date(now + HOUR));
  });
});
