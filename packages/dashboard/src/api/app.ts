import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessVariables } from '../access.js';

/** The dashboard's Hono app, with what its middleware set for the handlers. */
export type DashboardApp = OpenAPIHono<{ Variables: AccessVariables }>;
