/**
 * `@horae/cli`: the `horae` command. This entry exports what config files and scripts use.
 *
 * @packageDocumentation
 */
export { defineConfig, type HoraeConfig } from './connect.js';
export { main } from './program.js';
export { EXIT } from './exit.js';
