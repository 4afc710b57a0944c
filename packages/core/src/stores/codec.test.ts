import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { taskRecord } from '../tasks/task.js';
import { TriggerRegistry } from '../triggers/registry.js';
import { ENCRYPTION_KEY_VARIABLE, TaskCodec, UnreadableRecordError, resolveEncryptionKey } from './codec.js';

const triggers = new TriggerRegistry();
const record = taskRecord({
  id: 'invoice-42',
  name: 'Send invoice',
  handler: 'send-invoice',
  args: { customer: 'ACME', amount: 1200 },
  trigger: triggers.create({ type: 'cron', expression: '0 9 * * 1', timezone: 'Europe/Berlin' }, { timezone: 'UTC', now: 0 }),
  executor: 'default',
  coalesce: false,
  misfireGraceTime: null,
  maxInstances: 2,
  jitter: 100,
  nextRunTime: 1_800_000_000_000,
  revision: 7,
});
const codec = (key?: string) => new TaskCodec(true, key, triggers, 'UTC');
const unreadable = (action: () => unknown): UnreadableRecordError => {
  try {
    action();
  } catch (error) {
    if (error instanceof UnreadableRecordError) return error;
    throw error;
  }
  throw new Error('expected the record to be unreadable');
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('TaskCodec', () => {
  it('round-trips a record through versioned JSON, keeping the row fields beside it', () => {
    const stored = codec().encode(record);
    expect(stored).toMatchObject({ id: 'invoice-42', nextRunTime: 1_800_000_000_000, revision: 7 });
    expect(JSON.parse(stored.payload as string)).toMatchObject({ v: 1, handler: 'send-invoice', args: { customer: 'ACME', amount: 1200 } });
    const back = codec().decode(stored);
    expect({ ...back, trigger: back.trigger.toJSON() }).toEqual({ ...record, trigger: record.trigger.toJSON() });
  });

  it('seals payloads with a key and reads them back only with the same key', () => {
    const stored = codec('k1').encode(record);
    expect(stored.payload).not.toContain('ACME');
    expect(codec('k1').decode(stored).args).toEqual({ customer: 'ACME', amount: 1200 });
    expect(unreadable(() => codec('k2').decode(stored)).message).toMatch(/does not authenticate/);
    const keyless = unreadable(() => codec().decode(stored));
    expect(keyless.message).toMatch(/has no key/);
    expect(isHoraeError(keyless.cause, 'DECRYPTION_FAILED')).toBe(true);
    expect(unreadable(() => codec('k1').decode(codec().encode(record))).message).toMatch(/is not encrypted/);
  });

  it('binds a sealed payload to its id, so it cannot be moved to another task', () => {
    const stored = codec('k').encode(record);
    expect(unreadable(() => codec('k').decode({ ...stored, id: 'invoice-43' })).message).toMatch(/does not authenticate/);
  });

  it('seals the fields kept in clear to the payload: a changed revision, next run time or payload is refused', () => {
    const stored = codec('k').encode(record);
    expect(stored.seal).toMatch(/^[\w-]{22}$/);
    const earlier = codec('k').encode({ ...record, args: { customer: 'ACME', amount: 1 } });
    const refused = (changed: object) => unreadable(() => codec('k').decode({ ...stored, ...changed })).message;
    expect(refused({ revision: 8 })).toMatch(/its seal does not match: its revision \(8\) or next run time/);
    expect(refused({ nextRunTime: Date.now() })).toMatch(/its seal does not match/);
    expect(refused({ nextRunTime: null })).toMatch(/its seal does not match/);
    expect(refused({ payload: earlier.payload })).toMatch(/its seal does not match/);
    expect(refused({ seal: undefined })).toMatch(/has no seal/);
    expect(isHoraeError(unreadable(() => codec('k').decode({ ...stored, revision: 8 })).cause, 'DECRYPTION_FAILED')).toBe(true);
    // a whole earlier record, seal and all, still reads: nothing outside the store knows it is old
    expect(codec('k').decode(earlier).args).toEqual({ customer: 'ACME', amount: 1 });
    // seals are keyed: one made with another key does not match
    expect(refused({ seal: codec('other').encode(record).seal })).toMatch(/its seal does not match/);
  });

  it('seals a release of a record it read for the next revision and the new next run time', () => {
    const sealing = codec('k');
    const stored = sealing.encode(record);
    const seal = sealing.releaseSeal(sealing.decode(stored), 1_900_000_000_000);
    // the release keeps the payload and moves the fields in clear, with the seal it carried
    const released = { ...stored, revision: record.revision + 1, nextRunTime: 1_900_000_000_000, seal };
    expect(codec('k').decode(released)).toMatchObject({ revision: 8, nextRunTime: 1_900_000_000_000 });
    // bound to the payload it was made for, not another encoding of the same record
    expect(unreadable(() => codec('k').decode({ ...released, payload: sealing.encode(record).payload })).message).toMatch(/its seal does not match/);
    expect(codec().releaseSeal(codec().decode(codec().encode(record)), 1)).toBeUndefined();
    expect(() => sealing.releaseSeal(record, 1)).toThrow(/internal error/);
  });

  it('detects a tampered ciphertext', () => {
    const stored = codec('k').encode(record);
    const payload = stored.payload as string;
    const tampered = payload.slice(0, -4) + (payload.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(unreadable(() => codec('k').decode({ ...stored, payload: tampered })).message).toMatch(/does not authenticate/);
  });

  it('says why a record cannot be read', () => {
    const plain = JSON.parse(codec().encode(record).payload as string) as Record<string, unknown>;
    const read = (document: unknown) => unreadable(() => codec().decode({ id: 'invoice-42', nextRunTime: 1, revision: 1, payload: JSON.stringify(document) })).message;
    expect(unreadable(() => codec().decode({ id: 'x', nextRunTime: 1, revision: 1, payload: '{oops' })).message).toMatch(/not valid JSON/);
    expect(read({ ...plain, v: 2 })).toMatch(/schema version 2/);
    expect(read({ ...plain, id: 'other' })).toMatch(/names id "other"/);
    expect(read({ ...plain, maxInstances: 0 })).toMatch(/maxInstances 0 is not valid/);
    expect(read({ ...plain, trigger: { type: 'cron', expression: 'nope' } })).toMatch(/trigger cannot be read/);
    expect(read({ ...plain, trigger: { type: 'lunar' } })).toMatch(/unknown trigger "lunar"/);
  });

  it('takes the key from the option, else HORAE_STORE_ENCRYPTION_KEY; null turns it off', () => {
    vi.stubEnv(ENCRYPTION_KEY_VARIABLE, 'from-env');
    expect(resolveEncryptionKey(undefined)).toBe('from-env');
    expect(resolveEncryptionKey('from-option')).toBe('from-option');
    expect(resolveEncryptionKey(null)).toBeUndefined();
    vi.stubEnv(ENCRYPTION_KEY_VARIABLE, '');
    expect(resolveEncryptionKey(undefined)).toBeUndefined();
  });

  it('keeps memory-store records compact and gives them back whole', () => {
    const memory = new TaskCodec(false, undefined, triggers, 'UTC');
    const stored = memory.encode(record);
    expect(stored.payload).not.toHaveProperty('nextRunTime');
    const moved = memory.decode({ ...stored, nextRunTime: 5, revision: 8 });
    expect(moved).toEqual({ ...record, nextRunTime: 5, revision: 8 });
  });
});

describe('TaskCodec: runs', () => {
  const pending = {
    taskId: 'invoice-42',
    runId: 'run-1',
    endedAt: 1_800_000_000_250,
    json: {
      v: 1 as const,
      scheduledAt: [1_800_000_000_000],
      instanceId: 'replica-1',
      duration: 240,
      outcome: 'failed' as const,
      error: { message: 'card declined for ACME', stack: 'Error: card declined for ACME\n    at charge' },
    },
  };
  const run = {
    taskId: 'invoice-42',
    runId: 'run-1',
    scheduledAt: [new Date(1_800_000_000_000)],
    instanceId: 'replica-1',
    startedAt: new Date(1_800_000_000_010),
    endedAt: new Date(1_800_000_000_250),
    duration: 240,
    outcome: 'failed',
    error: { message: 'card declined for ACME', stack: 'Error: card declined for ACME\n    at charge' },
  };

  it('keeps a run as JSON, or encrypted with the key and bound to its task, id and end', () => {
    const plain = codec().encodeRun(pending);
    expect(plain).toMatchObject({ taskId: 'invoice-42', runId: 'run-1', endedAt: 1_800_000_000_250 });
    expect(JSON.parse(plain.payload as string)).toMatchObject({ v: 1, outcome: 'failed', error: { message: 'card declined for ACME' } });
    expect(codec().decodeRun(plain)).toEqual(run);

    const sealed = codec('k').encodeRun(pending);
    expect(sealed.payload).not.toContain('ACME');
    expect(codec('k').decodeRun(sealed)).toEqual(run);
    expect(unreadable(() => codec('other').decodeRun(sealed)).message).toContain('cannot be read');
    expect(unreadable(() => codec().decodeRun(sealed)).message).toContain('the scheduler has no key');
    expect(unreadable(() => codec('k').decodeRun(plain)).message).toContain('the scheduler has a key');
    // Moved to another end, run or task: it no longer authenticates.
    for (const moved of [{ ...sealed, endedAt: 1 }, { ...sealed, runId: 'run-2' }, { ...sealed, taskId: 'invoice-43' }]) {
      expect(() => codec('k').decodeRun(moved)).toThrow(UnreadableRecordError);
    }
    expect(unreadable(() => codec().decodeRun({ ...plain, payload: '{"v":2}' })).message).toContain('not a run record');
  });
});
