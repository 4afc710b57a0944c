import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Tests run against the sources of core and redis, not their builds: one copy of core.
    alias: {
      // First: '@horae/core' would also match '@horae/core/store' (as '.../index.ts/store').
      '@horae/core/store': source('../core/src/store.ts'),
      '@horae/core': source('../core/src/index.ts'),
      '@horae/redis': source('../redis/src/index.ts'),
    },
  },
  test: {
    name: 'nestjs',
    // Nest e2e tests live in test/, beside their fixture modules. Decorator metadata comes from
    // tsconfig.json (experimentalDecorators + emitDecoratorMetadata), which Vite's transform reads.
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // The Nest major these tests must load (test/nest-version.test.ts checks it). Here: the
    // devDependencies of this package; packages/nestjs-nest12 runs the same tests on Nest 12.
    provide: { nestMajor: 11, nestPackage: null },
  },
});
