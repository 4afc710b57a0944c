import type { Scheduler } from '@horae/core';
import { colour, table, when, type Output } from '../format.js';
import { confirm } from './actions.js';

/** `horae quarantine list`: the records set aside, with the reason (never their payload). */
export async function quarantineList(scheduler: Scheduler, options: { storeAlias?: string }, out: Output): Promise<void> {
  const held = await scheduler.getQuarantinedTasks(options.storeAlias);
  const shown = held.map(({ id, store, reason, quarantinedAt, revision }) => ({ id, store, reason, quarantinedAt: new Date(quarantinedAt), revision }));
  if (out.json) return out.data({ tasks: shown });
  if (shown.length === 0) return out.line(colour.dim('the quarantine is empty'));
  out.line(table(['ID', 'STORE', 'SINCE', 'REASON'], shown.map((task) => [task.id, task.store, when(task.quarantinedAt, scheduler.timezone), task.reason])));
}

export async function quarantineRestore(scheduler: Scheduler, id: string, options: { storeAlias?: string }, out: Output): Promise<void> {
  const task = await scheduler.restoreQuarantinedTask(id, options.storeAlias === undefined ? {} : { store: options.storeAlias });
  // An observer reads the record back and leaves it in place when it still cannot: say so.
  if (out.json) return out.data({ restored: id, readable: task !== null });
  out.line(task === null ? colour.yellow(`restored ${id}, but it still cannot be read here (see horae doctor)`) : colour.green(`restored ${id}: next run ${when(task.nextRunTime, scheduler.timezone)}`));
}

export async function quarantineDiscard(scheduler: Scheduler, id: string, options: { storeAlias?: string; yes?: boolean }, out: Output): Promise<void> {
  await confirm(`Delete the quarantined record "${id}" for good?`, options.yes);
  await scheduler.purgeQuarantinedTask(id, options.storeAlias === undefined ? {} : { store: options.storeAlias });
  if (out.json) return out.data({ discarded: id });
  out.line(colour.red(`discarded ${id}`));
}
