import type { Scheduler } from '@horae/core';
import type { DashboardApp } from './app.js';
import { audited } from './audit.js';
import * as routes from './routes.js';
import { instanceJSON, quarantinedJSON, taskJSON } from './serialize.js';

/** The quarantine (list, restore, discard) and the instances alive. */
export function clusterEndpoints(app: DashboardApp, scheduler: Scheduler): void {
  app.openapi(routes.listQuarantine, async (c) => {
    const { store } = c.req.valid('query');
    const held = await scheduler.getQuarantinedTasks(store);
    return c.json({ tasks: held.map(quarantinedJSON) }, 200);
  });

  app.openapi(routes.restoreQuarantined, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    const entry = { action: 'restore' as const, taskId: id, store: store ?? null, identity: c.var.identity };
    const task = await audited(c.var.options, scheduler.logger, entry, () => scheduler.restoreQuarantinedTask(id, store === undefined ? {} : { store }));
    const info = task === null ? null : await scheduler.getTaskInfo(task.id, { store: task.store });
    return c.json({ task: info === null ? null : taskJSON(info, null) }, 200);
  });

  app.openapi(routes.discardQuarantined, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.req.valid('query');
    const entry = { action: 'discard' as const, taskId: id, store: store ?? null, identity: c.var.identity };
    await audited(c.var.options, scheduler.logger, entry, () => scheduler.purgeQuarantinedTask(id, store === undefined ? {} : { store }));
    return c.body(null, 204);
  });

  app.openapi(routes.instances, async (c) => {
    const instances = await scheduler.getInstances();
    return c.json({ instances: instances.map(instanceJSON) }, 200);
  });
}
