import { MemoryStore, Scheduler } from '@horae/core';
import { expect, it } from 'vitest';
import { dashboard } from '../src/index.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

it('addresses tasks whose ids hold slashes, spaces, query and fragment characters, percent signs and non-ASCII', async () => {
  const scheduler = new Scheduler({ logger: quiet, stores: { default: new MemoryStore() } });
  scheduler.define('work', () => undefined);
  await scheduler.start();
  const { fetch } = dashboard(scheduler, { basePath: '/horae', authorize: () => true });
  const ids = ['reports/daily', 'a b', 'what?now#1', '100%', 'größe-übersicht', 'x%2Fy'];
  for (const id of ids) await scheduler.addTask({ id, handler: 'work', trigger: { type: 'interval', hours: 1 } });
  for (const id of ids) {
    const one = await fetch(new Request(`http://localhost/horae/api/tasks/${encodeURIComponent(id)}`));
    expect(one.status, id).toBe(200);
    expect(((await one.json()) as { task: { id: string } }).task.id).toBe(id);
    const paused = await fetch(new Request(`http://localhost/horae/api/tasks/${encodeURIComponent(id)}/pause`, { method: 'POST' }));
    expect(paused.status, id).toBe(200);
    expect((await scheduler.getTaskInfo(id))?.state).toBe('paused');
  }
  await scheduler.shutdown();
});
