import 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** The framework major this project's tests must load. */
    frameworkMajor: number;
    /** The package whose devDependencies hold that framework, for child processes; null: this one. */
    frameworkFrom: string | null;
    /** The framework's package names, comma-separated, for child processes. */
    frameworkPackages: string | null;
  }
}
