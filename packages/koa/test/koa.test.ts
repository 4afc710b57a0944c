import { fileURLToPath } from 'node:url';
import { dashboard } from '@horae/dashboard';
import { adapterConformance, dashboardConformance, FRAMEWORK_FROM, type AdapterFixture } from '@horae/testkit';
import { inject } from 'vitest';
import { frameworkVersion, serve } from './contract-app.js';

const from = inject('frameworkFrom');

const fixture: AdapterFixture = {
  name: `Koa ${inject('frameworkMajor')}`,
  module: fileURLToPath(new URL('./contract-app.ts', import.meta.url)),
  serve,
  frameworkMajor: inject('frameworkMajor'),
  frameworkVersion,
  nodeArgs: from === null ? [] : ['--import', FRAMEWORK_FROM],
  env: from === null ? {} : { HORAE_FRAMEWORK_FROM: from, HORAE_FRAMEWORK_PACKAGES: inject('frameworkPackages')! },
};

adapterConformance(fixture);
dashboardConformance(fixture, dashboard);
