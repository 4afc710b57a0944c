import { copyFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

/** `'./name.ext'` string literals: files a module refers to beside itself. */
const SIBLING = /['"]\.\/([\w.-]+\.(?:ts|js|mjs))['"]/g;

/**
 * The suites start child processes with files found beside them (`new URL('./child-process.ts',
 * import.meta.url)`, run with `node --import tsx`), which the bundle cannot contain: copies each
 * file the bundle names that way into dist/, with the files those name in turn (tsx resolves
 * `./x.js` to `./x.ts`, as the copies rely on). A name with no file in src/ fails the build.
 */
async function copyChildFiles(): Promise<void> {
  const bundle = await readFile('dist/index.js', 'utf8');
  const pending = [...bundle.matchAll(/new URL\(['"]\.\/([\w.-]+)['"], import\.meta\.url\)/g)].map((match) => match[1]!);
  const copied = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    const file = existsSync(`src/${name}`) ? name : name.replace(/\.js$/, '.ts');
    if (copied.has(file)) continue;
    if (!existsSync(`src/${file}`)) throw new Error(`@horae/testkit build: the bundle refers to ./${name}, which is not in src/.`);
    await copyFile(`src/${file}`, `dist/${file}`);
    copied.add(file);
    for (const match of (await readFile(`src/${file}`, 'utf8')).matchAll(SIBLING)) pending.push(match[1]!);
  }
}

export default defineConfig({
  ...packageBuild,
  // ES modules only: vitest, which the suites import, cannot be loaded with require().
  format: ['esm'],
  onSuccess: copyChildFiles,
});
