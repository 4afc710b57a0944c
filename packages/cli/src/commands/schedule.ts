import type { Scheduler } from '@horae/core';
import { CliError, EXIT } from '../exit.js';
import { colour, table, when, type Output } from '../format.js';
import { parseTriggerSpec } from '../trigger-spec.js';
import { infoOf, zoneOf } from './tasks.js';

function count(text: string | undefined, fallback: number): number {
  const value = Number(text ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 1_000) throw new CliError(`--count ${text ?? ''}: give a whole number from 1 to 1000`, EXIT.usage);
  return value;
}

/** `horae preview <spec>`: the next fire times of a trigger, touching no store. */
export function previewSpec(scheduler: Scheduler, spec: string, options: { timezone?: string; count?: string; from?: string }, out: Output): void {
  const from = instant(options.from, Date.now(), '--from');
  // Created at `from`: an interval counts from when it is created.
  const trigger = scheduler.triggers.create(parseTriggerSpec(spec, options.timezone), { timezone: options.timezone ?? scheduler.timezone, now: from });
  const times = scheduler.previewFireTimes(trigger, { count: count(options.count, 10), from });
  if (out.json) return out.data({ trigger: trigger.toJSON(), description: trigger.describe(), nextFireTimes: times });
  const zone = typeof trigger.toJSON().timezone === 'string' ? (trigger.toJSON().timezone as string) : scheduler.timezone;
  out.line(colour.bold(trigger.describe()));
  out.line(times.length === 0 ? colour.dim('  no fire times') : times.map((time) => `  ${when(time, zone)}`).join('\n'));
}

/** `horae preview --task <id>`: a task's next fire times. */
export async function previewTask(scheduler: Scheduler, id: string, options: { storeAlias?: string; count?: string }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  const times = await scheduler.getNextFireTimes(id, { count: count(options.count, 10), store: info.store });
  if (out.json) return out.data({ task: info.id, description: info.triggerDescription, nextFireTimes: times });
  out.line(colour.bold(`${info.id}: ${info.triggerDescription}`));
  out.line(times.length === 0 ? colour.dim('  no fire times (paused or finished)') : times.map((time) => `  ${when(time, zoneOf(info, scheduler))}`).join('\n'));
}

/** The most fires a timeline lists: past that, a narrower window says more. */
const MAX_FIRES = 50_000;

function instant(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const relative = /^\+(\d+)([hd])$/.exec(text);
  if (relative !== null) return Date.now() + Number(relative[1]) * (relative[2] === 'h' ? 3_600_000 : 86_400_000);
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new CliError(`${flag} ${text}: give an ISO time (2026-12-24T00:00:00Z) or +N h / +N d from now (+12h)`, EXIT.usage);
  return time;
}

/** `horae timeline`: every fire of every task between two times, in time order. */
export async function timeline(scheduler: Scheduler, options: { from?: string; to?: string; storeAlias?: string }, out: Output): Promise<void> {
  const from = instant(options.from, Date.now(), '--from');
  const to = instant(options.to, from + 86_400_000, '--to');
  if (to <= from) throw new CliError('--to must be after --from', EXIT.usage);
  const infos = await scheduler.getTaskInfos(options.storeAlias === undefined ? {} : { store: options.storeAlias });
  const fires: { time: Date; id: string; store: string; zone: string; trigger: string }[] = [];
  let truncated = false;
  for (const info of infos) {
    if (info.nextRunTime === null || info.nextRunTime.getTime() > to) continue;
    // From the task's next run time on, a thousand at a time, until past the window.
    let batch = await scheduler.getNextFireTimes(info.id, { count: 1_000, store: info.store });
    for (;;) {
      for (const time of batch) {
        if (time.getTime() > to) break;
        if (time.getTime() >= from) fires.push({ time, id: info.id, store: info.store, zone: zoneOf(info, scheduler), trigger: info.triggerDescription });
      }
      const last = batch.at(-1);
      if (batch.length < 1_000 || last === undefined || last.getTime() > to) break;
      if (fires.length >= MAX_FIRES) {
        truncated = true;
        break;
      }
      batch = scheduler.previewFireTimes(info.triggerOptions, { count: 1_000, from: last.getTime() + 1 });
    }
  }
  fires.sort((a, b) => a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : 1));
  if (truncated) throw new CliError(`more than ${MAX_FIRES} fires in that window: narrow it (--to), or pick a store (--in)`);
  if (out.json) return out.data({ from: new Date(from), to: new Date(to), fires: fires.map(({ time, id, store }) => ({ time, taskId: id, store })) });
  if (fires.length === 0) return out.line(colour.dim('no fires in that window'));
  out.line(table(['TIME', 'TASK', 'TRIGGER', 'STORE'], fires.map((fire) => [when(fire.time, fire.zone), fire.id, fire.trigger, fire.store])));
}

/** `horae reschedule <id> <trigger>`: a new trigger, or with `--dry-run` the old and new next fire times. */
export async function reschedule(scheduler: Scheduler, id: string, spec: string, options: { storeAlias?: string; timezone?: string; dryRun?: boolean }, out: Output): Promise<void> {
  const info = await infoOf(scheduler, id, options.storeAlias);
  // A new trigger that names no zone keeps the task's.
  const timezone = options.timezone ?? zoneOf(info, scheduler);
  const trigger = scheduler.triggers.create(parseTriggerSpec(spec, timezone), { timezone, now: Date.now(), taskId: id });
  const before = await scheduler.getNextFireTimes(id, { count: 5, store: info.store });
  const after = options.dryRun === true ? scheduler.previewFireTimes(trigger, { count: 5 }) : (await scheduler.rescheduleTask(id, trigger, { store: info.store }), await scheduler.getNextFireTimes(id, { count: 5, store: info.store }));
  if (out.json) return out.data({ task: id, dryRun: options.dryRun === true, before: { description: info.triggerDescription, nextFireTimes: before }, after: { description: trigger.describe(), nextFireTimes: after } });
  const zone = zoneOf(info, scheduler);
  out.line(options.dryRun === true ? colour.yellow('dry run: nothing was changed') : colour.green(`rescheduled ${id}`));
  const rows: string[][] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) rows.push([before[i] === undefined ? '' : when(before[i]!, zone), after[i] === undefined ? '' : when(after[i]!, zone)]);
  out.line(table([`NOW: ${info.triggerDescription}`, `NEW: ${trigger.describe()}`], rows));
}
