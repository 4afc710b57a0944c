import { MemoryStore, Scheduler } from '@horae/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterFixture, FetchHandler, ServedApp } from './adapter-fixture.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const BASE = '/fetch';
const FAR = Date.parse('2099-01-01T00:00:00Z');

/** The options of `@horae/dashboard`'s `dashboard()` this suite uses (testkit does not depend on it). */
export interface DashboardContractOptions {
  basePath?: string;
  authorize?: (request: Request, action: string, context: { clientAddress: string | undefined }) => boolean | { identity: string } | Promise<boolean | { identity: string }>;
  readOnly?: boolean;
  onAudit?: (entry: { action: string; taskId: string; identity: string | null; outcome: string; error?: { code: string } }) => void;
}

/** `dashboard(scheduler, options)`, as the adapter's tests import it. */
export type MakeDashboard = (scheduler: Scheduler, options: DashboardContractOptions) => { fetch: FetchHandler };

interface Answer {
  status: number;
  headers: Headers;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each test reads the fields it checks
  text: string;
}

/**
 * The dashboard's API through an adapter's Fetch mount, over real HTTP: what it lists and does,
 * its errors, and its refusals (no `authorize`, `readOnly`, another origin, a refused action).
 * The fixture's contract app mounts the handler at `/fetch` and listens on 127.0.0.1.
 */
export function dashboardConformance(fixture: AdapterFixture, makeDashboard: MakeDashboard): void {
  describe(`${fixture.name}: the dashboard mounted`, () => {
    const open: ServedApp[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((app) => app.lifecycle.close()));
    });

    /** A scheduler with a few tasks (one named like an XSS attempt) and the dashboard mounted. */
    const served = async (options: DashboardContractOptions = { authorize: () => ({ identity: 'ops@example.com' }) }) => {
      const store = new MemoryStore();
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, stores: { default: store, archive: new MemoryStore() } });
      scheduler.define('report', (kind: string) => `report ${kind}`);
      scheduler.define('fail', () => {
        throw new Error('the disk is full');
      });
      await scheduler.addTask({ id: 'nightly', name: 'Nightly report', handler: 'report', args: 'daily', trigger: { type: 'cron', expression: '0 3 * * *' } });
      await scheduler.addTask({ id: 'xss', name: '<img src=x onerror=alert(1)>', handler: 'report', args: 'x', trigger: { type: 'interval', hours: 1 } });
      await scheduler.addTask({ id: 'broken', handler: 'fail', trigger: { type: 'date', runAt: FAR } });
      await scheduler.addTask({ id: 'old', handler: 'report', args: 'old', store: 'archive', trigger: { type: 'interval', days: 1 }, nextRunTime: null });
      const app = await fixture.serve({ scheduler, lifecycle: {}, fetchHandler: makeDashboard(scheduler, { basePath: BASE, ...options }).fetch });
      open.push(app);
      await app.lifecycle.started;
      const call = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
        const response = await fetch(`http://127.0.0.1:${app.port}${BASE}${path}`, {
          method,
          redirect: 'manual',
          headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });
        const text = await response.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: response.status, headers: response.headers, json, text };
      };
      return { scheduler, store, app, call };
    };

    it('lists tasks filtered, searched, sorted and paged, with counts by state and each last run', async () => {
      const { call } = await served();
      const all = await call('GET', '/api/tasks');
      expect(all.status).toBe(200);
      expect(all.json.tasks.map((task: { id: string }) => task.id)).toEqual(['xss', 'nightly', 'broken', 'old']);
      expect(all.json).toMatchObject({ total: 4, counts: { scheduled: 3, paused: 1, pending: 0, running: 0 }, nextCursor: null });
      // Names go out as data, exactly as given: escaping is the page's job.
      expect(all.json.tasks[0]).toMatchObject({ name: '<img src=x onerror=alert(1)>', trigger: 'interval', state: 'scheduled', lastRun: null });
      expect(all.headers.get('cache-control')).toBe('no-store');
      const searched = await call('GET', '/api/tasks?q=NIGHTLY');
      expect(searched.json.tasks.map((task: { id: string }) => task.id)).toEqual(['nightly']);
      const filtered = await call('GET', '/api/tasks?state=paused&store=archive');
      expect(filtered.json.tasks.map((task: { id: string }) => task.id)).toEqual(['old']);
      const byHandler = await call('GET', '/api/tasks?handler=fail&trigger=date');
      expect(byHandler.json.tasks.map((task: { id: string }) => task.id)).toEqual(['broken']);
      const first = await call('GET', '/api/tasks?sort=id&order=desc&limit=3');
      expect(first.json.tasks.map((task: { id: string }) => task.id)).toEqual(['xss', 'old', 'nightly']);
      const second = await call('GET', `/api/tasks?sort=id&order=desc&limit=3&cursor=${encodeURIComponent(first.json.nextCursor)}`);
      expect(second.json.tasks.map((task: { id: string }) => task.id)).toEqual(['broken']);
      expect(second.json.nextCursor).toBeNull();
    });

    it('shows one task with its next 10 fire times and arguments, and 404s what is not there', async () => {
      const { call } = await served();
      const one = await call('GET', '/api/tasks/nightly');
      expect(one.status).toBe(200);
      expect(one.json.task).toMatchObject({ id: 'nightly', triggerDescription: "cron '0 3 * * *' (UTC)", store: 'default' });
      expect(one.json.args).toBe('daily');
      expect(one.json.nextFireTimes).toHaveLength(10);
      expect(one.json.nextFireTimes.every((time: string) => time.endsWith('T03:00:00.000Z'))).toBe(true);
      const missing = await call('GET', '/api/tasks/nope');
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe('TASK_NOT_FOUND');
      const elsewhere = await call('GET', '/api/tasks/nightly?store=elsewhere');
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.json.error.code).toBe('UNKNOWN_STORE');
    });

    it('runs a task now and shows the run, succeeded or failed with its error, in the history', async () => {
      const { call } = await served();
      expect((await call('POST', '/api/tasks/nightly/run')).status).toBe(200);
      const ran = await call('POST', '/api/tasks/broken/run');
      expect(ran.status).toBe(200);
      // Runs are written by a batch; the history is read after it lands.
      const history = async (id: string) => (await call('GET', `/api/tasks/${id}/runs`)).json.runs as { outcome: string; result?: string; error?: { message: string } }[];
      await expect.poll(async () => (await history('nightly')).length).toBe(1);
      expect((await history('nightly'))[0]).toMatchObject({ outcome: 'succeeded', result: '"report daily"' });
      await expect.poll(async () => (await history('broken')).length).toBe(1);
      expect((await history('broken'))[0]).toMatchObject({ outcome: 'failed', error: { message: 'the disk is full' } });
      const listed = await call('GET', '/api/tasks?handler=fail');
      expect(listed.json.tasks[0].lastRun).toMatchObject({ outcome: 'failed' });
      const overview = await call('GET', '/api/overview');
      expect(overview.json).toMatchObject({ counts: { total: 4, scheduled: 3, paused: 1 }, quarantined: 0, instances: 1 });
      expect(overview.json.failures24h).toBeGreaterThanOrEqual(0);
    });

    it('pauses and resumes a task', async () => {
      const { call, scheduler } = await served();
      const paused = await call('POST', '/api/tasks/nightly/pause');
      expect(paused.status).toBe(200);
      expect(paused.json.task).toMatchObject({ id: 'nightly', state: 'paused', nextRunTime: null });
      expect((await scheduler.getTaskInfo('nightly'))?.state).toBe('paused');
      const resumed = await call('POST', '/api/tasks/nightly/resume');
      expect(resumed.json.task.state).toBe('scheduled');
      expect((await scheduler.getTaskInfo('nightly'))?.nextRunTime).not.toBeNull();
    });

    it('previews a new trigger without saving it, then reschedules; an invalid trigger is a 422', async () => {
      const { call, scheduler } = await served();
      const trigger = { type: 'cron', expression: '30 6 * * 1', timezone: 'Europe/Berlin' };
      const preview = await call('POST', '/api/tasks/nightly/reschedule/preview', { body: { trigger } });
      expect(preview.status).toBe(200);
      expect(preview.json.description).toBe("cron '30 6 * * 1' (Europe/Berlin)");
      expect(preview.json.nextFireTimes).toHaveLength(10);
      expect((await scheduler.getTaskInfo('nightly'))?.triggerDescription).toBe("cron '0 3 * * *' (UTC)");
      const saved = await call('POST', '/api/tasks/nightly/reschedule', { body: { trigger } });
      expect(saved.status).toBe(200);
      expect(saved.json.nextFireTimes).toEqual(preview.json.nextFireTimes);
      expect((await scheduler.getTaskInfo('nightly'))?.triggerDescription).toBe("cron '30 6 * * 1' (Europe/Berlin)");
      const invalid = await call('POST', '/api/tasks/nightly/reschedule', { body: { trigger: { type: 'cron', expression: '0 25 * * *' } } });
      expect(invalid.status).toBe(422);
      expect(invalid.json.error).toMatchObject({ code: 'INVALID_TRIGGER' });
      expect(invalid.json.error.message).toContain('0 25 * * *');
    });

    it('refuses a request that does not fit, naming the parameter and the nearest known one', async () => {
      const { call } = await served();
      const misspelt = await call('GET', '/api/tasks?sortBy=id');
      expect(misspelt.status).toBe(400);
      expect(misspelt.json.error.code).toBe('INVALID_OPTION');
      expect(misspelt.json.error.message).toMatch(/"sortBy".*did you mean "sort"/);
      const badState = await call('GET', '/api/tasks?state=sleeping');
      expect(badState.status).toBe(400);
      expect(badState.json.error.message).toMatch(/"state"/);
      const extra = await call('POST', '/api/tasks/nightly/reschedule', { body: { trigger: { type: 'cron', expression: '* * * * *' }, triger: 1 } });
      expect(extra.status).toBe(400);
      expect(extra.json.error.message).toMatch(/"triger".*did you mean "trigger"/);
      const noBody = await call('POST', '/api/tasks/nightly/reschedule');
      expect(noBody.status).toBe(400);
      const unknown = await call('GET', '/api/nothing-here');
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('NOT_FOUND');
    });

    it('deletes a task; lists, restores and discards quarantined records; lists the instances', async () => {
      const { call, scheduler, store } = await served();
      expect((await call('DELETE', '/api/tasks/broken')).status).toBe(204);
      expect(await scheduler.getTask('broken')).toBeNull();
      expect((await call('DELETE', '/api/tasks/broken')).status).toBe(404);
      // Two records set aside by the store itself, as it does with one it cannot read.
      await store.quarantineTask('nightly', 'a test reason');
      await store.quarantineTask('xss', 'another reason');
      const held = await call('GET', '/api/quarantine');
      expect(held.json.tasks.map((task: { id: string }) => task.id).sort()).toEqual(['nightly', 'xss']);
      expect(held.json.tasks.find((task: { id: string }) => task.id === 'nightly')).toMatchObject({ store: 'default', reason: 'a test reason' });
      expect(held.json.tasks[0]).not.toHaveProperty('payload');
      const restored = await call('POST', '/api/quarantine/nightly/restore');
      expect(restored.status).toBe(200);
      expect(restored.json.task).toMatchObject({ id: 'nightly' });
      expect((await call('DELETE', '/api/quarantine/xss')).status).toBe(204);
      expect((await call('GET', '/api/quarantine')).json.tasks).toEqual([]);
      const instances = await call('GET', '/api/instances');
      expect(instances.json.instances).toEqual([expect.objectContaining({ instanceId: scheduler.instanceId, self: true, handlers: ['fail', 'report'] })]);
    });

    it('streams scheduler events as server-sent events', async () => {
      const { app, scheduler } = await served();
      const controller = new AbortController();
      const response = await fetch(`http://127.0.0.1:${app.port}${BASE}/api/events`, { signal: controller.signal });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = '';
      const until = async (text: string) => {
        while (!seen.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended before "${text}"; it said: ${seen}`);
          seen += value;
        }
      };
      await until('event: ready');
      await scheduler.pauseTask('nightly');
      await until('event: task:modified');
      expect(seen).toMatch(/data: \{"type":"task:modified","at":"[^"]+","taskId":"nightly","store":"default"\}/);
      controller.abort();
    });

    it('serves the web UI with a strict Content-Security-Policy, and redirects the bare base path', async () => {
      const { call, app } = await served();
      const page = await call('GET', '/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain('unsafe-inline');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const script = /<script[^>]+src="([^"]+)"/.exec(page.text)?.[1];
      expect(script).toBeDefined();
      expect((await call('GET', `/${script!}`)).headers.get('content-type')).toContain('javascript');
      const bare = await fetch(`http://127.0.0.1:${app.port}${BASE}`, { redirect: 'manual' });
      expect(bare.status).toBe(308);
      expect(new URL(bare.headers.get('location')!, `http://x${BASE}`).pathname).toBe(`${BASE}/`);
    });

    it('publishes an OpenAPI 3.1 document that accepts and refuses what the routes do', async () => {
      const { call } = await served();
      const doc = await call('GET', '/api/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.json.openapi).toBe('3.1.0');
      const list = doc.json.paths[`${BASE}/api/tasks`].get;
      const sort = list.parameters.find((parameter: { name: string }) => parameter.name === 'sort');
      // Every value the document allows is accepted, and one it does not is refused.
      for (const value of sort.schema.enum as string[]) expect((await call('GET', `/api/tasks?sort=${value}`)).status).toBe(200);
      expect((await call('GET', '/api/tasks?sort=colour')).status).toBe(400);
      expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining([`${BASE}/api/tasks/{id}/run`, `${BASE}/api/quarantine`, `${BASE}/api/instances`, `${BASE}/api/events`]));
    });

    it('without authorize: reads from loopback, and refuses every change with how to allow it', async () => {
      const { call, scheduler } = await served({});
      expect((await call('GET', '/api/tasks')).status).toBe(200);
      expect((await call('GET', '/api/session')).json).toEqual({ readOnly: false, canMutate: false, identity: null });
      for (const [method, path] of [
        ['POST', '/api/tasks/nightly/run'],
        ['POST', '/api/tasks/nightly/pause'],
        ['DELETE', '/api/tasks/nightly'],
        ['DELETE', '/api/quarantine/nightly'],
      ] as const) {
        const refused = await call(method, path);
        expect(refused.status).toBe(403);
        expect(refused.json.error.code).toBe('FORBIDDEN');
        expect(refused.json.error.message).toContain('authorize');
      }
      expect((await scheduler.getTaskInfo('nightly'))?.state).toBe('scheduled');
      // A proxy on this machine connects from loopback for anyone: a forwarded request is refused.
      for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
        const proxied = await call('GET', '/api/tasks', { headers: { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' } });
        expect(proxied.status).toBe(403);
        expect(proxied.json.error.message).toContain(`a ${header} header`);
      }
    });

    it('readOnly refuses every change whatever authorize says', async () => {
      const { call, scheduler } = await served({ authorize: () => true, readOnly: true });
      expect((await call('GET', '/api/overview')).status).toBe(200);
      const refused = await call('POST', '/api/tasks/nightly/pause');
      expect(refused.status).toBe(403);
      expect(refused.json.error.message).toContain('readOnly');
      expect((await call('GET', '/api/session')).json).toMatchObject({ readOnly: true, canMutate: false });
      expect((await scheduler.getTaskInfo('nightly'))?.state).toBe('scheduled');
    });

    it('asks authorize for each action and audits every change with the identity it returned', async () => {
      const asked: string[] = [];
      const audit: Parameters<NonNullable<DashboardContractOptions['onAudit']>>[0][] = [];
      const addresses = new Set<string | undefined>();
      const { call } = await served({
        authorize: (request, action, { clientAddress }) => {
          asked.push(action);
          addresses.add(clientAddress);
          if (request.headers.get('x-user') !== 'ada') return false;
          return action === 'delete' ? false : { identity: 'ada' };
        },
        onAudit: (entry) => {
          audit.push(entry);
          throw new Error('an audit sink that fails must not fail the request');
        },
      });
      expect((await call('GET', '/api/tasks')).status).toBe(403);
      const as = { headers: { 'x-user': 'ada' } };
      expect((await call('GET', '/api/tasks', as)).status).toBe(200);
      expect((await call('POST', '/api/tasks/nightly/pause', as)).status).toBe(200);
      expect((await call('POST', '/api/tasks/gone/pause', as)).status).toBe(404);
      expect((await call('DELETE', '/api/tasks/nightly', as)).status).toBe(403);
      expect(asked).toEqual(['read', 'read', 'pause', 'pause', 'delete']);
      // The mount hands the socket's address along: the contract app listens on 127.0.0.1.
      expect([...addresses]).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)]);
      expect(audit).toEqual([
        expect.objectContaining({ action: 'pause', taskId: 'nightly', identity: 'ada', outcome: 'succeeded' }),
        expect.objectContaining({ action: 'pause', taskId: 'gone', identity: 'ada', outcome: 'failed', error: expect.objectContaining({ code: 'TASK_NOT_FOUND' }) }),
      ]);
    });

    it('refuses changes from another origin (CSRF), and takes them from its own', async () => {
      const { call, app } = await served({ authorize: () => true });
      const foreign = await call('POST', '/api/tasks/nightly/pause', { headers: { origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect(foreign.json.error.message).toContain('https://evil.example');
      const crossSite = await call('POST', '/api/tasks/nightly/pause', { headers: { 'sec-fetch-site': 'cross-site' } });
      expect(crossSite.status).toBe(403);
      const own = await call('POST', '/api/tasks/nightly/pause', { headers: { origin: `http://127.0.0.1:${app.port}`, 'sec-fetch-site': 'same-origin' } });
      expect(own.status).toBe(200);
    });
  });
}
