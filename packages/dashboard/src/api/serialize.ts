import type { JSONValue } from 'hono/utils/types';
import type { InstanceInfo, QuarantinedTask, TaskInfo, TaskRun, TaskSortKey } from '@horae/core';

/** The fields the task list sorts by (`sort=`), as the scheduler names them. */
export const TASK_SORT_FIELDS = ['nextRunTime', 'id', 'name', 'state', 'store', 'trigger', 'handler', 'executor'] as const satisfies readonly TaskSortKey[];

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** A run as the API shows it: times as ISO strings. */
export function runJSON(run: TaskRun) {
  return {
    taskId: run.taskId,
    runId: run.runId,
    scheduledAt: run.scheduledAt.map(iso),
    instanceId: run.instanceId,
    startedAt: isoOrNull(run.startedAt),
    endedAt: iso(run.endedAt),
    duration: run.duration,
    outcome: run.outcome,
    ...(run.error === undefined ? {} : { error: { ...run.error } }),
    ...(run.result === undefined ? {} : { result: run.result }),
  };
}

/** A task as the API shows it, with its last run. Its arguments are left to the task's own page. */
export function taskJSON(info: TaskInfo, lastRun: TaskRun | null) {
  return {
    id: info.id,
    name: info.name,
    handler: info.handler,
    trigger: info.trigger,
    triggerDescription: info.triggerDescription,
    // A trigger's JSON form is JSON (undefined members are dropped on the wire).
    triggerOptions: { ...info.triggerOptions } as Record<string, JSONValue>,
    executor: info.executor,
    store: info.store,
    state: info.state,
    nextRunTime: isoOrNull(info.nextRunTime),
    coalesce: info.coalesce,
    misfireGraceTime: info.misfireGraceTime,
    maxInstances: info.maxInstances,
    jitter: info.jitter,
    runningInstances: info.runningInstances,
    lastRun: lastRun === null ? null : runJSON(lastRun),
  };
}

export function instanceJSON(instance: InstanceInfo) {
  return {
    instanceId: instance.instanceId,
    self: instance.self,
    hostname: instance.hostname,
    pid: instance.pid,
    startedAt: isoOrNull(instance.startedAt),
    aliveUntil: isoOrNull(instance.aliveUntil),
    handlers: [...instance.handlers],
    stores: [...instance.stores],
    runs: instance.runs.map((run) => ({ taskId: run.taskId, runId: run.runId, store: run.store, scheduledAt: iso(run.scheduledAt), expiresAt: isoOrNull(run.expiresAt) })),
  };
}

/** A quarantined record without its payload: that may be ciphertext or secrets, and no page needs it. */
export function quarantinedJSON(task: QuarantinedTask & { store: string }) {
  return {
    id: task.id,
    store: task.store,
    reason: task.reason,
    quarantinedAt: new Date(task.quarantinedAt).toISOString(),
    nextRunTime: task.nextRunTime === null ? null : new Date(task.nextRunTime).toISOString(),
    revision: task.revision,
  };
}
