#!/usr/bin/env node
import { main } from './program.js';

// Exits as soon as the command is done: a store client left reconnecting must not keep it alive.
process.exit(await main(process.argv));
