import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const dist = join(PACKAGE, 'dist/');
const consumers = fileURLToPath(new URL('./dist-consumers/', import.meta.url));
const built = ['index.js', 'index.cjs', 'schedule.js', 'schedule.cjs'].every((file) => existsSync(dist + file));
const how = 'build it first: `pnpm --filter @horae/nestjs build` (CI runs `pnpm build` before the tests)';

/** The folder of the package `name` that holds `file`. */
function packageRoot(file: string, name: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`no package.json of ${name} above ${file}`);
}

/**
 * A folder where the built package is installed beside the Nest of `nestPackage` (for the
 * nestjs@nest12 project): its package.json and dist copied into node_modules/@horae/nestjs, so
 * that its own `require('@nestjs/common')` finds that Nest, and the consumers beside it.
 */
async function installBesideNest(nestPackage: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'horae-nest-dist-'));
  const modules = join(root, 'node_modules');
  await cp(join(PACKAGE, 'package.json'), join(modules, '@horae/nestjs/package.json'));
  await cp(dist, join(modules, '@horae/nestjs/dist'), { recursive: true });
  const link = async (name: string, from: string) => {
    const target = packageRoot(createRequire(join(from, 'package.json')).resolve(name), name);
    await mkdir(dirname(join(modules, name)), { recursive: true });
    await symlink(target, join(modules, name), 'dir');
  };
  for (const name of ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs']) await link(name, nestPackage);
  for (const name of ['@horae/core', 'luxon']) await link(name, PACKAGE);
  await cp(consumers, root, { recursive: true });
  return root;
}

if (!built && process.env.CI === 'true') {
  describe('the built package', () => {
    it('is built', () => {
      throw new Error(`packages/nestjs/dist is missing: ${how}.`);
    });
  });
} else if (!built) {
  console.warn(`\n*** @horae/nestjs: dist/ is missing, so the tests of the BUILT package are SKIPPED; ${how}. ***\n`);
  describe.skip('the built package (skipped: dist/ is missing)', () => {
    it('works in CommonJS and ES module apps', () => undefined);
  });
} else {
  const nestMajor = inject('nestMajor');
  const nestPackage = inject('nestPackage');
  let installed: string | undefined;
  const where = async () => (nestPackage === null ? consumers : (installed ??= await installBesideNest(nestPackage)));
  afterAll(async () => {
    if (installed !== undefined) await rm(installed, { recursive: true, force: true });
  });

  describe(`the built package (dist) on Nest ${nestMajor}, with no decorator metadata emitted by the build`, () => {
    for (const [format, file] of [['cjs', 'app.cjs'], ['esm', 'app.mjs']] as const) {
      it(`works in a ${format === 'cjs' ? 'CommonJS' : 'ES module'} Nest application: @Scheduled, injection, the drop-in`, async () => {
        const cwd = await where();
        const { stdout } = await run(process.execPath, [join(cwd, file)], { cwd, timeout: 50_000 });
        expect(JSON.parse(stdout.trim())).toEqual({
          format,
          scheduledRuns: true,
          injectedScheduler: true,
          taskIds: ['Ticker.tick'],
          cronRuns: true,
          cronJobActive: true,
          nextDateIsLuxon: true,
          nestMajor,
        });
      });
    }
  });
}
