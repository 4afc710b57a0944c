import type { Scheduler, TaskInfo, TaskRun, TaskState } from '@horae/core';
import { CliError, EXIT } from '../exit.js';
import { badge, colour, duration, table, when, type Output } from '../format.js';

const STATES: readonly TaskState[] = ['pending', 'scheduled', 'paused', 'running'];
const SORTS = ['nextRunTime', 'id', 'name', 'state', 'store', 'trigger', 'handler', 'executor'] as const;

export interface ListOptions {
  storeAlias?: string;
  state?: string;
  handler?: string;
  trigger?: string;
  search?: string;
  sort?: string;
  desc?: boolean;
}

/** The zone a task's times are shown in: its trigger's, else the scheduler's. */
export function zoneOf(info: TaskInfo, scheduler: Scheduler): string {
  const zone = info.triggerOptions.timezone;
  return typeof zone === 'string' ? zone : scheduler.timezone;
}

/** `horae list`: the tasks, filtered and sorted. */
export async function list(scheduler: Scheduler, options: ListOptions, out: Output): Promise<void> {
  if (options.state !== undefined && !STATES.includes(options.state as TaskState)) throw new CliError(`--state ${options.state}: give one of ${STATES.join(', ')}`, EXIT.usage);
  if (options.sort !== undefined && !(SORTS as readonly string[]).includes(options.sort)) throw new CliError(`--sort ${options.sort}: give one of ${SORTS.join(', ')}`, EXIT.usage);
  const infos = await scheduler.getTaskInfos({
    ...(options.storeAlias === undefined ? {} : { store: options.storeAlias }),
    ...(options.state === undefined ? {} : { state: options.state as TaskState }),
    ...(options.handler === undefined ? {} : { handler: options.handler }),
    ...(options.trigger === undefined ? {} : { trigger: options.trigger }),
    ...(options.search === undefined ? {} : { q: options.search }),
    sortBy: (options.sort ?? 'nextRunTime') as (typeof SORTS)[number],
    descending: options.desc === true,
  });
  if (out.json) return out.data({ tasks: infos });
  if (infos.length === 0) return out.line(colour.dim('no tasks'));
  out.line(
    table(
      ['ID', 'STATE', 'NEXT RUN', 'TRIGGER', 'HANDLER', 'STORE'],
      infos.map((info) => [info.id, badge(info.state), when(info.nextRunTime, zoneOf(info, scheduler)), info.triggerDescription, info.handler, info.store]),
    ),
  );
  out.line(colour.dim(`${infos.length} task${infos.length === 1 ? '' : 's'}`));
}

/** A task's snapshot, or the CLI's not-found error (exit code 3). */
export async function infoOf(scheduler: Scheduler, id: string, store: string | undefined): Promise<TaskInfo> {
  const info = await scheduler.getTaskInfo(id, store === undefined ? {} : { store });
  if (info === null) throw new CliError(`no task "${id}"${store === undefined ? '' : ` in store "${store}"`}: list the ids with horae list`, EXIT.notFound);
  return info;
}

function runRows(runs: readonly TaskRun[], timezone: string): string[][] {
  return runs.map((run) => [
    when(run.endedAt, timezone),
    badge(run.outcome),
    run.duration === null ? '—' : duration(run.duration),
    run.instanceId,
    run.error?.message ?? run.result ?? '',
  ]);
}

/** `horae inspect <id>`: everything the task says of itself, its next fire times and last runs. */
export async function inspect(scheduler: Scheduler, id: string, options: { storeAlias?: string; count?: string }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  const count = Number(options.count ?? 5);
  const [next, runs] = await Promise.all([scheduler.getNextFireTimes(id, { count, store: info.store }), scheduler.getRuns(id, { limit: 5, store: info.store })]);
  if (out.json) return out.data({ task: info, nextFireTimes: next, runs });
  const zone = zoneOf(info, scheduler);
  const fields: [string, string][] = [
    ['id', info.id],
    ['name', info.name],
    ['state', badge(info.state)],
    ['handler', info.handler],
    ['trigger', info.triggerDescription],
    ['next run', when(info.nextRunTime, zone)],
    ['store', info.store],
    ['executor', info.executor],
    ['coalesce', String(info.coalesce)],
    ['misfire grace', info.misfireGraceTime === null ? 'none' : duration(info.misfireGraceTime)],
    ['max instances', String(info.maxInstances)],
    ['jitter', info.jitter === null ? 'none' : duration(info.jitter)],
    ['args', JSON.stringify(info.args) ?? 'none'],
  ];
  for (const [name, value] of fields) out.line(`${colour.bold(name.padEnd(14))}${value}`);
  out.line('');
  out.line(colour.bold('next fire times'));
  out.line(next.length === 0 ? colour.dim('  none') : next.map((time) => `  ${when(time, zone)}`).join('\n'));
  out.line('');
  out.line(colour.bold('last runs'));
  out.line(runs.length === 0 ? colour.dim('  none recorded') : table(['ENDED', 'OUTCOME', 'DURATION', 'INSTANCE', 'RESULT / ERROR'], runRows(runs, zone)));
}

/** `horae history <id>`: the task's run history, newest first. */
export async function history(scheduler: Scheduler, id: string, options: { storeAlias?: string; limit?: string; before?: string }, out: Output): Promise<void> {
  const limit = Number(options.limit ?? 20);
  const runs = await scheduler.getRuns(id, {
    limit,
    ...(options.storeAlias === undefined ? {} : { store: options.storeAlias }),
    ...(options.before === undefined ? {} : { before: options.before }),
  });
  if (out.json) return out.data({ runs });
  if (runs.length === 0) return out.line(colour.dim(`no runs recorded for "${id}"`));
  const info = await scheduler.getTaskInfo(id, options.storeAlias === undefined ? {} : { store: options.storeAlias });
  out.line(table(['ENDED', 'OUTCOME', 'DURATION', 'INSTANCE', 'RESULT / ERROR'], runRows(runs, info === null ? scheduler.timezone : zoneOf(info, scheduler))));
}
