import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isHoraeError, Scheduler, type StoreContext, type StoredTask } from '@horae/core';
import { outageSuite, releaseOne, storeConformance, TcpProxy, type OutagePlace, type StoreBackend } from '@horae/testkit';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { inspectTables, PostgresStore, type PostgresStoreOptions } from './index.js';
import { claimStatements } from './claims.js';
import { LATEST_VERSION } from './migrations.js';
import { storeNames } from './names.js';

const databaseUrl = process.env.DATABASE_URL;
const SECOND = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;
const silent = { debug: quiet, info: quiet, warn: quiet, error: quiet };

if (databaseUrl === undefined || databaseUrl === '') {
  const how = 'run `scripts/services.sh up && source .services/env` at the repository root (it starts a throw-away PostgreSQL cluster from Debian\'s package), then run the tests again';
  if (process.env.CI === 'true') {
    describe('PostgresStore', () => {
      it('runs against a real PostgreSQL', () => {
        throw new Error(`DATABASE_URL not set: CI must run these tests against a real PostgreSQL; ${how}.`);
      });
    });
  } else {
    console.warn(`\n*** @horae/postgres: DATABASE_URL not set, so the PostgresStore tests are SKIPPED. To run them, ${how}. ***\n`);
    describe.skip('PostgresStore (skipped: DATABASE_URL not set)', () => {
      it('runs against a real PostgreSQL', quiet);
    });
  }
} else {
  postgresSuites(databaseUrl);
}

function postgresSuites(url: string): void {
  /** A plain pool for looking at rows and for what the stores never do. */
  const admin = new pg.Pool({ connectionString: url, max: 4 });
  afterAll(() => admin.end());

  /** The database's clock, epoch ms. */
  const serverClock = async (): Promise<number> => {
    const { rows } = await admin.query<{ now: number }>('SELECT floor(extract(epoch from clock_timestamp()) * 1000)::float8 AS now');
    return rows[0]!.now;
  };

  interface Place extends StoreBackend {
    schema: string;
  }
  const places = new WeakMap<object, Place>();

  const dropSchema = (schema: string) => admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);

  /** A fresh schema (the store creates it), dropped with everything in it at cleanup. */
  const backend = (options: Omit<PostgresStoreOptions, 'pool' | 'connectionString' | 'schema'> = {}): Place => {
    const schema = `t_${randomUUID().replaceAll('-', '')}`;
    const stores: PostgresStore[] = [];
    const place: Place = {
      schema,
      open: () => {
        const store = new PostgresStore({ connectionString: url, schema, pollInterval: 200, ...options });
        stores.push(store);
        return store;
      },
      // A row no reader can use: its payload is not the scheduler's record. Due now.
      writeCorruptRecord: async (id: string) => {
        const store = place.open() as PostgresStore;
        await store.lookupTask('-'); // the tables exist from here on
        await admin.query(`INSERT INTO ${store.tables.tasks} (id, next_run_time, due_at, revision, payload) VALUES ($1, 0, 0, 1, $2)`, [id, '\u0001{not json']);
      },
      cleanup: async () => {
        for (const store of stores.splice(0)) await store.shutdown();
        await dropSchema(schema);
      },
    };
    places.set(place, place);
    return place;
  };

  storeConformance({
    name: 'PostgresStore',
    persistent: true,
    backend: () => Promise.resolve(backend()),
    serverClock: () => serverClock(),
    processes: {
      storeModule: fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url)),
      config: (opened) => ({ connectionString: url, schema: places.get(opened)!.schema }),
      tasks: 50,
      runFor: 20_000,
    },
  });

  outageSuite<OutagePlace & { schema: string }>({
    name: 'PostgresStore',
    server: 'PostgreSQL',
    changeFeed: 'LISTEN connection',
    catchUp: 'migrates its tables and listens',
    proxy: () => TcpProxy.to('127.0.0.1', Number(new URL(url).port)),
    place: () => {
      const schema = `t_${randomUUID().replaceAll('-', '')}`;
      return {
        schema,
        open: ({ pollInterval }) => new PostgresStore({ connectionString: url, schema, pollInterval }),
        openThrough: (proxy, { pollInterval }) => {
          const through = new URL(url);
          through.port = String(proxy.port);
          return new PostgresStore({ connectionString: through.toString(), schema, pollInterval });
        },
        cleanup: async () => {
          await dropSchema(schema);
        },
      };
    },
    caughtUp: async ({ schema }) => {
      await vi.waitFor(async () => expect((await admin.query('SELECT to_regclass($1) AS found', [`${pg.escapeIdentifier(schema)}.horae_tasks_migrations`])).rows[0].found).not.toBeNull(), {
        timeout: 15 * SECOND,
        interval: 100,
      });
    },
    // The listening connection is opened again within a second of PostgreSQL answering.
    hearsChanges: async () => {
      await sleep(1_500);
    },
  });

  describe('PostgresStore on a real PostgreSQL', () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      vi.restoreAllMocks();
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    const place = (options: Omit<PostgresStoreOptions, 'pool' | 'connectionString' | 'schema'> = {}) => {
      const opened = backend(options);
      cleanups.push(() => opened.cleanup());
      return opened;
    };

    const context = (instanceId: string, wake: () => void = quiet, logger: StoreContext['logger'] = silent): StoreContext => ({ alias: 'default', instanceId, logger, wake, quarantined: quiet });

    const started = async (opened: Place, instanceId: string, wake?: () => void) => {
      const store = opened.open() as PostgresStore;
      await store.start(context(instanceId, wake));
      return store;
    };

    const row = (id: string, nextRunTime: number | null, revision = 1, payload = JSON.stringify({ id })): StoredTask => ({ id, nextRunTime, revision, payload });
    const q = pg.escapeIdentifier;

    it('creates its tables, indexes and functions in its schema once, and a second start changes nothing', async () => {
      const opened = place();
      const store = await started(opened, 'layout');
      const s = opened.schema;
      expect(store.tables).toEqual({
        tasks: `${q(s)}."horae_tasks"`,
        leases: `${q(s)}."horae_tasks_leases"`,
        quarantine: `${q(s)}."horae_tasks_quarantine"`,
        runs: `${q(s)}."horae_tasks_runs"`,
        instances: `${q(s)}."horae_tasks_instances"`,
        migrations: `${q(s)}."horae_tasks_migrations"`,
      });
      const tables = async () => (await admin.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [s])).rows.map((r) => r.tablename);
      expect(await tables()).toEqual(['horae_tasks', 'horae_tasks_instances', 'horae_tasks_leases', 'horae_tasks_migrations', 'horae_tasks_quarantine', 'horae_tasks_runs']);
      const indexes = async () => (await admin.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'horae_tasks' ORDER BY indexname", [s])).rows.map((r) => r.indexdef);
      expect(await indexes()).toEqual([
        expect.stringMatching(/CREATE INDEX horae_tasks_due ON .* USING btree \(due_at, seq\) WHERE \(due_at IS NOT NULL\)/),
        expect.stringMatching(/CREATE UNIQUE INDEX horae_tasks_pkey ON .* USING btree \(id\)/),
      ]);
      const functions = async () => (await admin.query<{ proname: string }>('SELECT proname FROM pg_proc WHERE pronamespace = $1::regnamespace ORDER BY 1', [q(s)])).rows.map((r) => r.proname);
      expect(await functions()).toEqual(['horae_tasks_acquire', 'horae_tasks_add_runs', 'horae_tasks_dispatch']);
      const versions = async () => (await admin.query(`SELECT version, description FROM ${store.tables.migrations}`)).rows;
      expect(await versions()).toEqual([{ version: 1, description: expect.stringContaining('tasks, run leases') }]);
      const due = (await serverClock()) - 10;
      await store.addTask(row('a', due));
      await store.addTask(row('paused', null));
      expect((await admin.query(`SELECT id, next_run_time, due_at, revision, payload, seal, claim_owner FROM ${store.tables.tasks} ORDER BY seq`)).rows).toEqual([
        { id: 'a', next_run_time: due, due_at: due, revision: '1', payload: '{"id":"a"}', seal: null, claim_owner: null },
        { id: 'paused', next_run_time: null, due_at: null, revision: '1', payload: '{"id":"paused"}', seal: null, claim_owner: null },
      ]);
      const before = await serverClock();
      await store.claimDueTasks({ now: 0, limit: 10, owner: 'layout', duration: 60 * SECOND });
      const after = await serverClock();
      const claimed = (await admin.query(`SELECT claim_owner, claim_expires_at, due_at FROM ${store.tables.tasks} WHERE id = 'a'`)).rows[0];
      expect(claimed.claim_owner).toBe('layout');
      expect(claimed.claim_expires_at).toBeGreaterThanOrEqual(before + 60 * SECOND);
      expect(claimed.claim_expires_at).toBeLessThanOrEqual(after + 60 * SECOND);
      // under a live claim the due index holds the claim's expiry
      expect(claimed.due_at).toBe(claimed.claim_expires_at);
      // A second replica (or a restart) finds the tables at the latest version: nothing changes.
      const again = await started(opened, 'again');
      expect(await again.getNextRunTime()).toBe(claimed.due_at);
      expect(await versions()).toHaveLength(1);
      expect(await indexes()).toHaveLength(2);
    });

    it('tells, without changing anything, the version of its tables and the indexes they lack', async () => {
      const opened = place();
      const store = opened.open() as PostgresStore;
      expect(await inspectTables(admin, store)).toEqual({ version: undefined, latest: LATEST_VERSION, missingIndexes: [] });
      expect((await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [opened.schema])).rows).toEqual([]);
      await store.start(context('inspected'));
      expect(await inspectTables(admin, store)).toEqual({ version: LATEST_VERSION, latest: LATEST_VERSION, missingIndexes: [] });
      await admin.query(`DROP INDEX ${q(opened.schema)}.horae_tasks_due`);
      expect(await inspectTables(admin, store)).toEqual({ version: LATEST_VERSION, latest: LATEST_VERSION, missingIndexes: ['horae_tasks_due'] });
    });

    it('applies its migrations exactly once when many replicas start together on an empty database', async () => {
      const opened = place();
      const logged: string[] = [];
      const warnings: unknown[] = [];
      const logger = { ...silent, info: (line: string) => void logged.push(line), warn: (...args: unknown[]) => void warnings.push(args) };
      const stores = Array.from({ length: 8 }, () => opened.open() as PostgresStore);
      await Promise.all(stores.map((store, i) => store.start(context(`replica-${i}`, quiet, logger))));
      expect((await admin.query(`SELECT version FROM ${stores[0]!.tables.migrations}`)).rows).toEqual([{ version: LATEST_VERSION }]);
      expect(logged.filter((line) => line.includes('migrated'))).toHaveLength(1);
      // none of them failed on the way (a start that fails to migrate warns and tries again later)
      expect(warnings).toEqual([]);
      // and every one of them works on the same tables
      await Promise.all(stores.map((store, i) => store.addTask(row(`t${i}`, 1))));
      expect((await stores[7]!.getAllTasks()).map((task) => task.id).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    });

    it('refuses tables of a newer version and a table it did not make, writing nothing', async () => {
      const newer = place();
      const store = await started(newer, 'old');
      await admin.query(`INSERT INTO ${store.tables.migrations} (version, description) VALUES (99, 'from the future')`);
      const other = newer.open();
      const failure = await other.start(context('older')).then(() => undefined, (error: unknown) => error);
      expect(isHoraeError(failure, 'STORE_UNAVAILABLE')).toBe(true);
      expect((failure as Error).message).toMatch(/schema version 99.*knows versions up to 1.*Upgrade @horae\/postgres/);
      await expect(other.addTask(row('x', 1))).rejects.toThrow(/schema version 99/);

      const foreign = place();
      await admin.query(`CREATE SCHEMA ${q(foreign.schema)}`);
      await admin.query(`CREATE TABLE ${q(foreign.schema)}.horae_tasks (id serial PRIMARY KEY, note text)`);
      const intruder = foreign.open();
      const refused = await intruder.start(context('intruder')).then(() => undefined, (error: unknown) => error);
      expect(isHoraeError(refused, 'STORE_UNAVAILABLE')).toBe(true);
      expect((refused as Error).message).toMatch(/no PostgresStore created/);
      expect((await admin.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [foreign.schema])).rows).toEqual([{ tablename: 'horae_tasks' }]);
    });

    it('claims from the due index on 100,000 tasks: EXPLAIN shows an index scan and no sequential scan', async () => {
      const opened = place();
      const store = await started(opened, 'explain');
      const now = await serverClock();
      await admin.query(
        `INSERT INTO ${store.tables.tasks} (id, next_run_time, due_at, revision, payload)
         SELECT 'task-' || i, t, t, 1, '{}' FROM (SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE $1::float8 + i * 1000 END AS t FROM generate_series(1, 100000) AS i) AS g`,
        [now - 5_000_000],
      );
      await admin.query(`ANALYZE ${store.tables.tasks}`);
      const plan = async (sql: string, values: unknown[]) => (await admin.query(`EXPLAIN (FORMAT JSON) ${sql}`, values)).rows[0]['QUERY PLAN'][0].Plan;
      const nodes = (node: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }): string[] => [
        `${node['Node Type']}${node['Index Name'] ? ` on ${node['Index Name']}` : ''}`,
        ...((node.Plans ?? []) as (typeof node)[]).flatMap(nodes),
      ];
      // The statement the store runs, with the store's own text.
      await store.claimDueTasks({ now: 0, limit: 100, owner: 'explain', duration: 60 * SECOND });
      const claimPlan = nodes(await plan(claimStatements(storeNames(opened.schema, 'horae_tasks')).claimDue, [100, 'explain', 60_000]));
      expect(claimPlan).toContain('Index Scan on horae_tasks_due');
      expect(claimPlan.filter((node) => node.startsWith('Seq Scan'))).toEqual([]);
      const nextPlan = nodes(await plan(`SELECT due_at FROM ${store.tables.tasks} WHERE due_at IS NOT NULL ORDER BY due_at, seq LIMIT 1`, []));
      expect(nextPlan.join(' ')).toMatch(/Index (Only )?Scan on horae_tasks_due/);
      expect(nextPlan.filter((node) => node.startsWith('Seq Scan'))).toEqual([]);
      // and it claimed the 100 earliest
      expect((await admin.query(`SELECT count(*)::int AS n FROM ${store.tables.tasks} WHERE claim_owner = 'explain'`)).rows[0].n).toBe(100);
    });

    it('wakes the other instances when a task is added, changed or restored, by NOTIFY, not its own', async () => {
      const opened = place({ pollInterval: 3_600 * SECOND });
      let woken = 0;
      let ownWoken = 0;
      const listening = await started(opened, 'listening', () => woken++);
      const writer = await started(opened, 'writer', () => ownWoken++);
      await listening.getNextRunTime(); // listening since start; this only waits for the tables
      await writer.addTask(row('a', 1));
      await vi.waitFor(() => expect(woken).toBe(1), { timeout: 5_000, interval: 10 });
      await writer.updateTask(row('a', 2, 2));
      await vi.waitFor(() => expect(woken).toBe(2), { timeout: 5_000, interval: 10 });
      await writer.addTasks([row('b', 3), row('c', 4)]);
      await vi.waitFor(() => expect(woken).toBe(3), { timeout: 5_000, interval: 10 });
      await writer.quarantineTask('c', 'to restore it');
      await writer.restoreQuarantinedTask('c');
      await vi.waitFor(() => expect(woken).toBe(4), { timeout: 5_000, interval: 10 });
      // a write that changes nothing (an id taken) notifies nobody
      await expect(writer.addTask(row('a', 1))).rejects.toSatisfy((error: unknown) => isHoraeError(error, 'CONFLICTING_ID'));
      await sleep(300);
      expect(woken).toBe(4);
      expect(ownWoken).toBe(0);
    });

    it('keeps payloads, seals and fractional run times verbatim through add, claim, release, quarantine and restore', async () => {
      const store = await started(place(), 'verbatim');
      const payload = 'horae:aes-256-gcm:1:AbC/+==\n{"path":"a/b\\\\c","quote":"\\"","line":"\u2028","emoji":"😀","sql":"\'; DROP TABLE x; --","$1":"$2"}';
      const due = (await serverClock()) - 100.5;
      await store.addTask({ ...row("it's \"odd\"", due, 7, payload), seal: 'seal-7' });
      expect(await store.lookupTask("it's \"odd\"")).toEqual({ ...row("it's \"odd\"", due, 7, payload), seal: 'seal-7' });
      const [claimed] = await store.claimDueTasks({ now: 0, limit: 1, owner: '$me', duration: 60 * SECOND });
      expect(claimed).toEqual({ ...row("it's \"odd\"", due, 7, payload), seal: 'seal-7' });
      expect(await releaseOne(store, { id: "it's \"odd\"", owner: '$me', claimedRevision: 7, nextRunTime: 1_767_225_600_123.25, removeWhenFinished: true, seal: 'seal-8' })).toBe(true);
      expect(await store.lookupTask("it's \"odd\"")).toEqual({ ...row("it's \"odd\"", 1_767_225_600_123.25, 8, payload), seal: 'seal-8' });
      await store.quarantineTask("it's \"odd\"", 'checking');
      expect((await store.getQuarantinedTasks())[0]).toMatchObject({ id: "it's \"odd\"", payload, nextRunTime: 1_767_225_600_123.25, revision: 8, seal: 'seal-8', reason: 'checking' });
      await store.restoreQuarantinedTask("it's \"odd\"");
      expect(await store.lookupTask("it's \"odd\"")).toEqual({ ...row("it's \"odd\"", 1_767_225_600_123.25, 8, payload), seal: 'seal-8' });
      expect(await store.getNextRunTime()).toBe(1_767_225_600_123.25);
    });

    it('refuses what PostgreSQL cannot keep with a typed error, before writing anything', async () => {
      const store = await started(place(), 'checks');
      const refused = async (call: Promise<unknown>, code: string, message: RegExp) => {
        const error = await call.then(() => undefined, (caught: unknown) => caught);
        expect(isHoraeError(error, code as never)).toBe(true);
        expect((error as Error).message).toMatch(message);
      };
      await refused(store.addTask(row('nul', 1, 1, '{"a":"\u0000"}')), 'NOT_SERIALIZABLE', /Task "nul".*cannot hold a NUL character/);
      await refused(store.addTasks([row('fine', 1), row('bad\u0000id', 1)]), 'INVALID_OPTION', /Invalid task id .*NUL/);
      await refused(store.addTask(row('nan', Number.NaN)), 'INVALID_OPTION', /Task "nan": invalid nextRunTime NaN/);
      await refused(store.addTask({ ...row('obj', 1), payload: { not: 'a string' } }), 'NOT_SERIALIZABLE', /keeps payloads as strings/);
      await refused(store.claimDueTasks({ now: 0, limit: 1, owner: 'x', duration: 0 }), 'INVALID_OPTION', /lease duration 0/);
      // the batch with one bad task wrote none of it
      expect(await store.getAllTasks()).toEqual([]);
    });

    it('counts run leases across instances under the task lock: of 40 concurrent acquirers with maxInstances 3, 3 win', async () => {
      const opened = place();
      const stores = await Promise.all(Array.from({ length: 4 }, (_, i) => started(opened, `racer-${i}`)));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % 4]!.acquireRunLease({ taskId: 'busy', runId: `run-${i}`, owner: `racer-${i % 4}`, scheduledAt: 1 }, 3, 60 * SECOND)),
      );
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await stores[0]!.getRunLeases()).toHaveLength(3);
      // and through dispatch batches racing the same way: 3 leases at most, whatever the batches
      await stores[0]!.releaseRunLeases((await stores[0]!.getRunLeases()).map(({ taskId, runId }) => ({ taskId, runId })));
      const ids = Array.from({ length: 8 }, (_, i) => `d${i}`);
      await stores[0]!.addTasks(ids.map((id) => row(id, 1)));
      const claimedBy = await Promise.all(stores.map((store, i) => store.claimDueTasks({ now: 0, limit: 2, owner: `racer-${i}`, duration: 60 * SECOND })));
      const outcomes = await Promise.all(
        claimedBy.map((claimed, i) =>
          stores[i]!.dispatchTasks(
            claimed.map((task) => ({
              id: task.id,
              owner: `racer-${i}`,
              claimedRevision: task.revision,
              nextRunTime: 10,
              removeWhenFinished: false,
              run: { lease: { taskId: 'shared', runId: `run-${task.id}`, owner: `racer-${i}`, scheduledAt: 1 }, maxInstances: 3, duration: 60 * SECOND },
            })),
          ),
        ),
      );
      expect(claimedBy.flat()).toHaveLength(8);
      expect(outcomes.flat().every((outcome) => outcome.released)).toBe(true);
      expect(outcomes.flat().filter((outcome) => outcome.runLeased)).toHaveLength(3);
    });

    it('counts the run leases of a task after taking its lock, so a lease committed meanwhile is counted', async () => {
      const opened = place();
      const store = await started(opened, 'waiter');
      await store.lookupTask('-'); // the tables exist from here on
      const names = storeNames(opened.schema, 'horae_tasks');
      // Another acquirer of the same task holds its lock, and records a lease before letting go.
      const other = await admin.connect();
      try {
        await other.query('BEGIN');
        await other.query(`SELECT pg_advisory_xact_lock(hashtext(${names.lockSpace}), hashtext('solo'))`);
        let settled = false;
        const acquiring = store.acquireRunLease({ taskId: 'solo', runId: 'mine', owner: 'waiter', scheduledAt: 1 }, 1, 60 * SECOND).finally(() => (settled = true));
        await sleep(300);
        expect(settled).toBe(false);
        await other.query(`INSERT INTO ${store.tables.leases} (task_id, run_id, owner, scheduled_at, expires_at) VALUES ('solo', 'theirs', 'other', 1, ${Date.now() + 3_600_000})`);
        await other.query('COMMIT');
        expect(await acquiring).toBe(false);
      } finally {
        other.release();
      }
      expect((await store.getRunLeases()).map((lease) => lease.runId)).toEqual(['theirs']);
      // The same in a dispatch batch: its run lease waits for the lock, then counts what committed.
      await store.addTask(row('solo', 1));
      const [claimed] = await store.claimDueTasks({ now: 0, limit: 1, owner: 'waiter', duration: 60 * SECOND });
      const again = await admin.connect();
      try {
        await again.query('BEGIN');
        await again.query(`SELECT pg_advisory_xact_lock(hashtext(${names.lockSpace}), hashtext('solo'))`);
        let settled = false;
        const dispatching = store
          .dispatchTasks([
            {
              id: 'solo',
              owner: 'waiter',
              claimedRevision: claimed!.revision,
              nextRunTime: 5,
              removeWhenFinished: false,
              run: { lease: { taskId: 'solo', runId: 'mine-2', owner: 'waiter', scheduledAt: 1 }, maxInstances: 2, duration: 60 * SECOND },
            },
          ])
          .finally(() => (settled = true));
        await sleep(300);
        expect(settled).toBe(false);
        await again.query(`INSERT INTO ${store.tables.leases} (task_id, run_id, owner, scheduled_at, expires_at) VALUES ('solo', 'theirs-2', 'other', 1, ${Date.now() + 3_600_000})`);
        await again.query('COMMIT');
        expect(await dispatching).toEqual([{ released: true, runLeased: false }]);
      } finally {
        again.release();
      }
    });

    it('dispatches a mixed batch in one call: the same task twice, a foreign owner, a stale revision, a finished task', async () => {
      const store = await started(place(), 'mixed');
      await store.addTasks([row('a', 1), row('b', 1), row('c', 1, 5), row('done', 1), row('kept', 1)]);
      await store.claimDueTasks({ now: 0, limit: 10, owner: 'mixed', duration: 60 * SECOND });
      await store.updateTask(row('c', 1, 6)); // a user's change: its claim's release must be refused
      const lease = (id: string, n: number) => ({ lease: { taskId: id, runId: `${id}-${n}`, owner: 'mixed', scheduledAt: 1 }, maxInstances: 1, duration: 60 * SECOND });
      const outcomes = await store.dispatchTasks([
        { id: 'a', owner: 'mixed', claimedRevision: 1, nextRunTime: 100, removeWhenFinished: false, run: lease('a', 1) },
        { id: 'a', owner: 'mixed', claimedRevision: 1, nextRunTime: 200, removeWhenFinished: false, run: lease('a', 2) },
        { id: 'b', owner: 'someone-else', claimedRevision: 1, nextRunTime: 100, removeWhenFinished: false, run: lease('b', 1) },
        { id: 'c', owner: 'mixed', claimedRevision: 5, nextRunTime: 100, removeWhenFinished: false },
        { id: 'done', owner: 'mixed', claimedRevision: 1, nextRunTime: null, removeWhenFinished: true, run: lease('done', 1) },
        { id: 'kept', owner: 'mixed', claimedRevision: 1, nextRunTime: null, removeWhenFinished: false },
      ]);
      expect(outcomes).toEqual([
        { released: true, runLeased: true },
        { released: false, runLeased: false },
        { released: false, runLeased: false },
        { released: false, runLeased: false },
        { released: true, runLeased: true },
        { released: true, runLeased: false },
      ]);
      expect(await store.lookupTask('a')).toEqual(row('a', 100, 2));
      expect(await store.lookupTask('c')).toEqual(row('c', 1, 6));
      expect(await store.lookupTask('done')).toBeNull();
      expect(await store.lookupTask('kept')).toEqual(row('kept', null, 2));
      expect((await store.getRunLeases()).map((held) => held.runId).sort()).toEqual(['a-1', 'done-1']);
    });

    it('runs a scheduler on a pool of the application, which it leaves open', async () => {
      const opened = place();
      const pool = new pg.Pool({ connectionString: url, max: 3 });
      cleanups.push(() => pool.end());
      const store = new PostgresStore({ pool, schema: opened.schema, pollInterval: 200 });
      const scheduler = new Scheduler({ stores: { default: store }, logger: silent });
      const ran: number[] = [];
      scheduler.define('tick', () => void ran.push(Date.now()));
      await scheduler.start();
      await scheduler.addTask({ id: 'tick', handler: 'tick', trigger: { type: 'interval', milliseconds: 100 } });
      await vi.waitFor(() => expect(ran.length).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 20 });
      await scheduler.shutdown();
      // the pool still answers, and holds no connection for the store any more
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(pool.totalCount - pool.idleCount).toBe(0);
    });

    it('refuses options it cannot use, naming the nearest known option', () => {
      const refused = (options: unknown, message: RegExp) => {
        let error: unknown;
        try {
          new PostgresStore(options as PostgresStoreOptions);
        } catch (caught) {
          error = caught;
        }
        expect(isHoraeError(error, 'INVALID_OPTION')).toBe(true);
        expect((error as Error).message).toMatch(message);
      };
      refused({ tabel: 'x' }, /tabel.*table/);
      refused({ connectionString: 'mysql://localhost' }, /"connectionString" "mysql:\/\/localhost": a postgres:\/\/ or postgresql:\/\//);
      refused({ pool: new pg.Pool(), connectionString: url }, /either pool .* or connectionString/);
      refused({ table: 'x'.repeat(49) }, /"table" "x{49}": a name of 1 to 48 bytes/);
      refused({ schema: '' }, /"schema" "": a name of 1 to 63 bytes/);
      refused({ pollInterval: 0 }, /"pollInterval" 0: a number of milliseconds/);
      refused({ notify: 'yes' }, /"notify" "yes": true or false/);
      refused({ encryptionKey: 'k' }, /encryptionKey/);
    });
  });
}
