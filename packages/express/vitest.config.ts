import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/testkit', '@horae/dashboard') },
  test: {
    name: 'express',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // packages/express-express4 runs the same tests on Express 4.
    provide: { frameworkMajor: 5, frameworkFrom: null, frameworkPackages: null },
  },
});
