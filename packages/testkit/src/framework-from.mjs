// `node --import <this file>`: when HORAE_FRAMEWORK_FROM names a folder, the imports of the
// packages listed in HORAE_FRAMEWORK_PACKAGES (comma-separated) resolve as if that folder's
// package made them, so that a child process of e.g. the express@4 project loads Express 4.
import { register } from 'node:module';

const from = process.env.HORAE_FRAMEWORK_FROM;
const packages = (process.env.HORAE_FRAMEWORK_PACKAGES ?? '').split(',').filter(Boolean);
if (from && packages.length > 0) register('./framework-from-hooks.mjs', import.meta.url, { data: { from, packages } });
