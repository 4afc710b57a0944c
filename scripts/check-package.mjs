// Run inside a package directory after its build: loads the CommonJS and the ESM build of every
// entry point the way Node would for a user, and checks that both export the same names (or, for
// an ES-modules-only entry, that it loads and exports something); and that the package's LICENSE
// (a committed copy, shipped in its tarball) is the repository's.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? '.');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const require = createRequire(join(dir, 'package.json'));
let failed = false;

for (const [subpath, entry] of Object.entries(manifest.exports)) {
  if (typeof entry !== 'object') continue;
  const name = subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`;
  if (entry.require === undefined) {
    // ES modules only (@horae/testkit): it loads, and exports something.
    const imported = await import(pathToFileURL(join(dir, entry.import?.default ?? entry.default)).href);
    const esmNames = Object.keys(imported).filter((key) => key !== 'default');
    if (esmNames.length === 0) {
      console.error(`${name}: the ESM build exports nothing.`);
      failed = true;
    } else {
      console.log(`${name}: the ESM build loads and exports ${esmNames.length} names (no CommonJS build).`);
    }
    continue;
  }
  const required = require(join(dir, entry.require.default));
  const imported = await import(pathToFileURL(join(dir, entry.import.default)).href);
  const cjsNames = Object.keys(required).sort();
  const esmNames = Object.keys(imported).filter((key) => key !== 'default').sort();
  if (cjsNames.length === 0 || cjsNames.join() !== esmNames.join()) {
    console.error(`${name}: the CommonJS and ESM builds differ.\n  cjs: ${cjsNames.join(', ')}\n  esm: ${esmNames.join(', ')}`);
    failed = true;
  } else {
    console.log(`${name}: CommonJS and ESM builds load and export the same ${cjsNames.length} names.`);
  }
}

// A copy per package rather than a copy made at pack time: every way of packing ships it.
if (readFileSync(join(dir, 'LICENSE'), 'utf8') !== readFileSync(join(dir, '../../LICENSE'), 'utf8')) {
  console.error(`${manifest.name}: LICENSE differs from the repository's; copy ../../LICENSE over it.`);
  failed = true;
}
if (!manifest.files.includes('LICENSE')) {
  console.error(`${manifest.name}: "files" does not list LICENSE.`);
  failed = true;
}
if (failed) process.exit(1);
