import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject, mergeConfig, type Plugin } from 'vitest/config';
import nestjs from '../nestjs/vitest.config.js';

/**
 * The tests of @horae/nestjs (packages/nestjs/test), run against Nest 12: the same files and
 * setup as the `nestjs` project, with every `@nestjs/*` import of the tests and of the package's
 * sources resolved from this package's devDependencies (Nest 12) instead of packages/nestjs's
 * (Nest 11). Nest's own imports of each other go through pnpm's peer links, which point at the
 * same Nest 12 copies, so the sources, @nestjs/testing and @nestjs/core share one @nestjs/common.
 * test/nest-version.test.ts checks which Nest each project loaded.
 */
const NEST_PACKAGE = /^(@nestjs\/(?:common|core|testing|platform-express|schedule))(\/.*)?$/;
const here = fileURLToPath(new URL('./package.json', import.meta.url));

/** The folder of the package `name` that holds `file`. */
function packageRoot(file: string, name: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`nestjs@nest12: no package.json of ${name} above ${file}`);
}

const nest12: Plugin = {
  name: 'horae:nest12',
  enforce: 'pre',
  async resolveId(source, _importer, options) {
    const match = NEST_PACKAGE.exec(source);
    if (match === null) return null;
    // As if this package imported it: its node_modules hold Nest 12.
    const resolved = await this.resolve(source, here, { ...options, skipSelf: true });
    if (resolved !== null) return resolved;
    // Nest 12's @nestjs/testing does not export ./package.json; the version test reads it anyway.
    const [, name, subpath] = match as unknown as [string, string, string | undefined];
    if (subpath === '/package.json') {
      const entry = await this.resolve(name, here, { ...options, skipSelf: true });
      if (entry !== null) return join(packageRoot(entry.id, name), 'package.json');
    }
    // Never fall back to packages/nestjs's Nest 11: that would pass without testing Nest 12.
    throw new Error(`nestjs@nest12: ${source} does not resolve from packages/nestjs-nest12; add it to its devDependencies.`);
  },
};

export default defineProject(
  mergeConfig(nestjs, {
    plugins: [nest12],
    test: {
      name: 'nestjs@nest12',
      root: fileURLToPath(new URL('../nestjs/', import.meta.url)),
      // Tests in child processes learn where Nest 12 is from nestPackage: test/dist.test.ts
      // installs the built package beside it, and the tsx-run fixtures of test/sigterm.test.ts and
      // test/replicas.test.ts resolve @nestjs/* from it (test/fixtures/nest-from.mjs).
      provide: { nestMajor: 12, nestPackage: fileURLToPath(new URL('.', import.meta.url)) },
    },
  }),
);
