import type { Scheduler } from '@horae/core';
import { colour, duration, table, when, type Output } from '../format.js';

/** `horae status`: the stores (reached, or this would have failed), tasks by state, instances alive and what they run. */
export async function status(scheduler: Scheduler, source: string, out: Output): Promise<void> {
  const [page, instances, quarantined] = await Promise.all([scheduler.getTaskInfoPage({ limit: 1 }), scheduler.getInstances(), scheduler.getQuarantinedTasks()]);
  if (out.json) return out.data({ source, counts: page.counts, total: Object.values(page.counts).reduce((a, b) => a + b, 0), quarantined: quarantined.length, instances });
  out.line(`${colour.bold('stores')}      ${colour.green('reachable')} (${source})`);
  out.line(`${colour.bold('tasks')}       ${Object.entries(page.counts).map(([state, n]) => `${n} ${state}`).join(', ')}`);
  out.line(`${colour.bold('quarantine')}  ${quarantined.length === 0 ? '0' : colour.yellow(String(quarantined.length))}`);
  out.line(`${colour.bold('instances')}   ${instances.length} alive`);
  if (instances.length > 0) {
    out.line(
      table(
        ['INSTANCE', 'HOST', 'PID', 'UP', 'RUNNING', 'HANDLERS'],
        instances.map((instance) => [
          instance.instanceId,
          instance.hostname ?? '?',
          String(instance.pid ?? '?'),
          instance.startedAt === null ? '?' : duration(Date.now() - instance.startedAt.getTime()),
          instance.runs.length === 0 ? colour.dim('nothing') : instance.runs.map((run) => `${run.taskId} (since ${when(run.scheduledAt, scheduler.timezone)})`).join(', '),
          instance.handlers.join(', '),
        ]),
      ),
    );
  }
}
