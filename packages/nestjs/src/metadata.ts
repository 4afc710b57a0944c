import { errors } from './messages.js';

/**
 * Declarations live on the method function under `Symbol.for` keys rather than in
 * reflect-metadata's store: no dependence on the polyfill's load order, and two copies of this
 * package (its CommonJS and ES module builds) read each other's declarations.
 */
export function defineMethodMetadata(method: unknown, key: symbol, value: unknown[]): void {
  if (typeof method !== 'function') throw errors.notAMethod();
  Object.defineProperty(method, key, { value, configurable: true, enumerable: false, writable: false });
}

export function readMethodMetadata<T>(method: unknown, key: symbol): T[] {
  if (typeof method !== 'function') return [];
  const value = (method as unknown as Record<symbol, unknown>)[key];
  return Array.isArray(value) ? (value as T[]) : [];
}
