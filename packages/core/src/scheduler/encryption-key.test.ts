import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../stores/file/file-store.js';
import { recordingLogger, testScheduler } from '../../test/harness.js';

const ENCRYPTED = /^horae:aes-256-gcm:1:/;

const directories: string[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

async function fileStore(): Promise<FileStore> {
  const directory = await mkdtemp(join(tmpdir(), 'horae-key-'));
  directories.push(directory);
  return new FileStore({ directory });
}

/** Adds a task through a scheduler with these options, and returns its payload as the store keeps it. */
async function written(store: FileStore, options: { encryptionKey?: string | null }): Promise<string> {
  const { scheduler } = testScheduler({ stores: { default: store }, ...options });
  scheduler.define('report', () => undefined);
  await scheduler.start({ paused: true });
  await scheduler.addTask({ id: 'report', handler: 'report', args: { to: 'ops@example.com' }, trigger: { type: 'interval', hours: 1 } });
  await scheduler.shutdown();
  const quiet = () => undefined;
  await store.start({ alias: 'default', instanceId: 'reader', logger: recordingLogger(), wake: quiet, quarantined: quiet });
  try {
    return (await store.lookupTask('report'))!.payload as string;
  } finally {
    await store.shutdown();
  }
}

describe("the scheduler's encryption key", () => {
  it('comes from HORAE_STORE_ENCRYPTION_KEY when not given', async () => {
    vi.stubEnv('HORAE_STORE_ENCRYPTION_KEY', 'from-env');
    const payload = await written(await fileStore(), {});
    expect(payload).toMatch(ENCRYPTED);
    expect(payload).not.toContain('ops@example.com');
  });

  it('is the option when given, over the environment, and null turns encryption off', async () => {
    vi.stubEnv('HORAE_STORE_ENCRYPTION_KEY', 'from-env');
    const store = await fileStore();
    expect(await written(store, { encryptionKey: 'given' })).toMatch(ENCRYPTED);

    // Read with the environment's key only, the record is not this scheduler's to read.
    const { scheduler: envKeyed, events } = testScheduler({ stores: { default: store } });
    await envKeyed.start({ paused: true });
    expect(await envKeyed.getTask('report')).toBeNull();
    expect(events.filter((event) => event.type === 'task:quarantined')).toHaveLength(1);
    await envKeyed.shutdown();

    const plain = await written(await fileStore(), { encryptionKey: null });
    expect(JSON.parse(plain)).toMatchObject({ handler: 'report', args: { to: 'ops@example.com' } });
  });

  it('refuses a key that is not a non-empty string, without showing it', () => {
    for (const encryptionKey of [42, '', Buffer.from('secret bytes'), { key: 'secret' }]) {
      let refusal: unknown;
      try {
        testScheduler({ encryptionKey: encryptionKey as string });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('invalid encryptionKey') });
      expect((refusal as Error).message).not.toMatch(/secret bytes|"secret"|42/);
    }
  });

  it('is refused by a store, with where it belongs', () => {
    const given = { directory: 'x', encryptionKey: 'secret' } as never;
    let refusal: unknown;
    try {
      new FileStore(given);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('new Scheduler({ encryptionKey') });
    expect((refusal as Error).message).not.toContain('secret');
  });
});
