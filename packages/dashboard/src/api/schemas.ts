import { z } from '@hono/zod-openapi';
import { TASK_SORT_FIELDS } from './serialize.js';

// The one definition of each request and response: the routes validate requests with these
// schemas and the OpenAPI document is generated from them, so the two cannot drift.

const isoTime = z.string().openapi({ format: 'date-time', example: '2026-12-07T03:00:00.000Z' });
const storeAlias = z.string().min(1).openapi({ description: 'The alias of the store the task lives in (default: every store is searched).', example: 'default' });

export const TaskState = z.enum(['pending', 'scheduled', 'paused', 'running']).openapi('TaskState');
export const RunOutcome = z.enum(['succeeded', 'failed', 'interrupted', 'missed', 'skipped']).openapi('RunOutcome');

export const Run = z
  .object({
    taskId: z.string(),
    runId: z.string(),
    scheduledAt: z.array(isoTime).openapi({ description: 'The fire time(s) the run stands for (several when coalesced).' }),
    instanceId: z.string(),
    startedAt: isoTime.nullable(),
    endedAt: isoTime,
    duration: z.number().nullable().openapi({ description: 'Milliseconds; null when the run never started.' }),
    outcome: RunOutcome,
    error: z.object({ message: z.string(), code: z.string().optional(), stack: z.string().optional() }).optional(),
    result: z.string().optional().openapi({ description: 'The head of the JSON form of what the handler returned.' }),
  })
  .openapi('Run');

export const Task = z
  .object({
    id: z.string(),
    name: z.string(),
    handler: z.string(),
    trigger: z.string().openapi({ example: 'cron' }),
    triggerDescription: z.string().openapi({ example: "cron '0 3 * * *' (Europe/Berlin)" }),
    triggerOptions: z.record(z.string(), z.unknown()),
    executor: z.string(),
    store: z.string(),
    state: TaskState,
    nextRunTime: isoTime.nullable(),
    coalesce: z.boolean(),
    misfireGraceTime: z.number().nullable(),
    maxInstances: z.number().int(),
    jitter: z.number().nullable(),
    runningInstances: z.number().int(),
    lastRun: Run.nullable(),
  })
  .openapi('Task');

export const Counts = z.object({ pending: z.number().int(), scheduled: z.number().int(), paused: z.number().int(), running: z.number().int() }).openapi('Counts');

export const Instance = z
  .object({
    instanceId: z.string(),
    self: z.boolean().openapi({ description: 'Whether it is the process that answers.' }),
    hostname: z.string().nullable(),
    pid: z.number().int().nullable(),
    startedAt: isoTime.nullable(),
    aliveUntil: isoTime.nullable(),
    handlers: z.array(z.string()),
    stores: z.array(z.string()),
    runs: z.array(z.object({ taskId: z.string(), runId: z.string(), store: z.string(), scheduledAt: isoTime, expiresAt: isoTime.nullable() })),
  })
  .openapi('Instance');

export const Quarantined = z
  .object({ id: z.string(), store: z.string(), reason: z.string(), quarantinedAt: isoTime, nextRunTime: isoTime.nullable(), revision: z.number().int() })
  .openapi('QuarantinedTask');

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'TASK_NOT_FOUND' }),
      message: z.string(),
    }),
  })
  .openapi('Error');

export const Session = z
  .object({
    readOnly: z.boolean(),
    canMutate: z.boolean().openapi({ description: 'Whether this client may make changes (authorize allows "run").' }),
    identity: z.string().nullable(),
  })
  .openapi('Session');

export const Overview = z
  .object({
    counts: Counts.extend({ total: z.number().int() }),
    failures24h: z.number().int(),
    quarantined: z.number().int(),
    instances: z.number().int(),
    nextFires: z.array(Task),
    recentFailures: z.array(Run),
  })
  .openapi('Overview');

export const TaskListQuery = z
  .object({
    q: z.string().max(200).optional().openapi({ description: 'Case-insensitive text in the id, name, handler or trigger description.' }),
    store: storeAlias.optional(),
    state: TaskState.optional(),
    handler: z.string().optional(),
    trigger: z.string().optional().openapi({ description: "A trigger type ('cron') or class name ('CronTrigger')." }),
    sort: z.enum(TASK_SORT_FIELDS).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional().openapi({ type: 'integer', description: 'Tasks per page, 1 to 200 (default 50).' }),
    cursor: z.string().max(2_000).optional().openapi({ description: 'The nextCursor of the page before.' }),
  })
  .strict();

export const TaskList = z.object({ tasks: z.array(Task), total: z.number().int(), counts: Counts, nextCursor: z.string().nullable() }).openapi('TaskList');

export const TaskParams = z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: 'nightly-export' }) });
export const StoreQuery = z.object({ store: storeAlias.optional() }).strict();

export const RunsQuery = z
  .object({
    store: storeAlias.optional(),
    limit: z.coerce.number().int().min(1).max(200).optional().openapi({ type: 'integer', description: 'Runs, 1 to 200 (default 50).' }),
    before: isoTime.optional().openapi({ description: 'Only runs that ended before this time (the endedAt of the last run shown).' }),
  })
  .strict();

export const TaskDetail = z.object({ task: Task, nextFireTimes: z.array(isoTime), args: z.unknown() }).openapi('TaskDetail');
export const TaskResult = z.object({ task: Task.nullable() }).openapi('TaskResult');
export const Runs = z.object({ runs: z.array(Run) }).openapi('Runs');

export const TriggerBody = z
  .object({
    trigger: z
      .object({ type: z.string().min(1).openapi({ example: 'cron' }) })
      .catchall(z.unknown())
      .openapi({
        description: "A trigger as options, the form addTask takes: { type: 'cron', expression, timezone }, { type: 'interval', minutes }, { type: 'date', runAt }...",
        example: { type: 'cron', expression: '0 3 * * *', timezone: 'Europe/Berlin' },
      }),
  })
  .strict()
  .openapi('TriggerChange');

export const Preview = z.object({ description: z.string(), nextFireTimes: z.array(isoTime) }).openapi('Preview');
export const Rescheduled = z.object({ task: Task, nextFireTimes: z.array(isoTime) }).openapi('Rescheduled');
export const QuarantineList = z.object({ tasks: z.array(Quarantined) }).openapi('QuarantineList');
export const InstanceList = z.object({ instances: z.array(Instance) }).openapi('InstanceList');
