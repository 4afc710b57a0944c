import 'vitest';

// What the vitest projects of this package provide to the tests (vitest.config.ts here, and
// packages/nestjs-nest12/vitest.config.ts).
declare module 'vitest' {
  interface ProvidedContext {
    /** The Nest major the project's tests must run on (11: `nestjs`, 12: `nestjs@nest12`). */
    nestMajor: number;
    /** A package whose dependencies hold that Nest, for tests in child processes; `null`: this one. */
    nestPackage: string | null;
  }
}
