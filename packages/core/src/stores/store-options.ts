import { errors } from '../errors/index.js';
import { checkKeys } from '../options/keys.js';

/**
 * Checks the options given to a store's constructor: an unknown key is an `INVALID_OPTION` error
 * naming the nearest valid one, and `encryptionKey` (which the scheduler takes, not the store)
 * is refused with where it belongs, so that records are never written in clear by mistake.
 *
 * @example
 * ```ts
 * constructor(options: MyStoreOptions) {
 *   checkStoreOptions('MyStore', options, ['url', 'table', 'pollInterval']);
 * }
 * ```
 * @public
 */
export function checkStoreOptions(storeClass: string, options: object, allowed: readonly string[]): void {
  if (Object.hasOwn(options, 'encryptionKey')) throw errors.encryptionKeyMoved(storeClass);
  checkKeys(`the ${storeClass} options`, options, allowed);
}
