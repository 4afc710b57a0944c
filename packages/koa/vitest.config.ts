import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/testkit', '@horae/dashboard') },
  test: {
    name: 'koa',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // packages/koa-koa2 runs the same tests on Koa 2.
    provide: { frameworkMajor: 3, frameworkFrom: null, frameworkPackages: null },
  },
});
