import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', schedule: 'src/schedule/index.ts', dashboard: 'src/dashboard/index.ts' },
  // One copy of the shared modules behind both entry points, in the CommonJS build too.
  splitting: true,
  // esbuild reads experimentalDecorators from here; it emits no decorator metadata, which is why
  // every constructor parameter in src/ names its token with @Inject (see the dist tests).
  tsconfig: 'tsconfig.build.json',
});
