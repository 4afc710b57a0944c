import type { Options } from 'tsup';

/** How every published package is built: ESM and CommonJS, with types, for Node 20. */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Class names are part of the API (getTaskInfos({ trigger: 'CronTrigger' }), error names).
  keepNames: true,
};
