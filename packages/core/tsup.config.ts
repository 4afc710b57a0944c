import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig({
  ...packageBuild,
  // `./store` is the store authors' entry: a subset of `.`, for stores' imports.
  entry: { index: 'src/index.ts', store: 'src/store.ts' },
  // One copy of the shared modules behind both entry points, in the CommonJS build too, so that
  // `HoraeError` (and every module-level state) is the same object whichever entry loaded it.
  splitting: true,
});
