import type { Scheduler, TaskInfo, TaskRun, TriggerInput } from '@horae/core';
import type { DashboardApp } from './app.js';
import { audited } from './audit.js';
import { messages } from '../messages.js';
import * as routes from './routes.js';
import { runJSON, taskJSON } from './serialize.js';

/** The last run of each task, read from the stores' run history in parallel. */
async function lastRuns(scheduler: Scheduler, infos: readonly TaskInfo[]): Promise<(TaskRun | null)[]> {
  return Promise.all(infos.map(async (info) => (await scheduler.getRuns(info.id, { limit: 1, store: info.store }))[0] ?? null));
}

async function withLastRuns(scheduler: Scheduler, infos: readonly TaskInfo[]) {
  const runs = await lastRuns(scheduler, infos);
  return infos.map((info, index) => taskJSON(info, runs[index] ?? null));
}

/** The task as it stands now, for the answer to a change (`null` when it no longer exists). */
async function current(scheduler: Scheduler, id: string, store: string | undefined) {
  const info = await scheduler.getTaskInfo(id, store === undefined ? {} : { store });
  return info === null ? null : (await withLastRuns(scheduler, [info]))[0]!;
}

const iso = (dates: readonly Date[]): string[] => dates.map((date) => date.toISOString());
const inStore = (store: string | undefined) => (store === undefined ? {} : { store });

/** Tasks: list, one, runs, run now, pause, resume, reschedule (with a preview), delete. */
export function taskEndpoints(app: DashboardApp, scheduler: Scheduler): void {
  app.openapi(routes.listTasks, async (c) => {
    const query = c.req.valid('query');
    const page = await scheduler.getTaskInfoPage({
      ...(query.q === undefined ? {} : { q: query.q }),
      ...(query.store === undefined ? {} : { store: query.store }),
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.handler === undefined ? {} : { handler: query.handler }),
      ...(query.trigger === undefined ? {} : { trigger: query.trigger }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      sortBy: query.sort ?? 'nextRunTime',
      descending: query.order === 'desc',
      limit: query.limit ?? 50,
    });
    return c.json({ tasks: await withLastRuns(scheduler, page.tasks), total: page.total, counts: { ...page.counts }, nextCursor: page.nextCursor }, 200);
  });

  app.openapi(routes.getTask, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    // Throws the scheduler's own TASK_NOT_FOUND (a 404) for a task that is not there.
    const nextFireTimes = await scheduler.getNextFireTimes(id, { count: 10, ...inStore(store) });
    const info = await scheduler.getTaskInfo(id, inStore(store));
    if (info === null) throw messages.deletedWhileRead(id);
    const [json] = await withLastRuns(scheduler, [info]);
    return c.json({ task: json!, nextFireTimes: iso(nextFireTimes), args: info.args ?? null }, 200);
  });

  app.openapi(routes.taskRuns, async (c) => {
    const { id } = c.req.valid('param');
    const { store, limit, before } = c.req.valid('query');
    const runs = await scheduler.getRuns(id, { limit: limit ?? 50, ...inStore(store), ...(before === undefined ? {} : { before }) });
    return c.json({ runs: runs.map(runJSON) }, 200);
  });

  for (const [route, action] of [
    [routes.runTask, 'run'],
    [routes.pauseTask, 'pause'],
    [routes.resumeTask, 'resume'],
  ] as const) {
    app.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      const { store } = c.req.valid('query');
      const entry = { action, taskId: id, store: store ?? null, identity: c.var.identity };
      const after = await audited(c.var.options, scheduler.logger, entry, async () => {
        const task = action === 'run' ? await scheduler.runTask(id, inStore(store)) : action === 'pause' ? await scheduler.pauseTask(id, inStore(store)) : await scheduler.resumeTask(id, inStore(store));
        return task === null ? null : current(scheduler, task.id, task.store);
      });
      return c.json({ task: after }, 200);
    });
  }

  app.openapi(routes.previewReschedule, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    const { trigger } = c.req.valid('json');
    // The task must exist (the scheduler's TASK_NOT_FOUND, a 404, otherwise). A trigger that
    // names no time zone gets the scheduler's, as rescheduling gives it.
    await scheduler.getNextFireTimes(id, { count: 1, ...inStore(store) });
    const created = scheduler.triggers.create(trigger, { timezone: scheduler.timezone, now: Date.now(), taskId: id });
    const nextFireTimes = scheduler.previewFireTimes(created, { count: 10 });
    return c.json({ description: created.describe(), nextFireTimes: iso(nextFireTimes) }, 200);
  });

  app.openapi(routes.reschedule, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    const { trigger } = c.req.valid('json');
    const entry = { action: 'reschedule' as const, taskId: id, store: store ?? null, identity: c.var.identity };
    const task = await audited(c.var.options, scheduler.logger, entry, () => scheduler.rescheduleTask(id, trigger as TriggerInput, inStore(store)));
    const json = (await current(scheduler, task.id, task.store))!;
    const nextFireTimes = await scheduler.getNextFireTimes(task.id, { count: 10, store: task.store });
    return c.json({ task: json, nextFireTimes: iso(nextFireTimes) }, 200);
  });

  app.openapi(routes.deleteTask, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    const entry = { action: 'delete' as const, taskId: id, store: store ?? null, identity: c.var.identity };
    await audited(c.var.options, scheduler.logger, entry, () => scheduler.deleteTask(id, inStore(store)));
    return c.body(null, 204);
  });
}
