import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/testkit', '@horae/redis') },
  test: {
    name: 'dashboard',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
