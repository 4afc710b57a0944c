import { frameworkVersionProject } from '../testkit/src/framework-version.js';
import express from '../express/vitest.config.js';

/**
 * The tests of @horae/express (packages/express/test) against Express 4: the same files, with
 * every `express` import of the tests and of the sources resolved from this package's
 * devDependencies. A test checks which major each process loaded.
 */
export default frameworkVersionProject(express, {
  name: 'express@4',
  from: import.meta.url,
  root: new URL('../express/', import.meta.url).href,
  packages: ['express'],
  major: 4,
});
