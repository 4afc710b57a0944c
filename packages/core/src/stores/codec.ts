import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors, HoraeError } from '../errors/index.js';
import { taskRecord, type TaskRecord } from '../tasks/task.js';
import { isValidEpoch, TIME_RANGE } from '../time/time.js';
import type { TriggerRegistry } from '../triggers/registry.js';
import type { JsonValue, TriggerJSON } from '../triggers/trigger.js';
import { describeFromJSON, describeToJSON, type InstanceDescription } from '../cluster/instance.js';
import { runFromJSON, type PendingRun, type TaskRun } from '../history/task-run.js';
import type { StoredRun, StoredTask } from './store.js';

/** The version of the JSON record layout; bumped on incompatible changes. */
export const RECORD_SCHEMA_VERSION = 1;

/** The environment variable the scheduler reads its encryption key from by default. */
export const ENCRYPTION_KEY_VARIABLE = 'HORAE_STORE_ENCRYPTION_KEY';

/** Marks an encrypted payload; what follows is base64 of iv (12) + tag (16) + ciphertext. */
const ENCRYPTED_PREFIX = 'horae:aes-256-gcm:1:';

/**
 * A {@link TaskRecord} as JSON: the payload of a persistent store's {@link StoredTask} (encrypted
 * when the store has a key). Next run time and revision sit beside it, in the stored task.
 */
export interface TaskRecordJSON {
  v: number;
  id: string;
  name: string;
  handler: string;
  args?: JsonValue;
  trigger: TriggerJSON;
  executor: string;
  coalesce: boolean;
  misfireGraceTime: number | null;
  maxInstances: number;
  jitter: number | null;
}

/**
 * The key the records of persistent stores are encrypted with: the scheduler's `encryptionKey`
 * option when given (`null` turns encryption off), else the `HORAE_STORE_ENCRYPTION_KEY`
 * environment variable, else none.
 */
export function resolveEncryptionKey(option: string | null | undefined): string | undefined {
  if (option === null) return undefined;
  const key = option ?? process.env[ENCRYPTION_KEY_VARIABLE];
  return key === undefined || key === '' ? undefined : key;
}

/** The options most tasks share, kept once for all of them. */
type SharedOptions = Pick<TaskRecord, 'executor' | 'coalesce' | 'misfireGraceTime' | 'maxInstances' | 'jitter'>;

/**
 * A live record as a memory store keeps it: the fields that differ per task, and shared options.
 * `name` and `args` are left out when they are the default (the handler's name; undefined).
 */
interface CompactTask extends Pick<TaskRecord, 'handler' | 'trigger'> {
  readonly options: SharedOptions;
  readonly name?: string;
  readonly args?: unknown;
}

const sharedOptions = new Map<string, SharedOptions>();
/** The options shared last: tasks added together nearly always share them, and need no key. */
let lastShared: SharedOptions | undefined;

function sharedOptionsOf(record: TaskRecord): SharedOptions {
  const last = lastShared;
  if (
    last !== undefined &&
    last.executor === record.executor &&
    last.coalesce === record.coalesce &&
    last.misfireGraceTime === record.misfireGraceTime &&
    last.maxInstances === record.maxInstances &&
    last.jitter === record.jitter
  ) {
    return last;
  }
  const key = `${record.executor}\u0000${record.coalesce}\u0000${record.misfireGraceTime}\u0000${record.maxInstances}\u0000${record.jitter}`;
  let options = sharedOptions.get(key);
  if (options === undefined) {
    options = Object.freeze({
      executor: record.executor,
      coalesce: record.coalesce,
      misfireGraceTime: record.misfireGraceTime,
      maxInstances: record.maxInstances,
      jitter: record.jitter,
    });
    // Bounded: distinct option sets are few; past this they are simply not shared.
    if (sharedOptions.size < 1_000) sharedOptions.set(key, options);
  }
  lastShared = options;
  return options;
}

/**
 * The compact form of a record. A memory store may hold 100,000 tasks, nearly all with the same
 * options: sharing one frozen options object between them, and leaving out the next run time and
 * revision (the store keeps those), halves what each task costs.
 */
function compact(record: TaskRecord): CompactTask {
  const task: { -readonly [K in keyof CompactTask]: CompactTask[K] } = { handler: record.handler, trigger: record.trigger, options: sharedOptionsOf(record) };
  if (record.name !== defaultName(record.id, record.handler)) task.name = record.name;
  if (record.args !== undefined) task.args = record.args;
  return task;
}

/** The name a task gets when it is given none. */
export function defaultName(id: string, handler: TaskRecord['handler']): string {
  return typeof handler === 'string' ? handler : handler.name || id;
}

/** Why a stored record could not be turned back into a task. */
export class UnreadableRecordError extends Error {}

/** The bytes of a seal: an HMAC-SHA256 truncated to 128 bits. */
const SEAL_BYTES = 16;

/**
 * Turns task records into store payloads and back: JSON with a schema version, encrypted with
 * AES-256-GCM when the scheduler has a key (the task id authenticated with it, so a payload cannot
 * be moved to another id). Memory stores keep live records and skip all of this.
 *
 * With a key, every record also carries a seal: an HMAC over its id, revision and next run time
 * and the payload's GCM tag. The store keeps those fields in clear so that it can schedule
 * without the key, and a release moves them without touching the payload; so the seal is
 * renewed on each release (the scheduler knows the new revision and next run time), and a
 * record whose fields were changed, or whose payload was replaced by another (an earlier one of
 * the same task), no longer matches and is refused.
 */
export class TaskCodec {
  private readonly key: Buffer | undefined;
  private readonly sealKey: Buffer | undefined;
  /** The payload GCM tag of each record this codec read, for sealing its release. */
  private readonly payloadTags = new WeakMap<TaskRecord, Buffer>();

  constructor(
    private readonly persistent: boolean,
    encryptionKey: string | undefined,
    private readonly triggers: TriggerRegistry,
    private readonly timezone: string,
  ) {
    // Any length of key material, stretched to the 32 bytes AES-256 needs.
    this.key =
      persistent && encryptionKey !== undefined
        ? Buffer.from(hkdfSync('sha256', encryptionKey, 'horae-store', 'aes-256-gcm task records', 32))
        : undefined;
    this.sealKey =
      this.key === undefined ? undefined : Buffer.from(hkdfSync('sha256', encryptionKey!, 'horae-store', 'hmac-sha256 record seals', 32));
  }

  encode(record: TaskRecord): StoredTask {
    if (!this.persistent) return { id: record.id, nextRunTime: record.nextRunTime, revision: record.revision, payload: compact(record) };
    const document: TaskRecordJSON = {
      v: RECORD_SCHEMA_VERSION,
      id: record.id,
      name: record.name,
      handler: record.handler as string,
      ...(record.args === undefined ? {} : { args: record.args as JsonValue }),
      trigger: record.trigger.toJSON(),
      executor: record.executor,
      coalesce: record.coalesce,
      misfireGraceTime: record.misfireGraceTime,
      maxInstances: record.maxInstances,
      jitter: record.jitter,
    };
    const json = JSON.stringify(document);
    const { id, nextRunTime, revision } = record;
    if (this.key === undefined) return { id, nextRunTime, revision, payload: json };
    const { payload, tag } = this.encrypt(id, json);
    return { id, nextRunTime, revision, payload, seal: this.sealOf(id, revision, nextRunTime, tag) };
  }

  /**
   * The seal of a release of a record this codec read (its revision raised by one, the given
   * next run time); `undefined` when the store has no key.
   */
  releaseSeal(record: TaskRecord, nextRunTime: number | null): string | undefined {
    if (this.sealKey === undefined) return undefined;
    const tag = this.payloadTags.get(record);
    // Every claimed record comes from decode(): a miss is a bug, never a reason to drop the seal.
    if (tag === undefined) throw errors.internal(`task "${record.id}" was released without having been read from its store`);
    return this.sealOf(record.id, record.revision + 1, nextRunTime, tag);
  }

  /** Reads a stored task back; throws {@link UnreadableRecordError} saying why it cannot. */
  decode(stored: StoredTask): TaskRecord {
    if (stored.nextRunTime !== null && !isValidEpoch(stored.nextRunTime)) {
      throw new UnreadableRecordError(`its next run time ${String(stored.nextRunTime)} is not ${TIME_RANGE}`);
    }
    if (!this.persistent) {
      const { options, handler, trigger, name, args } = stored.payload as CompactTask;
      return taskRecord({
        id: stored.id,
        name: name ?? defaultName(stored.id, handler),
        handler,
        args,
        trigger,
        ...options,
        nextRunTime: stored.nextRunTime,
        revision: stored.revision,
      });
    }
    if (typeof stored.payload !== 'string') throw new UnreadableRecordError(`its payload is a ${typeof stored.payload}, not a string`);
    const { json, tag } = this.open(stored);
    let document: TaskRecordJSON;
    try {
      document = JSON.parse(json) as TaskRecordJSON;
    } catch (error) {
      throw new UnreadableRecordError(`its payload is not valid JSON (${(error as Error).message})`);
    }
    const record = this.validate(stored, document);
    if (tag !== undefined) this.payloadTags.set(record, tag);
    return record;
  }

  private validate(stored: StoredTask, document: TaskRecordJSON): TaskRecord {
    if (typeof document !== 'object' || document === null) throw new UnreadableRecordError('its payload is not a JSON object');
    if (document.v !== RECORD_SCHEMA_VERSION) {
      throw new UnreadableRecordError(`its schema version ${JSON.stringify(document.v)} is not ${RECORD_SCHEMA_VERSION}, the one this version of Horae reads`);
    }
    if (document.id !== stored.id) throw new UnreadableRecordError(`it is stored under id "${stored.id}" but names id ${JSON.stringify(document.id)}`);
    const checks: [keyof TaskRecordJSON, boolean][] = [
      ['name', typeof document.name === 'string'],
      ['handler', typeof document.handler === 'string' && document.handler.length > 0],
      ['executor', typeof document.executor === 'string'],
      ['coalesce', typeof document.coalesce === 'boolean'],
      ['misfireGraceTime', document.misfireGraceTime === null || (typeof document.misfireGraceTime === 'number' && document.misfireGraceTime >= 0)],
      ['maxInstances', Number.isInteger(document.maxInstances) && document.maxInstances >= 1],
      ['jitter', document.jitter === null || (typeof document.jitter === 'number' && document.jitter >= 0)],
      ['trigger', typeof document.trigger === 'object' && document.trigger !== null && typeof document.trigger.type === 'string'],
    ];
    for (const [field, ok] of checks) if (!ok) throw new UnreadableRecordError(`its ${field} ${JSON.stringify(document[field])} is not valid`);
    let trigger;
    try {
      trigger = this.triggers.create(document.trigger, { timezone: this.timezone, now: Date.now(), taskId: stored.id, lenient: true });
    } catch (error) {
      throw new UnreadableRecordError(`its trigger cannot be read: ${(error as Error).message}`);
    }
    return {
      id: document.id,
      name: document.name,
      handler: document.handler,
      args: document.args,
      trigger,
      executor: document.executor,
      coalesce: document.coalesce,
      misfireGraceTime: document.misfireGraceTime,
      maxInstances: document.maxInstances,
      jitter: document.jitter,
      nextRunTime: stored.nextRunTime,
      revision: stored.revision,
    };
  }

  /**
   * A finished run as a store keeps it: JSON, encrypted when there is a key (its task id, run id
   * and end authenticated with it, so that it cannot pass for another run). Memory stores keep
   * the JSON form as an object.
   */
  encodeRun({ taskId, runId, endedAt, json }: PendingRun): StoredRun {
    if (!this.persistent) return { taskId, runId, endedAt, payload: json };
    return { taskId, runId, endedAt, payload: this.seal(runAad(taskId, runId, endedAt), JSON.stringify(json)) };
  }

  /** A stored run back; throws an {@link UnreadableRecordError} saying why it cannot be read. */
  decodeRun(stored: StoredRun): TaskRun {
    const { taskId, runId, endedAt } = stored;
    if (!this.persistent) return runFromJSON(taskId, runId, endedAt, stored.payload);
    return this.unseal(runAad(taskId, runId, endedAt), stored.payload, `run "${runId}" of task "${taskId}"`, (json) => runFromJSON(taskId, runId, endedAt, json));
  }

  /**
   * What an instance says of itself in its beats: JSON, encrypted when there is a key (handler
   * names are what task records keep encrypted). Memory stores keep the live object.
   */
  encodeInstance(instanceId: string, description: InstanceDescription): unknown {
    return this.persistent ? this.seal(`instance\u0000${instanceId}`, describeToJSON(description)) : description;
  }

  /** An instance's description back; throws an {@link UnreadableRecordError} saying why it cannot be read. */
  decodeInstance(instanceId: string, payload: unknown): InstanceDescription {
    if (!this.persistent) return payload as InstanceDescription;
    return this.unseal(`instance\u0000${instanceId}`, payload, `instance "${instanceId}"`, describeFromJSON);
  }

  /** JSON as a persistent store keeps it beside task records: encrypted with `aad` when there is a key. */
  private seal(aad: string, json: string): string {
    return this.key === undefined ? json : this.encrypt(aad, json).payload;
  }

  /** The reverse of {@link TaskCodec.seal}, then `read` of the JSON; any failure is an {@link UnreadableRecordError} naming `what`. */
  private unseal<T>(aad: string, payload: unknown, what: string, read: (json: unknown) => T): T {
    if (typeof payload !== 'string') throw new UnreadableRecordError(`${what}: its payload is a ${typeof payload}, not a string`);
    const encrypted = payload.startsWith(ENCRYPTED_PREFIX);
    if (encrypted !== (this.key !== undefined)) {
      throw new UnreadableRecordError(`${what}: ${encrypted ? 'it is encrypted, but the scheduler has no key' : 'it is not encrypted, but the scheduler has a key'}`);
    }
    try {
      return read(JSON.parse(encrypted ? this.decrypt(aad, payload).json : payload));
    } catch (error) {
      throw new UnreadableRecordError(`${what} cannot be read: ${(error as Error).message}`);
    }
  }

  private encrypt(aad: string, json: string): { payload: string; tag: Buffer } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key!, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { payload: ENCRYPTED_PREFIX + Buffer.concat([iv, tag, body]).toString('base64'), tag };
  }

  /** The seal of a record's clear fields and its payload (by the payload's GCM tag). */
  private sealOf(id: string, revision: number, nextRunTime: number | null, tag: Buffer): string {
    return createHmac('sha256', this.sealKey!)
      .update(`${id}\u0000${revision}\u0000${nextRunTime}\u0000`)
      .update(tag)
      .digest()
      .subarray(0, SEAL_BYTES)
      .toString('base64url');
  }

  /** The payload's JSON, and its GCM tag when encrypted, after checking it and the record's seal. */
  private open(stored: StoredTask): { json: string; tag?: Buffer } {
    const { id } = stored;
    const payload = stored.payload as string;
    const encrypted = payload.startsWith(ENCRYPTED_PREFIX);
    if (this.key === undefined) {
      if (encrypted) {
        throw decryptionFailed(id, `it is encrypted, but the scheduler has no key: set ${ENCRYPTION_KEY_VARIABLE} or the scheduler's encryptionKey option`);
      }
      return { json: payload };
    }
    if (!encrypted) {
      throw decryptionFailed(id, 'it is not encrypted, but the scheduler has a key: it was written without one (or by someone else); re-add the task, or read the store without a key');
    }
    let json: string;
    let tag: Buffer;
    try {
      ({ json, tag } = this.decrypt(id, payload));
    } catch {
      throw decryptionFailed(id, 'it does not authenticate: it was encrypted with another key, or altered');
    }
    if (typeof stored.seal !== 'string') {
      throw decryptionFailed(id, 'it has no seal binding its revision and next run time to its payload: the seal was removed, or the record was written by a store that does not keep seals');
    }
    const expected = Buffer.from(this.sealOf(id, stored.revision, stored.nextRunTime, tag), 'utf8');
    const found = Buffer.from(stored.seal, 'utf8');
    if (found.length !== expected.length || !timingSafeEqual(found, expected)) {
      throw decryptionFailed(
        id,
        `its seal does not match: its revision (${stored.revision}) or next run time (${String(stored.nextRunTime)}) was changed, or its payload replaced by another, without the key`,
      );
    }
    return { json, tag };
  }

  /** Decrypts an encrypted payload whose AAD is `aad`; throws when it does not authenticate. */
  private decrypt(aad: string, payload: string): { json: string; tag: Buffer } {
    const raw = Buffer.from(payload.slice(ENCRYPTED_PREFIX.length), 'base64');
    const tag = raw.subarray(12, 28);
    const decipher = createDecipheriv('aes-256-gcm', this.key!, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return { json: Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'), tag };
  }
}

/** What a run's encryption authenticates beside its payload. */
function runAad(taskId: string, runId: string, endedAt: number): string {
  return `run\u0000${taskId}\u0000${runId}\u0000${endedAt}`;
}

/** A decryption failure: an unreadable record whose cause is a `DECRYPTION_FAILED` error. */
function decryptionFailed(id: string, detail: string): UnreadableRecordError {
  const cause = new HoraeError('DECRYPTION_FAILED', `Task "${id}" cannot be decrypted: ${detail}.`, { taskId: id });
  return new UnreadableRecordError(cause.message, { cause });
}
