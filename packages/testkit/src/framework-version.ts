import { fileURLToPath } from 'node:url';
import { defineProject, mergeConfig, type Plugin, type UserWorkspaceConfig } from 'vitest/config';

/**
 * A vitest project that runs another package's tests against another major of its framework:
 * the same files, with every import of `packages` (by the tests and by the sources) resolved from
 * the devDependencies of the package at `from` (a `file:` URL of its config). Child processes get
 * the same through {@link FRAMEWORK_FROM} and the provided `frameworkFrom` / `frameworkPackages`.
 *
 * @example
 * ```ts
 * export default frameworkVersionProject(express, { name: 'express@4', from: import.meta.url, root: new URL('../express/', import.meta.url).href, packages: ['express'], major: 4 });
 * ```
 */
export function frameworkVersionProject(
  base: UserWorkspaceConfig,
  options: { name: string; from: string; root: string; packages: readonly string[]; major: number },
): UserWorkspaceConfig {
  const here = fileURLToPath(new URL('./package.json', options.from));
  const plugin: Plugin = {
    name: `horae:${options.name}`,
    enforce: 'pre',
    async resolveId(source, _importer, resolveOptions) {
      if (!options.packages.some((name) => source === name || source.startsWith(`${name}/`))) return null;
      const resolved = await this.resolve(source, here, { ...resolveOptions, skipSelf: true });
      // Never fall back to the other package's version: that would pass without testing this one.
      if (resolved === null) throw new Error(`${options.name}: ${source} does not resolve from ${here}; add it to its devDependencies.`);
      return resolved;
    },
  };
  return defineProject(
    mergeConfig(base, {
      plugins: [plugin],
      test: {
        name: options.name,
        root: fileURLToPath(new URL('.', options.root)),
        provide: { frameworkMajor: options.major, frameworkFrom: fileURLToPath(new URL('.', options.from)), frameworkPackages: options.packages.join(',') },
      },
    }),
  );
}
