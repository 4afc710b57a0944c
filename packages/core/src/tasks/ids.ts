import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_IDS = 256;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let next = POOL_IDS;

/**
 * A new task id: 128 random bits in URL-safe base64, 22 characters (shorter than a UUID, which
 * counts with 100,000 tasks in memory). Random bytes are drawn 256 ids at a time, as Node does
 * for `randomUUID`, since one system call per id would make adding tasks twice as slow.
 */
export function newTaskId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = next++ * ID_BYTES;
  return pool.toString('base64url', start, start + ID_BYTES);
}
