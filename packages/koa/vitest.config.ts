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
    name: 'koa',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // packages/koa-koa2 runs the same tests on Koa 2.
    provide: { frameworkMajor: 3, frameworkFrom: null, frameworkPackages: null },
  },
});
