/**
 * A key of the store that holds another type than the store keeps there (an operator's `SET`, a
 * tool writing under the same prefix) becomes a typed `STORE_UNAVAILABLE` error naming the key and
 * the fix, instead of Redis's bare `WRONGTYPE`. The scripts check their keys' types before their
 * first write (Redis does not undo a script's writes when a later command fails), so such a call
 * has written nothing.
 */
import type { HoraeError } from '@horae/core/store';
import { errors } from './messages.js';

/** The types the scripts check for, and what Redis's TYPE may report, in words. */
const KINDS: Readonly<Record<string, string>> = {
  hash: 'a hash',
  zset: 'a sorted set',
  set: 'a set',
  string: 'a string',
  counter: 'a counter (a string holding an integer)',
  'non-integer-string': 'a string that is not an integer',
  list: 'a list',
  stream: 'a stream',
};

const kind = (type: string): string => KINDS[type] ?? `a value of type "${type}"`;

/** What the error says about one store's keys. */
export interface KeyContext {
  /** The store's alias. */
  readonly alias: string;
  /** Keys the store rebuilds from its task rows (the due index, the paused set). */
  readonly rebuilt: readonly string[];
  /** How often the store checks its due index, ms. */
  readonly indexCheckInterval: number;
}

/** The typed error for `key` holding `found` where the store keeps `expected` (types as Redis names them). */
export function wrongTypeError(context: KeyContext, key: string, expected: string, found: string): HoraeError {
  const rebuiltEvery = context.rebuilt.includes(key) ? context.indexCheckInterval : undefined;
  return errors.wrongType(context.alias, key, kind(found), kind(expected), rebuiltEvery);
}

/**
 * The typed error for a script's "HORAE_WRONGTYPE <KEYS index> <expected> <found>" reply, given
 * the keys the script was called with; any other error as it is.
 */
export function scriptError(context: KeyContext, error: unknown, keys: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  const match = /^HORAE_WRONGTYPE (\d+) (\S+) (\S+)/.exec(error.message);
  const key = match === null ? undefined : keys[Number(match[1]) - 1];
  if (match === null || key === undefined) return error;
  return wrongTypeError(context, key, match[2]!, match[3]!);
}

/** Whether `error` is Redis's own WRONGTYPE reply to a plain command. */
export function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}
