import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig([
  // shims: import.meta.url (the package's version is read beside it) in the CommonJS build too.
  { ...packageBuild, shims: true },
  // The executable: ES module only, with its shebang (kept from src/cli.ts).
  { ...packageBuild, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false },
]);
