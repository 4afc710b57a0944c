import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Class names are part of the API (store names in logs and in getTaskInfos), as in @horae/core.
  keepNames: true,
  // Peers stay imports: the application's own ioredis and @horae/core are used, never a copy.
  external: ['ioredis', '@horae/core'],
});
