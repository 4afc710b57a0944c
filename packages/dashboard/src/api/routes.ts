import { createRoute, type z } from '@hono/zod-openapi';
import { guard } from '../access.js';
import * as s from './schemas.js';

// Each endpoint once: its path, what it validates, what it answers, and the action the access
// check asks `authorize` about. The handlers are in the files beside this one.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(s.ErrorBody, 'The request does not fit this endpoint (an unknown or invalid parameter).'),
  403: json(s.ErrorBody, 'Refused: not authorized, read-only, not from loopback without authorize, or a change from another origin.'),
};
const taskErrors = { ...errors, 404: json(s.ErrorBody, 'No task with this id (in this store).') };
const body = { body: { required: true, content: { 'application/json': { schema: s.TriggerBody } } } };

export const session = createRoute({
  method: 'get',
  path: '/api/session',
  summary: 'What this client may do',
  middleware: [guard('read')] as const,
  responses: { 200: json(s.Session, 'Whether changes are possible for this client.'), ...errors },
});

export const overview = createRoute({
  method: 'get',
  path: '/api/overview',
  summary: 'Counts by state, failures in the last 24 hours, the next fires',
  middleware: [guard('read')] as const,
  responses: { 200: json(s.Overview, 'The overview.'), ...errors },
});

export const listTasks = createRoute({
  method: 'get',
  path: '/api/tasks',
  summary: 'Tasks: filtered, searched, sorted and paged',
  middleware: [guard('read')] as const,
  request: { query: s.TaskListQuery },
  responses: { 200: json(s.TaskList, 'One page of tasks.'), ...errors, 422: json(s.ErrorBody, 'An invalid cursor.') },
});

export const getTask = createRoute({
  method: 'get',
  path: '/api/tasks/{id}',
  summary: 'One task, its next 10 fire times and its arguments',
  middleware: [guard('read')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery },
  responses: { 200: json(s.TaskDetail, 'The task.'), ...taskErrors },
});

export const taskRuns = createRoute({
  method: 'get',
  path: '/api/tasks/{id}/runs',
  summary: "A task's run history, newest first (a deleted task's runs stay readable until they age out: an unknown id has none)",
  middleware: [guard('read')] as const,
  request: { params: s.TaskParams, query: s.RunsQuery },
  responses: { 200: json(s.Runs, 'The runs.'), ...errors, 404: json(s.ErrorBody, 'No store with this alias.') },
});

const taskAction = (action: 'run' | 'pause' | 'resume', summary: string) =>
  createRoute({
    method: 'post',
    path: `/api/tasks/{id}/${action}`,
    summary,
    middleware: [guard(action)] as const,
    request: { params: s.TaskParams, query: s.StoreQuery },
    responses: { 200: json(s.TaskResult, 'The task afterwards (null when a finished schedule was removed).'), ...taskErrors, 409: json(s.ErrorBody, 'The scheduler cannot do it now.') },
  });

export const runTask = taskAction('run', 'Run a task now');
export const pauseTask = taskAction('pause', 'Pause a task');
export const resumeTask = taskAction('resume', 'Resume a task');

export const previewReschedule = createRoute({
  method: 'post',
  path: '/api/tasks/{id}/reschedule/preview',
  summary: 'The next fire times a new trigger would give, without saving it',
  middleware: [guard('read')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery, ...body },
  responses: { 200: json(s.Preview, 'The preview.'), ...taskErrors, 422: json(s.ErrorBody, 'An invalid trigger.') },
});

export const reschedule = createRoute({
  method: 'post',
  path: '/api/tasks/{id}/reschedule',
  summary: "Change a task's trigger",
  middleware: [guard('reschedule')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery, ...body },
  responses: { 200: json(s.Rescheduled, 'The task with its new schedule.'), ...taskErrors, 422: json(s.ErrorBody, 'An invalid trigger.') },
});

export const deleteTask = createRoute({
  method: 'delete',
  path: '/api/tasks/{id}',
  summary: 'Delete a task',
  middleware: [guard('delete')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery },
  responses: { 204: { description: 'Deleted.' }, ...taskErrors },
});

export const listQuarantine = createRoute({
  method: 'get',
  path: '/api/quarantine',
  summary: 'Records that could not be read or run, with the reason',
  middleware: [guard('read')] as const,
  request: { query: s.StoreQuery },
  responses: { 200: json(s.QuarantineList, 'The quarantine.'), ...errors },
});

export const restoreQuarantined = createRoute({
  method: 'post',
  path: '/api/quarantine/{id}/restore',
  summary: 'Put a quarantined record back to be scheduled',
  middleware: [guard('restore')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery },
  responses: { 200: json(s.TaskResult, 'The task, or null when it went back to the quarantine.'), ...taskErrors },
});

export const discardQuarantined = createRoute({
  method: 'delete',
  path: '/api/quarantine/{id}',
  summary: 'Delete a quarantined record for good',
  middleware: [guard('discard')] as const,
  request: { params: s.TaskParams, query: s.StoreQuery },
  responses: { 204: { description: 'Discarded.' }, ...taskErrors },
});

export const instances = createRoute({
  method: 'get',
  path: '/api/instances',
  summary: 'The scheduler instances alive on the shared stores, and the runs they hold now',
  middleware: [guard('read')] as const,
  responses: { 200: json(s.InstanceList, 'The instances.'), ...errors },
});

export const events = createRoute({
  method: 'get',
  path: '/api/events',
  summary: "Server-sent events: this process's scheduler events, and `refresh` every few seconds for what other replicas did",
  middleware: [guard('read')] as const,
  responses: { 200: { content: { 'text/event-stream': { schema: { type: 'string' } } }, description: 'The event stream.' }, ...errors },
});
