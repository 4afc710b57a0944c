/**
 * `@horae/nestjs/dashboard`: the Horae dashboard in a Nest application (needs `@horae/dashboard`).
 *
 * @packageDocumentation
 */
export { HoraeDashboardModule, type HoraeDashboardModuleOptions } from './horae-dashboard.module.js';
