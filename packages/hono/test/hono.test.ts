import { fileURLToPath } from 'node:url';
import { adapterConformance } from '@horae/testkit';
import { inject as provided } from 'vitest';
import { frameworkVersion, inject, serve } from './contract-app.js';

adapterConformance({
  name: `Hono ${provided('frameworkMajor')} on @hono/node-server`,
  module: fileURLToPath(new URL('./contract-app.ts', import.meta.url)),
  serve,
  inject,
  frameworkMajor: provided('frameworkMajor'),
  frameworkVersion,
});
