import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // Tests run against the sources of core, not its build.
    alias: { '@horae/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)) },
  },
  test: {
    name: 'testkit',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
