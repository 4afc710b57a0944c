import { isHoraeError, Scheduler, type SchedulerEvent, type SchedulerOptions, type TaskStore } from '@horae/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreBackend, StoreFixture } from './fixture.js';

const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fire: which task ran, for which scheduled time, on which instance. */
interface Fire {
  taskId: string;
  scheduledAt: number;
  instance: string;
}

/**
 * What the scheduler guarantees on top of a store: idempotent registration, records and
 * encryption, quarantine, and every fire run exactly once by several instances sharing the store.
 */
export function schedulerContractSuite(fixture: StoreFixture): void {
  describe(`${fixture.name}: schedulers sharing the store`, () => {
    let backend: StoreBackend;
    const schedulers: Scheduler[] = [];

    /** A scheduler on the backend's store, with a `record` handler and a log of its events. */
    const instance = (name: string, options: SchedulerOptions & { store?: TaskStore } = {}) => {
      const { store, ...rest } = options;
      const scheduler = new Scheduler({
        timezone: 'UTC',
        logger: silent,
        leaseDuration: 1_000,
        instanceId: name,
        stores: { default: store ?? backend.open() },
        ...rest,
      });
      const events: SchedulerEvent[] = [];
      scheduler.on('*', (event) => void events.push(event));
      schedulers.push(scheduler);
      return { scheduler, events };
    };

    beforeEach(async () => {
      backend = await fixture.backend();
    });
    afterEach(async () => {
      for (const scheduler of schedulers.splice(0)) await scheduler.shutdown({ wait: false });
      await backend.cleanup();
    });

    // Several schedulers of one process share one store instance when the store is not
    // persistent (that is what "shared" means for it); persistent stores get one instance each.
    const sharedStore = () => (fixture.persistent ? undefined : backend.open());

    it('registers a task declared by many instances at once exactly once, and keeps its schedule on redeploy', async () => {
      const store = sharedStore();
      const replicas = Array.from({ length: 5 }, (_, index) => instance(`replica-${index}`, store ? { store } : {}).scheduler);
      for (const scheduler of replicas) scheduler.define('report', quiet);
      await Promise.all(replicas.map((scheduler) => scheduler.start({ paused: true })));
      const declare = (scheduler: Scheduler) =>
        scheduler.addTask({ id: 'nightly', handler: 'report', args: { to: 'ops' }, trigger: { type: 'interval', hours: 1 }, replaceExisting: true });
      await Promise.all(replicas.map(declare));
      const tasks = await replicas[0]!.getTasks();
      expect(tasks.map((task) => task.id)).toEqual(['nightly']);
      const firstRun = tasks[0]!.nextRunTime;
      await sleep(50);
      await Promise.all(replicas.map(declare)); // every replica restarts and declares again
      expect((await replicas[3]!.getTask('nightly'))?.nextRunTime).toEqual(firstRun);
    });

    it('runs a task only where its handler is defined; elsewhere it is quarantined, never run, and restorable', async () => {
      const store = sharedStore();
      const owner = instance('owner', store ? { store } : {}).scheduler;
      owner.define('special', quiet);
      await owner.start({ paused: true });
      await owner.addTask({ id: 'special', handler: 'special', trigger: { type: 'date', runAt: Date.now() + 200 }, misfireGraceTime: null });
      const { scheduler: stranger, events } = instance('stranger', store ? { store } : {});
      let strangerRuns = 0;
      stranger.define('other', () => void strangerRuns++);
      await stranger.start();
      await vi.waitFor(() => expect(events.some((event) => event.type === 'task:quarantined')).toBe(true), { timeout: 5_000, interval: 20 });
      expect(strangerRuns).toBe(0);
      const [held] = await stranger.getQuarantinedTasks();
      expect(held).toMatchObject({ id: 'special', store: 'default', reason: expect.stringContaining('"special" is not defined in this process') });
      expect(await owner.getTask('special')).toBeNull();
      // once a process that knows the handler restores it (and the stranger is gone), it runs
      await stranger.shutdown();
      let ran = 0;
      owner.define('special', () => void ran++);
      expect((await owner.restoreQuarantinedTask('special'))?.id).toBe('special');
      expect(await owner.getQuarantinedTasks()).toEqual([]);
      owner.resume();
      await vi.waitFor(() => expect(ran).toBe(1), { timeout: 5_000, interval: 20 });
    });

    it('holds maxInstances across instances', async () => {
      const store = sharedStore();
      let running = 0;
      let peak = 0;
      let runs = 0;
      const slow = async () => {
        running++;
        runs++;
        peak = Math.max(peak, running);
        await sleep(700);
        running--;
      };
      const replicas = [0, 1, 2].map((index) => instance(`replica-${index}`, store ? { store } : {}).scheduler);
      for (const scheduler of replicas) scheduler.define('slow', slow);
      await replicas[0]!.addTask({ id: 'slow', handler: 'slow', maxInstances: 1, coalesce: false, trigger: { type: 'interval', milliseconds: 250 } });
      await Promise.all(replicas.map((scheduler) => scheduler.start()));
      await sleep(2_000);
      expect(runs).toBeGreaterThanOrEqual(2);
      expect(peak).toBe(1);
    });

    it(`runs every fire exactly once with three instances (real time, ${(fixture.fireCountDuration ?? 20_000) / 1000} s)`, async () => {
      const store = sharedStore();
      const fires: Fire[] = [];
      const replicas = ['a', 'b', 'c'].map((name) => {
        const { scheduler } = instance(name, store ? { store } : {});
        scheduler.define('tick', (_args: unknown, ctx) => void fires.push({ taskId: ctx.taskId, scheduledAt: ctx.scheduledAt.getTime(), instance: name }));
        return scheduler;
      });
      const startAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
      const duration = fixture.fireCountDuration ?? 20_000;
      await Promise.all(replicas.map((scheduler) => scheduler.start()));
      // every replica declares the same tasks at boot
      await Promise.all(
        replicas.flatMap((scheduler) =>
          ['t1', 't2', 't3', 't4'].map((id) =>
            scheduler.addTask({ id, handler: 'tick', trigger: { type: 'interval', seconds: 1, startAt }, misfireGraceTime: null, coalesce: false, replaceExisting: true }),
          ),
        ),
      );
      await sleep(startAt - Date.now() + duration);
      const end = Date.now();
      await Promise.all(replicas.map((scheduler) => scheduler.shutdown()));
      const expected = Math.floor((end - 1_000 - startAt) / 1_000); // fire times safely before the end
      for (const id of ['t1', 't2', 't3', 't4']) {
        const times = fires.filter((fire) => fire.taskId === id).map((fire) => fire.scheduledAt);
        expect(new Set(times).size, `task ${id} ran a fire time twice`).toBe(times.length);
        for (let k = 0; k < expected; k++) expect(times, `task ${id} skipped ${new Date(startAt + k * 1_000).toISOString()}`).toContain(startAt + k * 1_000);
      }
      // the work was shared, not done by one instance alone
      expect(new Set(fires.map((fire) => fire.instance)).size).toBeGreaterThan(1);
    });

    it('quarantines a record that cannot be planned, and every other task keeps firing', async () => {
      const store = backend.open();
      const { scheduler, events } = instance('planner', { store });
      const fired: number[] = [];
      scheduler.define('tick', () => void fired.push(Date.now()));
      // A trigger that cannot compute its next time: never to be read as "finished" (deleted).
      scheduler.triggers.register('broken', () => ({
        type: 'broken',
        getNextFireTime: () => {
          throw new Error('no next time can be computed');
        },
        toJSON: () => ({ type: 'broken' }),
        describe: () => 'broken',
      }));
      await scheduler.start({ paused: true });
      await scheduler.addTask({ id: 'healthy', handler: 'tick', trigger: { type: 'interval', milliseconds: 100 } });
      await scheduler.addTask({ id: 'broken', handler: 'tick', trigger: { type: 'broken' }, nextRunTime: Date.now() });
      // A row whose next run time no Date can hold, as an older version or a hand edit could leave.
      await scheduler.addTask({ id: 'far', handler: 'tick', trigger: { type: 'interval', hours: 1 } });
      const far = (await store.lookupTask('far'))!;
      await store.deleteTask('far');
      const written = await store.addTask({ ...far, nextRunTime: -8.64e15 - 1 }).then(
        () => true,
        () => false, // a store may refuse such a row outright, which keeps it out as well
      );
      scheduler.resume();
      const expected = written ? ['broken', 'far'] : ['broken'];
      await vi.waitFor(async () => expect((await scheduler.getQuarantinedTasks()).map((task) => task.id).sort()).toEqual(expected), { timeout: 5_000, interval: 20 });
      const held = await scheduler.getQuarantinedTasks();
      expect(held.find((task) => task.id === 'broken')!.reason).toContain('no next time can be computed');
      if (written) expect(held.find((task) => task.id === 'far')!.reason).toContain('is not a time between');
      const before = fired.length;
      await vi.waitFor(() => expect(fired.length).toBeGreaterThanOrEqual(before + 3), { timeout: 5_000, interval: 20 });
      expect((await scheduler.getTaskInfos()).map((info) => info.id)).toEqual(['healthy']);
      expect(events.filter((event) => event.type === 'task:removed')).toEqual([]);
    });

    if (!fixture.persistent) return;

    it('reports the runs of an instance that stopped renewing their leases as interrupted, once', async () => {
      const watchers = [instance('w1'), instance('w2')];
      for (const { scheduler } of watchers) await scheduler.start();
      // A run that a dead instance had started: its lease is never renewed.
      const ghost = backend.open();
      await ghost.start({ alias: 'default', instanceId: 'ghost', logger: silent, wake: quiet, quarantined: quiet });
      expect(await ghost.acquireRunLease({ taskId: 'report', runId: 'ghost-run', owner: 'ghost', scheduledAt: 1_234 }, 1, 200)).toBe(true);
      const interrupted = () => watchers.flatMap(({ events }) => events).filter((event) => event.type === 'task:interrupted');
      await vi.waitFor(() => expect(interrupted()).toHaveLength(1), { timeout: 5_000, interval: 20 });
      await sleep(500);
      expect(interrupted()).toHaveLength(1);
      expect(interrupted()[0]).toMatchObject({ taskId: 'report', owner: 'ghost', scheduledAt: new Date(1_234) });
      await ghost.shutdown();
    });

    it('keeps records as versioned JSON naming the handler, never code, and triggers read back exactly', async () => {
      const writer = instance('writer').scheduler;
      writer.define('report', quiet);
      await writer.start({ paused: true });
      const trigger = { type: 'cron', expression: '15 10 * * 1-5', timezone: 'Europe/Berlin', jitter: 250 } as const;
      await writer.addTask({ id: 'weekday-report', handler: 'report', args: { to: ['ops'], depth: 2 }, trigger, maxInstances: 2 });
      const raw = await backend.open().lookupTask('weekday-report');
      const document = JSON.parse(raw!.payload as string);
      expect(document).toMatchObject({ v: 1, id: 'weekday-report', handler: 'report', args: { to: ['ops'], depth: 2 }, maxInstances: 2 });
      expect(document.trigger).toEqual({ type: 'cron', expression: '15 10 * * 1-5', timezone: 'Europe/Berlin', jitter: 250 });
      const reader = instance('reader').scheduler;
      reader.define('report', quiet);
      await reader.start({ paused: true });
      const [original, copy] = [await writer.getTask('weekday-report'), await reader.getTask('weekday-report')];
      const times = (task: typeof original) => {
        const out: number[] = [];
        let previous: number | null = null;
        for (let i = 0; i < 20; i++) out.push((previous = task!.trigger.getNextFireTime(previous, Date.parse('2026-03-01T00:00:00Z'))!));
        return out;
      };
      expect(times(copy)).toEqual(times(original));
      expect(copy?.nextRunTime).toEqual(original?.nextRunTime);
    });

    it('encrypts records with a key, and refuses to read them without it or with another', async () => {
      const writer = instance('writer', { encryptionKey: 'correct horse battery staple' }).scheduler;
      writer.define('mail', quiet);
      await writer.start({ paused: true });
      await writer.addTask({ id: 'secret', handler: 'mail', args: { to: 'ceo@example.com' }, trigger: { type: 'interval', hours: 1 } });
      const raw = await backend.open().lookupTask('secret');
      expect(raw!.payload).not.toContain('ceo@example.com');
      expect(raw!.payload).not.toContain('mail');

      const friend = instance('friend', { encryptionKey: 'correct horse battery staple' }).scheduler;
      friend.define('mail', quiet);
      await friend.start({ paused: true });
      expect((await friend.getTask('secret'))?.args).toEqual({ to: 'ceo@example.com' });

      const { scheduler: keyless, events } = instance('keyless', { encryptionKey: null });
      await keyless.start({ paused: true });
      expect(await keyless.getTasks()).toEqual([]);
      const quarantined = events.find((event) => event.type === 'task:quarantined');
      expect(quarantined).toMatchObject({ taskId: 'secret', reason: expect.stringContaining('has no key') });
      expect(isHoraeError((quarantined as { error: unknown }).error, 'DECRYPTION_FAILED')).toBe(true);

      // restored with the right key, it is read again
      expect((await friend.restoreQuarantinedTask('secret'))?.args).toEqual({ to: 'ceo@example.com' });
      const { scheduler: wrongKey, events: wrongEvents } = instance('wrong', { encryptionKey: 'another key' });
      await wrongKey.start({ paused: true });
      expect(await wrongKey.getTask('secret')).toBeNull();
      expect(wrongEvents.find((event) => event.type === 'task:quarantined')).toMatchObject({ reason: expect.stringContaining('does not authenticate') });
    });

    it('refuses plain records when it has a key', async () => {
      const writer = instance('plain', { encryptionKey: null }).scheduler;
      writer.define('mail', quiet);
      await writer.start({ paused: true });
      await writer.addTask({ id: 'plain', handler: 'mail', trigger: { type: 'interval', hours: 1 } });
      const { scheduler: keyed, events } = instance('keyed', { encryptionKey: 'k' });
      await keyed.start({ paused: true });
      expect(await keyed.getTask('plain')).toBeNull();
      expect(events.find((event) => event.type === 'task:quarantined')).toMatchObject({ reason: expect.stringContaining('is not encrypted, but the scheduler has a key') });
    });

    it('refuses an earlier payload put back beside the current fields, and a next run time moved without the key', async () => {
      const key = 'correct horse battery staple';
      const writer = instance('writer', { encryptionKey: key }).scheduler;
      writer.define('pay', quiet);
      await writer.start({ paused: true });
      const hourly = { type: 'interval', hours: 1 } as const;
      await writer.addTask({ id: 'payout', handler: 'pay', args: { to: 'alice' }, trigger: hourly });
      await writer.addTask({ id: 'audit', handler: 'pay', args: { to: 'audit' }, trigger: hourly });
      await writer.addTask({ id: 'tick', handler: 'pay', args: { to: 'tick' }, trigger: { type: 'interval', milliseconds: 100 } });
      const raw = backend.open();
      await raw.start({ alias: 'default', instanceId: 'raw', logger: silent, wake: quiet, quarantined: quiet });
      const earlier = (await raw.lookupTask('payout'))!;
      await writer.updateTask('payout', { args: { to: 'bob' } });
      const current = (await raw.lookupTask('payout'))!;
      // The older payload (to alice) with the current revision and seal, made due now; and a
      // record left whole but for its next run time.
      await raw.updateTask({ ...current, payload: earlier.payload, nextRunTime: Date.now() });
      await raw.updateTask({ ...(await raw.lookupTask('audit'))!, nextRunTime: Date.now() });
      await raw.shutdown();

      const { scheduler: reader, events } = instance('reader', { encryptionKey: key });
      const ran: { to: string }[] = [];
      reader.define('pay', (args: { to: string }) => void ran.push(args));
      await reader.start();
      type Quarantined = Extract<SchedulerEvent, { type: 'task:quarantined' }>;
      const quarantined = () => events.filter((event): event is Quarantined => event.type === 'task:quarantined');
      await vi.waitFor(() => expect(quarantined().map((event) => event.taskId).sort()).toEqual(['audit', 'payout']), { timeout: 5_000, interval: 20 });
      for (const event of quarantined()) {
        expect(event.reason).toContain('its seal does not match');
        expect(isHoraeError(event.error, 'DECRYPTION_FAILED')).toBe(true);
      }
      // The untouched task keeps running: its seal is renewed with each release.
      await vi.waitFor(() => expect(ran.filter((args) => args.to === 'tick').length).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 20 });
      expect(ran.filter((args) => args.to !== 'tick')).toEqual([]);
      expect(quarantined()).toHaveLength(2);
    });

    it('quarantines a record that cannot be read instead of running or deleting it', async () => {
      const probe = await fixture.backend();
      const canCorrupt = probe.writeCorruptRecord !== undefined;
      await probe.cleanup();
      if (!canCorrupt) return;
      await backend.writeCorruptRecord!('mangled');
      const { scheduler, events } = instance('reader');
      scheduler.define('tick', quiet);
      await scheduler.start();
      await vi.waitFor(() => expect(events.some((event) => event.type === 'task:quarantined')).toBe(true), { timeout: 5_000, interval: 20 });
      expect(await scheduler.getTask('mangled')).toBeNull();
      const held = await scheduler.getQuarantinedTasks();
      expect(held.map((task) => task.id)).toEqual(['mangled']);
      expect(held[0]!.reason).toMatch(/cannot be read/);
      // still unreadable: back into the quarantine
      expect(await scheduler.restoreQuarantinedTask('mangled')).toBeNull();
      expect((await scheduler.getQuarantinedTasks()).map((task) => task.id)).toEqual(['mangled']);
      await scheduler.purgeQuarantinedTask('mangled');
      expect(await scheduler.getQuarantinedTasks()).toEqual([]);
    });
  });
}
