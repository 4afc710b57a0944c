import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig({
  ...packageBuild,
  // `.` runs wherever Fetch does (Node, Bun, Deno, Workers); `./node` needs Node's http types and @hono/node-server.
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  splitting: true,
});
