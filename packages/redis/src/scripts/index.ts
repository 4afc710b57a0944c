/**
 * The Lua scripts behind every change RedisStore makes. Each runs atomically on the server in one
 * round trip, so of several instances racing for one task exactly one wins, whatever their
 * clocks say: every lease is measured on Redis's own clock (`TIME`), never the caller's.
 *
 * Every key a script touches is passed in KEYS (none is built inside a script), so that on Redis
 * Cluster the client routes the script to the node owning them; they all carry one hash tag, so
 * that node owns them all.
 */
export type { Script } from './prelude.js';
export { CLAIM_DUE, CLAIM_ONE, DISPATCH } from './claims.js';
export { BEAT_INSTANCE, LIST_INSTANCES, LIST_RUN_LEASES } from './cluster.js';
export { CHECK_INDEX, END_REPAIR, REPAIR_ENTRIES, REPAIR_ROWS } from './due-index.js';
export { ADD_RUNS, READ_RUNS } from './history.js';
export { QUARANTINE, RESTORE } from './quarantine.js';
export { ACQUIRE_RUN, RELEASE_RUNS, RENEW_RUNS, TAKE_EXPIRED_RUNS } from './run-leases.js';
export { ADD, ADD_MANY, DELETE, REMOVE_ALL, UPDATE } from './tasks.js';
