import { fileURLToPath } from 'node:url';

/** The source entry of each workspace package that other packages' tests import. */
const SOURCES = {
  // Before '@horae/core': the first alias that matches wins, and '@horae/core' would also match
  // '@horae/core/store' (as '.../index.ts/store').
  '@horae/core/store': 'packages/core/src/store.ts',
  '@horae/core': 'packages/core/src/index.ts',
  '@horae/testkit': 'packages/testkit/src/index.ts',
  '@horae/redis': 'packages/redis/src/index.ts',
  '@horae/mongodb': 'packages/mongodb/src/index.ts',
  // Before '@horae/dashboard', as '@horae/core/store' before '@horae/core'.
  '@horae/dashboard/node': 'packages/dashboard/src/node.ts',
  '@horae/dashboard': 'packages/dashboard/src/index.ts',
} as const;

/**
 * Vite aliases that resolve workspace packages to their sources, so that a package's tests run
 * against the sources of what it imports, not their builds (one copy of core, no build first).
 * `@horae/core` brings `@horae/core/store` along and `@horae/dashboard` its `/node` entry, in the
 * order Vite needs.
 *
 * @example
 * ```ts
 * export default defineProject({ resolve: { alias: sourceAliases('@horae/core', '@horae/testkit') } });
 * ```
 */
export function sourceAliases(...packages: (keyof typeof SOURCES)[]): Record<string, string> {
  const names: string[] = [...packages];
  if (packages.includes('@horae/core')) names.push('@horae/core/store');
  if (packages.includes('@horae/dashboard')) names.push('@horae/dashboard/node');
  const aliases: Record<string, string> = {};
  for (const name of Object.keys(SOURCES) as (keyof typeof SOURCES)[]) {
    if (names.includes(name)) aliases[name] = fileURLToPath(new URL(SOURCES[name], import.meta.url));
  }
  return aliases;
}
