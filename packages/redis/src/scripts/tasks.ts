/**
 * The scripts that write task rows: add one or many, replace, delete, remove all. Each keeps every
 * row in exactly one of the due index and the paused set, and announces its change on the store's
 * channel.
 */
import { script } from './prelude.js';

/**
 * KEYS: tasks, due, claims, seq, paused. ARGV: id, next run time ("null" or a number), revision,
 * payload as a JSON string, seal as a JSON string ("" for none), channel, message. Returns 1, or
 * 0 when the id exists.
 */
export const ADD = script(
  'add',
  `
local tasks, due, claims, seq, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'counter', 5, 'set')
if wrong then return wrong end
local id, next_run = ARGV[1], ARGV[2]
if redis.call('HEXISTS', tasks, id) == 1 then return 0 end
redis.call('HSET', tasks, id, encode_row(next_run, ARGV[3], num(redis.call('INCR', seq)), ARGV[4], ARGV[5]))
redis.call('HDEL', claims, id)
index_row(due, paused, id, next_run)
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`,
);

/**
 * Adds the tasks whose ids are free, in one step; the others are left as they are.
 * KEYS: tasks, due, claims, seq, paused. ARGV: channel, message, then per task the five row values
 * of {@link ADD}: id, next run time, revision, payload, seal. Returns the ids that existed.
 */
export const ADD_MANY = script(
  'add-many',
  `
local tasks, due, claims, seq, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'counter', 5, 'set')
if wrong then return wrong end
local count = (#ARGV - 2) / 5
local ids = {}
for i = 1, count do ids[i] = ARGV[3 + (i - 1) * 5] end
-- one HMGET per slice instead of an HSETNX per task: far fewer calls into Redis
local taken = {}
for first = 1, count, 1000 do
  local found = redis.call('HMGET', tasks, unpack(ids, first, math.min(first + 999, count)))
  for offset = 1, #found do
    if found[offset] then taken[ids[first + offset - 1]] = true end
  end
end
local first_seq = redis.call('INCRBY', seq, count) - count
local existing, added, rows, scores, scheduled, held = {}, {}, {}, {}, {}, {}
for i = 1, count do
  local at = 3 + (i - 1) * 5
  local id, next_run = ARGV[at], ARGV[at + 1]
  if taken[id] then
    existing[#existing + 1] = id
  else
    -- an id given twice: the first one wins, as with one add after another
    taken[id] = true
    added[#added + 1] = id
    rows[#rows + 1] = id
    rows[#rows + 1] = encode_row(next_run, ARGV[at + 2], num(first_seq + i), ARGV[at + 3], ARGV[at + 4])
    if next_run == 'null' then
      held[#held + 1] = id
    else
      scores[#scores + 1] = next_run
      scores[#scores + 1] = id
      scheduled[#scheduled + 1] = id
    end
  end
end
call_in_slices('HSET', tasks, rows, 2000)
call_in_slices('HDEL', claims, added, 1000)
call_in_slices('ZADD', due, scores, 2000)
call_in_slices('SREM', paused, scheduled, 1000)
call_in_slices('ZREM', due, held, 1000)
call_in_slices('SADD', paused, held, 1000)
if #added > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return existing
`,
);

/**
 * Replaces a task whatever claim it is under (the claim ends, so its release is refused), keeping
 * its place among equal run times. KEYS and ARGV as {@link ADD}. Returns 1, or 0 when missing.
 */
export const UPDATE = script(
  'update',
  `
local tasks, due, claims, seq, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'counter', 5, 'set')
if wrong then return wrong end
local id, next_run = ARGV[1], ARGV[2]
local raw = redis.call('HGET', tasks, id)
if not raw then return 0 end
local old = decode_row(raw)
local order = row_seq(old) or num(redis.call('INCR', seq))
redis.call('HSET', tasks, id, encode_row(next_run, ARGV[3], order, ARGV[4], ARGV[5]))
redis.call('HDEL', claims, id)
index_row(due, paused, id, next_run)
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`,
);

/** KEYS: tasks, due, claims, paused. ARGV: id, channel, message. Returns 1, or 0 when missing. */
export const DELETE = script(
  'delete',
  `
local tasks, due, claims, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'set')
if wrong then return wrong end
local id = ARGV[1]
if redis.call('HDEL', tasks, id) == 0 then return 0 end
redis.call('ZREM', due, id)
redis.call('SREM', paused, id)
redis.call('HDEL', claims, id)
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`,
);

/** KEYS: tasks, due, claims, paused. ARGV: channel, message. Quarantine and run leases stay. */
export const REMOVE_ALL = script(
  'remove-all',
  `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`,
);
