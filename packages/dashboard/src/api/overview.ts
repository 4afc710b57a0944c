import type { Scheduler, TaskRun } from '@horae/core';
import { canMutate } from '../access.js';
import type { DashboardApp } from './app.js';
import * as routes from './routes.js';
import { runJSON, taskJSON } from './serialize.js';

const DAY = 24 * 3_600_000;
/** How long the failure scan is reused: it reads every task's history, and pages refresh often. */
const FAILURE_SCAN_TTL = 15_000;
/** How many histories are read at once during the scan. */
const SCAN_CONCURRENCY = 16;

interface FailureScan {
  readonly count: number;
  readonly recent: readonly TaskRun[];
}

/** The failed runs of the last 24 hours, across the history every task keeps. */
async function scanFailures(scheduler: Scheduler, now: number): Promise<FailureScan> {
  const infos = await scheduler.getTaskInfos();
  const failed: TaskRun[] = [];
  for (let start = 0; start < infos.length; start += SCAN_CONCURRENCY) {
    const slice = infos.slice(start, start + SCAN_CONCURRENCY);
    for (const runs of await Promise.all(slice.map((info) => scheduler.getRuns(info.id, { store: info.store, limit: 1_000, before: now + 1 })))) {
      for (const run of runs) if (run.outcome === 'failed' && run.endedAt.getTime() > now - DAY) failed.push(run);
    }
  }
  failed.sort((a, b) => b.endedAt.getTime() - a.endedAt.getTime());
  return { count: failed.length, recent: failed.slice(0, 10) };
}

/** What this client may do, and the overview page. */
export function overviewEndpoints(app: DashboardApp, scheduler: Scheduler): void {
  app.openapi(routes.session, async (c) => {
    const { options } = c.var;
    return c.json({ readOnly: options.readOnly, canMutate: await canMutate(options, c.req.raw, c.env), identity: c.var.identity }, 200);
  });

  // One scan shared by the requests of FAILURE_SCAN_TTL, those that arrive while it runs
  // included; a failed scan is not kept.
  let scan: { readonly at: number; readonly result: Promise<FailureScan> } | undefined;
  const failures = (now: number): Promise<FailureScan> => {
    if (scan === undefined || now - scan.at > FAILURE_SCAN_TTL) {
      const started = { at: now, result: scanFailures(scheduler, now) };
      started.result.catch(() => {
        if (scan === started) scan = undefined;
      });
      scan = started;
    }
    return scan.result;
  };

  app.openapi(routes.overview, async (c) => {
    const [page, failed, quarantined, instances] = await Promise.all([
      scheduler.getTaskInfoPage({ sortBy: 'nextRunTime', limit: 10 }),
      failures(Date.now()),
      scheduler.getQuarantinedTasks(),
      scheduler.getInstances(),
    ]);
    const total = Object.values(page.counts).reduce((sum, count) => sum + count, 0);
    return c.json(
      {
        counts: { ...page.counts, total },
        failures24h: failed.count,
        quarantined: quarantined.length,
        instances: instances.length,
        nextFires: page.tasks.filter((info) => info.nextRunTime !== null).map((info) => taskJSON(info, null)),
        recentFailures: failed.recent.map(runJSON),
      },
      200,
    );
  });
}
