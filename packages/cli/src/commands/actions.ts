import { createInterface } from 'node:readline/promises';
import type { Scheduler } from '@horae/core';
import { CliError, EXIT } from '../exit.js';
import { badge, colour, duration, when, type Output } from '../format.js';
import { infoOf, zoneOf } from './tasks.js';

/**
 * `horae run <id>`: a running instance runs the task now. The CLI has no handler code: it moves
 * the task's next run time to now, and the instances that run the task take it as due. The
 * schedule then goes on from now as its trigger says, so a one-off date task (which would be
 * used up) and a paused task (which would be resumed) are refused unless `--force`.
 */
export async function run(scheduler: Scheduler, id: string, options: { storeAlias?: string; force?: boolean; wait?: string }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  if (options.force !== true) {
    if (info.state === 'paused') throw new CliError(`task "${id}" is paused: running it now would resume it; resume it first (horae resume ${id}), or pass --force`);
    if (info.trigger === 'date' && info.nextRunTime !== null && info.nextRunTime.getTime() > Date.now()) {
      throw new CliError(`task "${id}" runs once, at ${when(info.nextRunTime, zoneOf(info, scheduler))}: running it now would be that run; pass --force to run it now instead`);
    }
  }
  const alive = await scheduler.getInstances({ store: info.store });
  const able = alive.filter((instance) => instance.handlers.includes(info.handler));
  const lacking = alive.filter((instance) => !instance.handlers.includes(info.handler));
  const running = alive.flatMap((instance) => instance.runs.filter((held) => held.taskId === id));
  if (options.force !== true && running.length >= info.maxInstances) {
    throw new CliError(`task "${id}" is running now (on ${running.map((held) => held.runId).join(', ')}), at its maxInstances of ${info.maxInstances}: a run now would be skipped; pass --force to ask anyway`);
  }
  const [last] = await scheduler.getRuns(id, { limit: 1, store: info.store });
  const requested = Date.now();
  await scheduler.updateTask(id, { nextRunTime: requested }, { store: info.store });
  const grace = info.misfireGraceTime === null ? '' : ` (within its misfire grace time of ${duration(info.misfireGraceTime)}, else the fire is missed)`;
  const warning =
    alive.length === 0
      ? `no instance is alive: the task runs when one starts${grace}`
      : lacking.length > 0
        ? `instance(s) ${lacking.map((instance) => instance.instanceId).join(', ')} do not define handler "${info.handler}": one of them taking the run would quarantine the task`
        : undefined;
  if (warning !== undefined && !out.json) process.stderr.write(`horae: warning: ${warning}\n`);
  if (options.wait === undefined) {
    if (out.json) return out.data({ task: id, requestedAt: new Date(requested), instancesAble: able.map((instance) => instance.instanceId), warning: warning ?? null });
    out.line(colour.green(`asked the running instances to run ${id} now`) + (able.length > 0 ? colour.dim(` (${able.length} able: ${able.map((instance) => instance.instanceId).join(', ')})`) : ''));
    return;
  }
  // Waits for the run in the history: the first run that ended after this request.
  const seconds = Number(options.wait);
  const deadline = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1_000;
  for (;;) {
    const [latest] = await scheduler.getRuns(id, { limit: 1, store: info.store });
    if (latest !== undefined && latest.runId !== last?.runId && latest.endedAt.getTime() >= requested) {
      if (out.json) out.data({ task: id, run: latest, warning: warning ?? null });
      else out.line(`${badge(latest.outcome)} on ${latest.instanceId}${latest.duration === null ? '' : ` in ${duration(latest.duration)}`}${latest.error === undefined ? '' : `: ${latest.error.message}`}`);
      if (latest.outcome !== 'succeeded') throw new CliError(`the run of "${id}" ${latest.outcome}`, EXIT.error);
      return;
    }
    if ((await scheduler.getQuarantinedTasks(info.store)).some((held) => held.id === id)) {
      throw new CliError(`task "${id}" was moved to the quarantine instead of running: see horae quarantine list`);
    }
    if (Date.now() > deadline) throw new CliError(`no run of "${id}" recorded within ${Math.round((deadline - requested) / 1000)} s${warning === undefined ? '' : `; ${warning}`}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function pause(scheduler: Scheduler, id: string, options: { storeAlias?: string }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  await scheduler.pauseTask(id, { store: info.store });
  if (out.json) return out.data({ task: await scheduler.getTaskInfo(id, { store: info.store }) });
  out.line(colour.yellow(`paused ${id}`));
}

export async function resume(scheduler: Scheduler, id: string, options: { storeAlias?: string }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  await scheduler.resumeTask(id, { store: info.store });
  const after = await scheduler.getTaskInfo(id, { store: info.store });
  if (out.json) return out.data({ task: after });
  out.line(after === null ? colour.yellow(`${id} had no more fire times and was removed`) : colour.green(`resumed ${id}: next run ${when(after.nextRunTime, zoneOf(after, scheduler))}`));
}

/** Asks on the terminal; refuses (usage) where there is none to ask. */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true) return;
  if (!process.stdin.isTTY) throw new CliError(`${question} Not a terminal to ask on: pass --yes to confirm`, EXIT.usage);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`${question} [y/N] `);
  prompt.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled: nothing was changed', EXIT.error);
}

export async function remove(scheduler: Scheduler, id: string, options: { storeAlias?: string; yes?: boolean }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  await confirm(`Remove task "${id}" (${info.triggerDescription}) from store "${info.store}"?`, options.yes);
  await scheduler.deleteTask(id, { store: info.store });
  if (out.json) return out.data({ removed: id, store: info.store });
  out.line(colour.red(`removed ${id}`));
}
