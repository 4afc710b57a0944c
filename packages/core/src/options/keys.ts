import { errors } from '../errors/index.js';

/** Edit distance, for suggesting the option a misspelt key meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The allowed key closest to `key` (case first, then spelling), if any is close enough. */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  const folded = allowed.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (folded !== undefined) return folded;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Refuses keys an options object given by code does not know: a misspelt option silently
 * ignored changes behaviour (a secret written in clear, a task that runs at once), so it is an
 * `INVALID_OPTION` error naming the key and the nearest valid one. Records read back from a store
 * are not checked this way: they stay lenient for forward compatibility.
 *
 * @example
 * ```ts
 * checkKeys('bindLifecycle options', options, ['signals', 'shutdownTimeout']);
 * ```
 */
export function checkKeys(where: string, options: object, allowed: readonly string[], taskId?: string): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    throw errors.unknownOption(taskId, where, key, nearestKey(key, allowed), allowed);
  }
}
