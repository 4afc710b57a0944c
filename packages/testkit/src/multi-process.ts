import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StoreFixture } from './fixture.js';

const CHILD = fileURLToPath(new URL('./child-process.ts', import.meta.url));
const TESTKIT = fileURLToPath(new URL('..', import.meta.url));
/**
 * The scheduler's default lease: the replicas run with it, so the suite measures what users get —
 * a killed replica's fires taken over, and fires its runs block skipped, for about this long.
 */
const LEASE = 5_000;
/** Time for a surviving replica to notice an expired claim and dispatch it, beyond the lease. */
const TAKEOVER_SLACK = 3_000;

interface Entry {
  event: 'ran' | 'interrupted' | 'max-instances' | 'error';
  taskId?: string;
  scheduledAt?: number;
  /** When the handler ran, epoch ms. */
  at?: number;
  name: string;
  message?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts one replica and resolves once it has declared its tasks. */
function replica(name: string, settings: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ ...settings, name })], {
    cwd: TESTKIT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${name} did not start within 20 s`)), 20_000);
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`replica ${name} exited with ${code} before it was ready`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Three real processes share one store while one of them is killed with SIGKILL half-way and
 * started again: no fire time may run twice, and every fire time must run — late by at most the
 * lease time — or, if the killed process had already started it, be reported as interrupted, or,
 * while the killed process's run lease still counts against maxInstances, be reported as refused.
 */
export function multiProcessSuite(fixture: StoreFixture): void {
  const processes = fixture.processes!;
  const tasks = Array.from({ length: processes.tasks ?? 5 }, (_, index) => `p${index + 1}`);
  const runFor = processes.runFor ?? 20_000;
  describe(`${fixture.name}: replicas in separate processes`, () => {
    it(`runs every fire of ${tasks.length} tasks once across three processes for ${runFor / 1000} s while one is killed and restarted`, { timeout: runFor + 90_000 }, async () => {
      const backend = await fixture.backend();
      const dir = await mkdtemp(join(tmpdir(), 'horae-replicas-'));
      const logFile = join(dir, 'fires.log');
      await writeFile(logFile, '');
      const startAt = Math.ceil((Date.now() + 6_000) / 1_000) * 1_000;
      const settings = {
        storeModule: processes.storeModule,
        storeConfig: processes.config(backend),
        logFile,
        taskIds: tasks,
        startAt,
        // The default leaseDuration (LEASE): not given.
      };
      const children = await Promise.all(['r1', 'r2', 'r3'].map((name) => replica(name, settings)));
      try {
        // Killed somewhere in the middle third of the run, at a random moment.
        await sleep(Math.max(0, startAt - Date.now()) + runFor / 3 + Math.random() * (runFor / 3));
        const victim = Math.floor(Math.random() * children.length);
        const killedAt = Date.now();
        children[victim]!.kill('SIGKILL');
        await sleep(1_000);
        children[victim] = await replica(`r${victim + 1}-again`, settings);
        await sleep(Math.max(0, startAt + runFor - Date.now()));
        const end = Date.now();
        await Promise.all(children.map(stop));
        await sleep(200);

        const entries = (await readFile(logFile, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Entry);
        expect(entries.filter((entry) => entry.event === 'error')).toEqual([]);
        // Fire times the replicas had time to run (the last lease period may still be in flight).
        const last = end - LEASE - 1_000;
        let interrupted = 0;
        const lateness = entries.filter((entry) => entry.event === 'ran').map((entry) => entry.at! - entry.scheduledAt!);
        expect(Math.max(...lateness), 'a fire ran later than the lease allows').toBeLessThanOrEqual(LEASE + TAKEOVER_SLACK);
        for (const id of tasks) {
          const ran = entries.filter((entry) => entry.event === 'ran' && entry.taskId === id).map((entry) => entry.scheduledAt!);
          const reported = new Set(entries.filter((entry) => entry.event === 'interrupted' && entry.taskId === id).map((entry) => entry.scheduledAt!));
          interrupted += reported.size;
          // A run the killed process had started holds its run lease until the lease expires, so
          // a fire due meanwhile is refused under maxInstances (1) by the survivors, and reported.
          // Only then: a refusal outside that window is a lost fire.
          for (const entry of entries) {
            if (entry.event === 'max-instances' && entry.taskId === id && entry.at! <= killedAt + LEASE + TAKEOVER_SLACK) reported.add(entry.scheduledAt!);
          }
          expect(new Set(ran).size, `task ${id}: a fire time ran twice`).toBe(ran.length);
          for (let time = startAt; time <= last; time += 1_000) {
            expect(ran.includes(time) || reported.has(time), `task ${id}: the fire at ${new Date(time).toISOString()} was lost`).toBe(true);
          }
        }
        // The killed replica held at most one run per task at the moment of the kill.
        expect(interrupted).toBeLessThanOrEqual(tasks.length);
      } finally {
        await Promise.all(children.map((child) => (child.exitCode === null ? stop(child) : Promise.resolve())));
        await rm(dir, { recursive: true, force: true });
        await backend.cleanup();
      }
    });
  });
}
