import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // Tests run against the sources of core and testkit, not their builds: one copy of core.
    alias: {
      // First: '@horae/core' would also match '@horae/core/store' (as '.../index.ts/store').
      '@horae/core/store': fileURLToPath(new URL('../core/src/store.ts', import.meta.url)),
      '@horae/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
      '@horae/testkit': fileURLToPath(new URL('../testkit/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: 'redis',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
