/**
 * Every message Horae shows a user, as small factories: each names the thing involved, the
 * value it was given and what is allowed instead. Keeping them together keeps them consistent.
 */
import { HoraeError } from './errors.js';

/** Renders a user-supplied value for an error message without ever throwing. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'bigint') return `${value}n`;
  // JSON would print NaN and Infinity as null, and the message would then blame a null.
  if (typeof value === 'number') return String(value);
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    // circular or otherwise unserialisable: fall through
  }
  return String(value);
}

const subject = (taskId: string | undefined): string => (taskId === undefined ? '' : `Task "${taskId}": `);

export const errors = {
  /** A broken invariant inside Horae: a bug to report, never the user's doing. */
  internal: (what: string) => new HoraeError('INTERNAL', `Horae internal error: ${what}. Please report it with this message.`),
  taskNotFound: (taskId: string, store?: string) =>
    new HoraeError(
      'TASK_NOT_FOUND',
      `No task with id "${taskId}" ${store === undefined ? 'in any store' : `in store "${store}"`}. ` +
        'List the existing ids with scheduler.getTasks().',
      { taskId },
    ),
  notQuarantined: (taskId: string, store?: string) =>
    new HoraeError(
      'TASK_NOT_FOUND',
      `No quarantined record with id "${taskId}" ${store === undefined ? 'in any store' : `in store "${store}"`}. ` +
        'List the quarantined records with scheduler.getQuarantinedTasks().',
      { taskId },
    ),
  conflictingId: (taskId: string, store: string) =>
    new HoraeError(
      'CONFLICTING_ID',
      `A task with id "${taskId}" already exists in store "${store}". ` +
        'Pass replaceExisting: true to replace it, or choose another id.',
      { taskId },
    ),
  conflictingIds: (taskIds: readonly string[], store: string, added: number) =>
    new HoraeError(
      'CONFLICTING_ID',
      `${taskIds.length} task id(s) already exist in store "${store}": ${taskIds.slice(0, 10).map((id) => `"${id}"`).join(', ')}` +
        `${taskIds.length > 10 ? ', …' : ''}. Those tasks were left as they are; the other ${added} task(s) were added. ` +
        'Pass replaceExisting: true to replace them, or choose other ids.',
      { taskId: taskIds[0] },
    ),
  invalidTrigger: (taskId: string | undefined, detail: string, cause?: unknown) =>
    new HoraeError('INVALID_TRIGGER', `${subject(taskId)}${detail}`, { taskId, cause }),
  invalidTimezone: (taskId: string | undefined, timezone: unknown) =>
    new HoraeError(
      'INVALID_TIMEZONE',
      `${subject(taskId)}unknown time zone ${show(timezone)}. ` +
        'Use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York".',
      { taskId },
    ),
  invalidOption: (taskId: string | undefined, option: string, value: unknown, allowed: string) =>
    new HoraeError('INVALID_OPTION', `${subject(taskId)}invalid ${option} ${show(value)}: ${allowed}.`, { taskId }),
  /** The value is never shown: it may be a secret. */
  invalidEncryptionKey: (value: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `invalid encryptionKey (${value === '' ? 'an empty string' : `a value of type ${value === null ? 'null' : typeof value}`}; not shown, as it may be a secret): ` +
        'give the key as a non-empty string, or null to turn encryption off.',
    ),
  encryptionKeyMoved: (storeClass: string) =>
    new HoraeError(
      'INVALID_OPTION',
      `${storeClass} does not take "encryptionKey": the scheduler encrypts the records of every persistent store. ` +
        'Give the key to it instead, new Scheduler({ encryptionKey, stores: { ... } }), or set HORAE_STORE_ENCRYPTION_KEY as before.',
    ),
  unknownOption: (taskId: string | undefined, where: string, key: string, nearest: string | undefined, allowed: readonly string[]) =>
    new HoraeError(
      'INVALID_OPTION',
      `${subject(taskId)}unknown option ${show(key)} in ${where}` +
        (nearest === undefined ? '' : `; did you mean "${nearest}"?`) +
        ` Known options: ${allowed.map((k) => `"${k}"`).join(', ')}.`,
      { taskId },
    ),
  scheduledOption: (where: string, option: string, value: unknown, allowed: string, taskId?: string) =>
    new HoraeError('INVALID_OPTION', `@Scheduled on ${where}: option "${option}" is ${show(value)}; ${allowed}.`, { taskId }),
  scheduledTriggerCount: (taskId: string, where: string, given: readonly string[]) =>
    new HoraeError(
      'INVALID_TRIGGER',
      `@Scheduled on ${where}: give exactly one of cron, interval, date or trigger; ${given.length === 0 ? 'none was given' : `got ${given.join(' and ')}`}.`,
      { taskId },
    ),
  duplicateDeclaration: (taskId: string, first: string, second: string) =>
    new HoraeError(
      'CONFLICTING_ID',
      `The task id "${taskId}" is declared twice, by ${first} and by ${second}. Task ids name handlers in stores shared by replicas, ` +
        "so each must be unique: give one of them another id (@Scheduled({ id: '...' })), or register the class once.",
      { taskId },
    ),
  maxInstances: (taskId: string, maxInstances: number) =>
    new HoraeError(
      'MAX_INSTANCES',
      `Task "${taskId}" is already running ${maxInstances} instance(s), its maxInstances. ` +
        'Wait for a run to finish or raise maxInstances.',
      { taskId },
    ),
  observing: (operation: string) =>
    new HoraeError(
      'SCHEDULER_NOT_RUNNING',
      `Cannot ${operation}: the scheduler was started with { observe: true }, to read and change tasks, and runs none. Start a scheduler without observe to run them.`,
    ),
  notRunning: (operation: string) =>
    new HoraeError(
      'SCHEDULER_NOT_RUNNING',
      `Cannot ${operation}: the scheduler is not running. Call scheduler.start() first.`,
    ),
  unknownStore: (taskId: string | undefined, alias: string, known: readonly string[]) =>
    new HoraeError(
      'UNKNOWN_STORE',
      `${subject(taskId)}no store with alias ${show(alias)}. Known stores: ${known.map((k) => `"${k}"`).join(', ') || 'none'}.`,
      { taskId },
    ),
  unknownExecutor: (taskId: string | undefined, alias: string, known: readonly string[]) =>
    new HoraeError(
      'UNKNOWN_EXECUTOR',
      `${subject(taskId)}no executor with alias ${show(alias)}. Known executors: ${known.map((k) => `"${k}"`).join(', ') || 'none'}.`,
      { taskId },
    ),
  handlerNotDefined: (taskId: string | undefined, name: string, known: readonly string[]) =>
    new HoraeError(
      'HANDLER_NOT_DEFINED',
      `${subject(taskId)}no handler named ${show(name)} is defined. ` +
        `Register it first with scheduler.define(${show(name)}, fn). Defined handlers: ${known.map((k) => `"${k}"`).join(', ') || 'none'}.`,
      { taskId },
    ),
  notSerializable: (taskId: string, store: string, what: string, value: unknown) =>
    new HoraeError(
      'NOT_SERIALIZABLE',
      `Task "${taskId}": store "${store}" is persistent, so the task's ${what} must be plain JSON ` +
        `(objects, arrays, strings, finite numbers, booleans, null), but got ${show(value)}.`,
      { taskId },
    ),
  aborted: (reason: string) => new HoraeError('TASK_ABORTED', `The run was aborted: ${reason}.`),
  workerExited: (taskId: string, exitCode: number) =>
    new HoraeError(
      'TASK_ABORTED',
      `Task "${taskId}": the run was aborted: its worker thread exited with code ${exitCode} before the handler settled ` +
        '(the handler, or a module it loaded, ended the thread with process.exit). Return or throw from the handler instead.',
      { taskId },
    ),
  workerArgsNotCloneable: (taskId: string, cause: unknown) =>
    new HoraeError(
      'NOT_SERIALIZABLE',
      `Task "${taskId}": its args cannot be copied to a worker thread (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'The WorkerExecutor copies args by structured clone: give plain data (no functions, class instances with methods, or sockets).',
      { taskId, cause },
    ),
  moduleExportMissing: (taskId: string, module: string, exportName: string) =>
    new HoraeError(
      'HANDLER_NOT_DEFINED',
      `Task "${taskId}": module ${module} has no function export named "${exportName}". ` +
        'Export the handler from that module under this name, or give moduleHandler(url, exportName) the name it is exported under.',
      { taskId },
    ),
  executorNotStarted: (alias: string, taskId: string) =>
    new HoraeError(
      'SCHEDULER_NOT_RUNNING',
      `Executor "${alias}" cannot run task "${taskId}": it was not started. ` +
        'Add it to a scheduler (the executors option, or scheduler.addExecutor), which starts it.',
      { taskId },
    ),
  inlineHandlerInPersistentStore: (taskId: string, store: string) =>
    new HoraeError(
      'NOT_SERIALIZABLE',
      `Task "${taskId}": store "${store}" is persistent and stores handlers by name only, never code. ` +
        'Register the function with scheduler.define(name, fn) and pass handler: name.',
      { taskId },
    ),
  fileStoreDirectoryInvalid: (path: string, problem: string, cause?: unknown) =>
    new HoraeError(
      'INVALID_OPTION',
      `invalid FileStore option "directory" ${show(path)}: ${problem}. ` +
        'Give the path of a directory (it is created when missing), or move the file that is in the way.',
      { cause },
    ),
  fileStoreDirectoryUnusable: (store: string, path: string, problem: string, fix: string, cause?: unknown) =>
    new HoraeError('STORE_UNAVAILABLE', `Store "${store}" cannot use ${path}: ${problem}. ${fix}`, { cause }),
  fileStoreContended: (store: string, directory: string, operation: string, attempts: number) =>
    new HoraeError(
      'STORE_UNAVAILABLE',
      `Store "${store}" (${directory}) could not ${operation}: other processes changed it first ${attempts} times in a row.`,
    ),
  fileStoreUnsteadyRead: (directory: string, key: string, attempts: number) =>
    new HoraeError(
      'STORE_UNAVAILABLE',
      `Could not read "${key}" in ${directory}: it kept changing or vanishing while being read (${attempts} attempts).`,
    ),
  fileStoreFileTooLarge: (taskId: string, store: string, bytes: number, allowed: number) =>
    new HoraeError(
      'INVALID_OPTION',
      `Task "${taskId}": its file in store "${store}" would be ${bytes} bytes, more than the ${allowed} allowed ` +
        '(the FileStore option maxFileSize, less 4096 bytes kept for bookkeeping). ' +
        'Pass smaller args, or raise maxFileSize in every process that shares the directory.',
      { taskId },
    ),
} as const;
