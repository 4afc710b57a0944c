import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Tests run against the sources of core, not its build. The first alias that matches wins, and
    // '@horae/core' would also match '@horae/core/store' (as '.../index.ts/store'): store first.
    alias: {
      '@horae/core/store': source('../core/src/store.ts'),
      '@horae/core': source('../core/src/index.ts'),
    },
  },
  test: {
    name: 'testkit',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
