import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig({
  ...packageBuild,
  // `.` runs everywhere Hono does (Node, Bun, Deno, Workers); `./node` needs @hono/node-server.
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  splitting: true,
});
