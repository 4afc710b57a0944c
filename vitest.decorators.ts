import { transform } from 'esbuild';
import type { Plugin } from 'vitest/config';

/**
 * Standard (TC39) decorators, as `@Scheduled` is, lowered for Node 20 in the files of the tests
 * that use them: Vite's own transform (Oxc) lowers only the legacy `experimentalDecorators` kind.
 * Users' builds do this with their own compiler (tsc, esbuild, swc); this is what the tests use.
 */
export const standardDecorators: Plugin = {
  name: 'horae:standard-decorators',
  enforce: 'pre',
  async transform(code, id) {
    if (!/\.[cm]?ts$/.test(id) || id.includes('/node_modules/') || !code.includes('@Scheduled(')) return null;
    const result = await transform(code, {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      sourcefile: id,
      sourcemap: true,
      tsconfigRaw: { compilerOptions: { experimentalDecorators: false, verbatimModuleSyntax: true } },
    });
    return { code: result.code, map: result.map };
  },
};
