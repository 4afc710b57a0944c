#!/usr/bin/env node
import { main } from './program.js';

const code = await main(process.argv);
// Exits as soon as the output is out (a pipe takes it asynchronously): a store client left
// reconnecting must not keep the process alive.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
