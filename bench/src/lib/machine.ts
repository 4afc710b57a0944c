/** Readings of the machine and of installed packages, shared by the benchmarks against servers. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Jiffies of the whole machine from /proc/stat: [busy, total]. */
export function cpuTimes(): [number, number] {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return [total - fields[3]! - fields[4]!, total];
}

/** The version of an installed package, found from its entry point up to its own package.json. */
export function packageVersion(specifier: string): string {
  let directory = dirname(fileURLToPath(import.meta.resolve(specifier)));
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === specifier && manifest.version !== undefined) return manifest.version;
    } catch {
      // not here; one level up
    }
    directory = dirname(directory);
  }
  return '?';
}
