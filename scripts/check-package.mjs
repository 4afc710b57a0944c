// Run inside a package directory after its build: loads the CommonJS and the ESM entry points the
// way Node would for a user, and checks that both export the same names.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? '.');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const entry = manifest.exports['.'];
const required = createRequire(join(dir, 'package.json'))(join(dir, entry.require.default));
const imported = await import(pathToFileURL(join(dir, entry.import.default)).href);
const cjsNames = Object.keys(required).sort();
const esmNames = Object.keys(imported).filter((name) => name !== 'default').sort();
if (cjsNames.length === 0 || cjsNames.join() !== esmNames.join()) {
  console.error(`${manifest.name}: the CommonJS and ESM builds differ.\n  cjs: ${cjsNames.join(', ')}\n  esm: ${esmNames.join(', ')}`);
  process.exit(1);
}
console.log(`${manifest.name}: CommonJS and ESM builds load and export the same ${cjsNames.length} names.`);
