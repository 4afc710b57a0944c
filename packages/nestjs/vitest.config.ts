import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.sources.js';

export default defineProject({
  resolve: { alias: sourceAliases('@horae/core', '@horae/redis', '@horae/testkit', '@horae/dashboard') },
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
