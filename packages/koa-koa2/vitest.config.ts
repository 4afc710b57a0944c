import { frameworkVersionProject } from '../testkit/src/framework-version.js';
import koa from '../koa/vitest.config.js';

/**
 * The tests of @horae/koa (packages/koa/test) against Koa 2: the same files, with every `koa`
 * import of the tests and of the sources resolved from this package's devDependencies. A test
 * checks which major each process loaded.
 */
export default frameworkVersionProject(koa, {
  name: 'koa@2',
  from: import.meta.url,
  root: new URL('../koa/', import.meta.url).href,
  packages: ['koa'],
  major: 2,
});
