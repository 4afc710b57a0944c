import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Node built-ins imported without the `node:` prefix (cron-parser does) are left to the runtime, prefixed. */
const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(build) {
    const names = new RegExp(`^(${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);
    build.onResolve({ filter: names }, ({ path }) => ({ path: `node:${path}`, external: true }));
  },
};

/**
 * Bundles a test app from the sources (core and this package, not their builds), as a user's
 * bundler (wrangler, `bun build`) would: ES modules, standard decorators lowered, node: built-ins
 * left to the runtime. Returns the bundle's path.
 */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [source(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    external: ['node:*'],
    plugins: [nodeBuiltins],
    alias: { '@horae/core': source('../../../core/src/index.ts'), '@horae/hono': source('../../src/index.ts') },
    tsconfigRaw: { compilerOptions: { experimentalDecorators: false } },
    logLevel: 'silent',
  });
  const dir = await mkdtemp(join(tmpdir(), 'horae-hono-'));
  const file = join(dir, 'app.mjs');
  await writeFile(file, result.outputFiles[0]!.text);
  return file;
}
