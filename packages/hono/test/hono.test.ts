import { fileURLToPath } from 'node:url';
import { dashboard } from '@horae/dashboard';
import { adapterConformance, dashboardConformance, type AdapterFixture } from '@horae/testkit';
import { inject as provided } from 'vitest';
import { frameworkVersion, inject, serve } from './contract-app.js';

const fixture: AdapterFixture = {
  name: `Hono ${provided('frameworkMajor')} on @hono/node-server`,
  module: fileURLToPath(new URL('./contract-app.ts', import.meta.url)),
  serve,
  inject,
  frameworkMajor: provided('frameworkMajor'),
  frameworkVersion,
};

adapterConformance(fixture);
dashboardConformance(fixture, dashboard);
