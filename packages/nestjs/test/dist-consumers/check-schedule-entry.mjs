// check:package for the second entry point: the CommonJS and ES module builds of
// @horae/nestjs/schedule load and export the same names (scripts/check-package.mjs checks ".").
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve('.');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const entry = manifest.exports['./schedule'];
const required = createRequire(join(dir, 'package.json'))(join(dir, entry.require.default));
const imported = await import(pathToFileURL(join(dir, entry.import.default)).href);
const cjs = Object.keys(required).sort();
const esm = Object.keys(imported).filter((name) => name !== 'default').sort();
if (cjs.length === 0 || cjs.join() !== esm.join()) {
  console.error(`${manifest.name}/schedule: the CommonJS and ESM builds differ.\n  cjs: ${cjs.join(', ')}\n  esm: ${esm.join(', ')}`);
  process.exit(1);
}
console.log(`${manifest.name}/schedule: CommonJS and ESM builds load and export the same ${cjs.length} names.`);
