import type { Scheduler, SchedulerEvent, SchedulerEventType } from '@horae/core';
import { streamSSE } from 'hono/streaming';
import type { DashboardApp } from './app.js';
import * as routes from './routes.js';
import { runJSON } from './serialize.js';

/** The events pages act on: what changes a task, its runs or the list. */
const FORWARDED = new Set<SchedulerEventType>([
  'task:added',
  'task:modified',
  'task:removed',
  'task:submitted',
  'task:executed',
  'task:error',
  'task:missed',
  'task:max-instances',
  'task:interrupted',
  'task:quarantined',
  'tasks:removed-all',
  'run:recorded',
  'scheduler:paused',
  'scheduler:resumed',
]);

/**
 * What an event says on the stream: its type, time, task and store, and for `run:recorded` the run
 * as the runs endpoint shows it (its error's message and stack, the head of its result). Never a
 * task's arguments, nor the raw result or error of the other events.
 */
function eventJSON(event: SchedulerEvent): string {
  const base: Record<string, unknown> = { type: event.type, at: event.at.toISOString() };
  if ('taskId' in event) base.taskId = event.taskId;
  if ('store' in event && typeof event.store === 'string') base.store = event.store;
  if (event.type === 'run:recorded') base.run = runJSON(event.run);
  return JSON.stringify(base);
}

/**
 * The event stream: this process's scheduler events as they happen, and `refresh` every
 * `refreshInterval` so that pages show what other replicas did (their events do not cross
 * processes; the stores do).
 */
export function eventEndpoints(app: DashboardApp, scheduler: Scheduler): void {
  app.openapi(routes.events, (c) =>
    streamSSE(c, async (stream) => {
      const send = (event: string, data: string): void => {
        // A write after the client left fails; the abort below cleans up.
        stream.writeSSE({ event, data }).catch(() => undefined);
      };
      const off = scheduler.on('*', (event) => {
        if (FORWARDED.has(event.type)) send(event.type, eventJSON(event));
      });
      const timer = setInterval(() => send('refresh', '{}'), c.var.options.refreshInterval);
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      send('ready', JSON.stringify({ instanceId: scheduler.instanceId }));
      try {
        await closed;
      } finally {
        off();
        clearInterval(timer);
      }
    }),
  );
}
