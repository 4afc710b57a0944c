/**
 * `@horae/dashboard`: a web UI and JSON API over a Horae scheduler's tasks, runs, quarantine and
 * instances, as a Fetch API handler.
 *
 * @packageDocumentation
 */
export { dashboard, type Dashboard } from './dashboard.js';
export type { AuditEntry, Authorization, AuthorizeContext, DashboardAction, DashboardOptions } from './options.js';
