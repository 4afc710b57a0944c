// Module resolution hooks for ./framework-from.mjs.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let parentURL;
let names = [];

export function initialize({ from, packages }) {
  parentURL = pathToFileURL(join(from, 'package.json')).href;
  names = packages;
}

export function resolve(specifier, context, nextResolve) {
  const listed = names.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  return listed ? nextResolve(specifier, { ...context, parentURL }) : nextResolve(specifier, context);
}
