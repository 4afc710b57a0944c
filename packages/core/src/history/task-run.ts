import { show } from '../errors/index.js';

/**
 * How a run ended: it `succeeded` or `failed` (threw or rejected); it was `interrupted` (started,
 * but its instance died before it ended); it was `missed` (later than the task's misfire grace
 * time, so never run) or `skipped` (refused because `maxInstances` runs were in progress).
 * @public
 */
export type RunOutcome = 'succeeded' | 'failed' | 'interrupted' | 'missed' | 'skipped';

/**
 * One run in a task's history, as every instance sharing the store sees it (see
 * {@link Scheduler.getRuns}).
 * @public
 */
export interface TaskRun {
  readonly taskId: string;
  /** Unique per record. */
  readonly runId: string;
  /** The fire time(s) this run stands for (several when missed or skipped together). */
  readonly scheduledAt: readonly Date[];
  /** The instance that ran it (for `interrupted`: the one that died). */
  readonly instanceId: string;
  /** When the handler was called; `null` when it never was (`missed`, `skipped`, `interrupted`). */
  readonly startedAt: Date | null;
  readonly endedAt: Date;
  /** How long the handler ran, ms; `null` when it never ran, or its end is unknown. */
  readonly duration: number | null;
  readonly outcome: RunOutcome;
  /** For `failed`: the error's message, code when it has one, and the head of its stack. */
  readonly error?: { readonly message: string; readonly code?: string; readonly stack?: string };
  /** For `succeeded`: the head of the return value as JSON, when it returned one. */
  readonly result?: string;
}

/**
 * A run's JSON form, inside a store's payload. Its end is kept by the store beside it (the
 * history is ordered by it), and its start is its end less its duration.
 */
export interface TaskRunJSON {
  v: 1;
  scheduledAt: number[];
  instanceId: string;
  duration: number | null;
  outcome: RunOutcome;
  error?: { message: string; code?: string; stack?: string };
  result?: string;
}

/** A finished run on its way to the store: its JSON form, its ids and its end, nothing more. */
export interface PendingRun {
  readonly taskId: string;
  readonly runId: string;
  readonly endedAt: number;
  readonly json: TaskRunJSON;
}

const OUTCOMES: readonly RunOutcome[] = ['succeeded', 'failed', 'interrupted', 'missed', 'skipped'];
/** How much of a return value, an error message and a stack a run keeps. */
const RESULT_CHARS = 1_000;
const MESSAGE_CHARS = 2_000;
const STACK_CHARS = 4_000;
/** How many fire times one record keeps (a long outage can miss thousands; the count is in the log). */
const FIRE_TIMES = 100;

function head(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** The head of a return value as JSON (or as the message shows values, when it is not JSON). */
export function resultSummary(result: unknown): string | undefined {
  if (result === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch {
    text = undefined;
  }
  return head(text ?? show(result), RESULT_CHARS);
}

/** What a run keeps of an error: never the whole object (it may hold anything), only text. */
export function errorSummary(error: unknown): NonNullable<TaskRun['error']> {
  const message = error instanceof Error ? error.message : show(error);
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : undefined;
  const stack = error instanceof Error && typeof error.stack === 'string' ? head(error.stack, STACK_CHARS) : undefined;
  return { message: head(message, MESSAGE_CHARS), ...(code === undefined ? {} : { code }), ...(stack === undefined ? {} : { stack }) };
}

/** The fire times a record keeps: the first ones, bounded. */
export function fireTimesOf(times: readonly number[]): number[] {
  return times.length <= FIRE_TIMES ? [...times] : times.slice(0, FIRE_TIMES);
}

/** A run from its JSON form and what its store keeps beside it; throws saying why when the JSON is not one. */
export function runFromJSON(taskId: string, runId: string, endedAt: number, json: unknown): TaskRun {
  const value = json as Partial<TaskRunJSON> | null;
  const valid =
    typeof value === 'object' &&
    value !== null &&
    value.v === 1 &&
    Array.isArray(value.scheduledAt) &&
    value.scheduledAt.every((time) => typeof time === 'number') &&
    typeof value.instanceId === 'string' &&
    (value.duration === null || typeof value.duration === 'number') &&
    OUTCOMES.includes(value.outcome as RunOutcome) &&
    (value.error === undefined || (typeof value.error === 'object' && value.error !== null && typeof value.error.message === 'string')) &&
    (value.result === undefined || typeof value.result === 'string');
  if (!valid) throw new Error('it is not a run record of schema version 1');
  const run = value as TaskRunJSON;
  return {
    taskId,
    runId,
    scheduledAt: run.scheduledAt.map((time) => new Date(time)),
    instanceId: run.instanceId,
    startedAt: run.duration === null ? null : new Date(endedAt - Math.round(run.duration)),
    endedAt: new Date(endedAt),
    duration: run.duration,
    outcome: run.outcome,
    ...(run.error === undefined ? {} : { error: run.error }),
    ...(run.result === undefined ? {} : { result: run.result }),
  };
}
