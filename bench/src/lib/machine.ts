/** Readings of the machine and of installed packages, shared by the benchmarks against servers. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * A server's URL from the environment variable `variable`, which must be set, use one of
 * `protocols` (`'redis:'`, …) and point at this machine: the benchmarks flood their servers and
 * delete what they made there, so they never touch a remote one.
 */
export function localServerUrl(variable: string, protocols: readonly string[]): string {
  const url = process.env[variable];
  if (url === undefined || url === '') {
    throw new Error(`${variable} is not set: run \`bash scripts/services.sh up && source .services/env\` from the repository root first.`);
  }
  const { hostname, protocol } = new URL(url);
  if (!protocols.includes(protocol) || !LOCAL_HOSTS.has(hostname)) {
    throw new Error(`${variable} must be a ${protocols[0]!}// URL on this machine (127.0.0.1 or localhost), not ${url}.`);
  }
  return url;
}

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

/** Clock ticks per second of /proc's process times (USER_HZ: 100 on Linux for x86 and arm). */
const TICKS_PER_S = 100;

/** A process's [user + system time, what it reaped of its children], clock ticks, and its parent's pid; undefined once gone. */
function processTimes(pid: string): { own: number; reaped: number; parent: string } | undefined {
  try {
    // The fields after the command name, which is in parentheses and may contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return { own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]), parent: fields[1]! };
  } catch {
    return undefined;
  }
}

/** The parent of a process on this machine, or undefined. */
export function parentPid(pid: number): number | undefined {
  const times = processTimes(String(pid));
  return times === undefined ? undefined : Number(times.parent);
}

/**
 * CPU time (user + system) that a server process on this machine and its children have used so
 * far, ms: its own, its running children's, and what it reaped of those that exited (a PostgreSQL
 * backend's time moves to the postmaster when the connection closes). NaN when it is not visible.
 */
export function processTreeCpuMs(rootPid: number): number {
  const root = processTimes(String(rootPid));
  if (root === undefined) return NaN;
  let ticks = root.own + root.reaped;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const child = processTimes(pid);
    if (child !== undefined && child.parent === String(rootPid)) ticks += child.own;
  }
  return (ticks * 1000) / TICKS_PER_S;
}
