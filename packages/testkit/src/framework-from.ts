import { fileURLToPath } from 'node:url';

/** The loader (`node --import`) that makes a child process resolve a framework from another package (./framework-from.mjs). */
export const FRAMEWORK_FROM = fileURLToPath(new URL('./framework-from.mjs', import.meta.url));
