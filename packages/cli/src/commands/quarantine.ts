import type { Scheduler } from '@horae/core';
import { colour, table, when, type Output } from '../format.js';
import { CliError, EXIT } from '../exit.js';
import { confirm } from './actions.js';
import { zoneOf } from './tasks.js';

/** `horae quarantine list`: the records set aside, with the reason (never their payload). */
export async function quarantineList(scheduler: Scheduler, options: { storeAlias?: string }, out: Output): Promise<void> {
  const held = await scheduler.getQuarantinedTasks(options.storeAlias);
  const shown = held.map(({ id, store, reason, quarantinedAt, revision }) => ({ id, store, reason, quarantinedAt: new Date(quarantinedAt), revision }));
  if (out.json) return out.data({ tasks: shown });
  if (shown.length === 0) return out.line(colour.dim('the quarantine is empty'));
  out.line(table(['ID', 'STORE', 'SINCE', 'REASON'], shown.map((task) => [task.id, task.store, when(task.quarantinedAt, scheduler.timezone), task.reason])));
}

/** A quarantined record by id, or the CLI's not-found error (exit code 3). */
async function held(scheduler: Scheduler, id: string, store: string | undefined): Promise<void> {
  if (!(await scheduler.getQuarantinedTasks(store)).some((task) => task.id === id)) {
    throw new CliError(`no quarantined record "${id}"${store === undefined ? '' : ` in store "${store}"`}: see horae quarantine list`, EXIT.notFound);
  }
}

export async function quarantineRestore(scheduler: Scheduler, id: string, options: { storeAlias?: string }, out: Output): Promise<void> {
  await held(scheduler, id, options.storeAlias);
  const task = await scheduler.restoreQuarantinedTask(id, options.storeAlias === undefined ? {} : { store: options.storeAlias });
  const info = task === null ? null : await scheduler.getTaskInfo(task.id, { store: task.store });
  // An observer reads the record back and leaves it in place when it still cannot: say so.
  if (out.json) return out.data({ restored: id, readable: task !== null });
  out.line(info === null ? colour.yellow(`restored ${id}, but it still cannot be read here (see horae doctor)`) : colour.green(`restored ${id}: next run ${when(info.nextRunTime, zoneOf(info, scheduler))}`));
}

export async function quarantineDiscard(scheduler: Scheduler, id: string, options: { storeAlias?: string; yes?: boolean }, out: Output): Promise<void> {
  await held(scheduler, id, options.storeAlias);
  await confirm(`Delete the quarantined record "${id}" for good?`, options.yes);
  await scheduler.purgeQuarantinedTask(id, options.storeAlias === undefined ? {} : { store: options.storeAlias });
  if (out.json) return out.data({ discarded: id });
  out.line(colour.red(`discarded ${id}`));
}
