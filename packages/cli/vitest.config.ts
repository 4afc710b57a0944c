import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/redis', '@horae/mongodb') },
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
