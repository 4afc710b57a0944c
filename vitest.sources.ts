import { fileURLToPath } from 'node:url';

/** The source entry of each workspace package that other packages' tests import. */
const SOURCES = {
  // Before '@horae/core': the first alias that matches wins, and '@horae/core' would also match
  // '@horae/core/store' (as '.../index.ts/store').
  '@horae/core/store': 'packages/core/src/store.ts',
  '@horae/core': 'packages/core/src/index.ts',
  '@horae/testkit': 'packages/testkit/src/index.ts',
  '@horae/redis': 'packages/redis/src/index.ts',
  '@horae/dashboard': 'packages/dashboard/src/index.ts',
} as const;

/**
 * Vite aliases that resolve workspace packages to their sources, so that a package's tests run
 * against the sources of what it imports, not their builds (one copy of core, no build first).
 * `@horae/core` brings `@horae/core/store` along, in the order Vite needs.
 *
 * @example
 * ```ts
 * export default defineProject({ resolve: { alias: sourceAliases('@horae/core', '@horae/testkit') } });
 * ```
 */
export function sourceAliases(...packages: (keyof typeof SOURCES)[]): Record<string, string> {
  const names = packages.includes('@horae/core') ? ['@horae/core/store', ...packages] : packages;
  const aliases: Record<string, string> = {};
  for (const name of Object.keys(SOURCES) as (keyof typeof SOURCES)[]) {
    if (names.includes(name)) aliases[name] = fileURLToPath(new URL(SOURCES[name], import.meta.url));
  }
  return aliases;
}
