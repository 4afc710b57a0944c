import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The real binaries of the `bun` and `deno` npm packages. Their install scripts, which pnpm does
 * not run, would only move or link the binary that the platform package already holds; their
 * `bin` wrappers must not be spawned (deno's does not pass signals on).
 */
const require = createRequire(import.meta.url);
const platform = `${process.platform}-${process.arch}`;

function inPlatformPackage(main: string, platformPackage: string, file: string): string | undefined {
  try {
    const mainDir = dirname(require.resolve(`${main}/package.json`));
    const path = join(dirname(createRequire(join(mainDir, 'package.json')).resolve(`${platformPackage}/package.json`)), file);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export const runtimeBinaries = {
  bun: () => inPlatformPackage('bun', `@oven/bun-${platform}`, 'bin/bun'),
  deno: () => inPlatformPackage('deno', `@deno/${platform}-glibc`, 'deno'),
};
