import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const consumers = fileURLToPath(new URL('./dist-consumers/', import.meta.url));
const built = ['index.js', 'index.cjs', 'schedule.js', 'schedule.cjs'].every((file) => existsSync(dist + file));
const how = 'build it first: `pnpm --filter @horae/nestjs build` (CI runs `pnpm build` before the tests)';

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
  describe('the built package (dist), with no decorator metadata emitted by the build', () => {
    for (const [format, file] of [['cjs', 'app.cjs'], ['esm', 'app.mjs']] as const) {
      it(`works in a ${format === 'cjs' ? 'CommonJS' : 'ES module'} Nest application: @Scheduled, injection, the drop-in`, async () => {
        const { stdout } = await run(process.execPath, [consumers + file], { cwd: consumers, timeout: 50_000 });
        expect(JSON.parse(stdout.trim())).toEqual({
          format,
          scheduledRuns: true,
          injectedScheduler: true,
          taskIds: ['Ticker.tick'],
          cronRuns: true,
          cronJobActive: true,
          nextDateIsLuxon: true,
        });
      });
    }
  });
}
