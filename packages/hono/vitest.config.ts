import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/testkit', '@horae/dashboard') },
  test: {
    name: 'hono',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    provide: { frameworkMajor: 4, frameworkFrom: null, frameworkPackages: null },
  },
});
