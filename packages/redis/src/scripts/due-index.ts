/**
 * The due index's check by counting and the steps of its repair, which `../due-index.ts` runs.
 */
import { script } from './prelude.js';

/**
 * Checks the due index by counting, in O(1): every row is either scheduled (in the due index) or
 * paused (in the paused set), so HLEN tasks = ZCARD due + SCARD paused while the index is whole.
 * When the counts disagree, takes the repair lock for the caller (one replica repairs at a time).
 *
 * KEYS: tasks, due, paused, repair lock. ARGV: lock token, lock lifetime ms.
 * Returns { rows, indexed, paused, verdict }: verdict "consistent", "repair" (the caller holds the
 * lock now and should repair) or "busy" (another replica holds it).
 */
export const CHECK_INDEX = script(
  'check-index',
  `
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'set', 4, 'string')
if wrong then return wrong end
local rows, indexed, paused = redis.call('HLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('SCARD', KEYS[3])
local verdict = 'consistent'
if rows ~= indexed + paused then
  verdict = 'busy'
  if redis.call('SET', KEYS[4], ARGV[1], 'NX', 'PX', ARGV[2]) then verdict = 'repair' end
end
return { rows, indexed, paused, verdict }
`,
);

/**
 * One step of a repair: reads up to about `count` rows with HSCAN from `cursor` and puts each in
 * its place: a scheduled row missing from the due index is indexed again at its next run time (or,
 * while under a live claim, at the claim's expiry, as a claim leaves it); a paused row is taken
 * out of the index and recorded in the paused set; an unreadable row goes to the quarantine.
 * Entries already in the index keep their scores (claims move them). Each step is atomic and
 * short, so Redis serves other clients between steps, and concurrent writes keep their own rows
 * in place.
 *
 * KEYS: tasks, due, paused, claims, quarantine, repair lock. ARGV: cursor, count, lock token,
 * lock lifetime ms.
 * Returns { next cursor, { indexed ids }, { ids of paused rows taken out of the index },
 * { ids recorded as paused }, { ids no longer recorded as paused }, { id, reason, ... quarantined } }.
 */
export const REPAIR_ROWS = script(
  'repair-rows',
  `
local tasks, due, paused, claims, held, lock = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'set', 4, 'hash', 5, 'hash', 6, 'string')
if wrong then return wrong end
if redis.call('GET', lock) == ARGV[3] then redis.call('PEXPIRE', lock, ARGV[4]) end
local step = redis.call('HSCAN', tasks, ARGV[1], 'COUNT', ARGV[2])
local found = step[2]
local indexed, unindexed, recorded, unrecorded, quarantined = {}, {}, {}, {}, {}
local now = nil
for i = 1, #found, 2 do
  local id, raw = found[i], found[i + 1]
  local row, next_run, why = decode_row(raw)
  if not row then
    now = now or now_ms()
    local reason = unreadable(why)
    quarantine(tasks, due, claims, held, paused, id, raw, reason, now)
    table.insert(quarantined, id)
    table.insert(quarantined, reason)
  elseif next_run == nil then
    if redis.call('ZREM', due, id) == 1 then table.insert(unindexed, id) end
    if redis.call('SADD', paused, id) == 1 then table.insert(recorded, id) end
  else
    if redis.call('SREM', paused, id) == 1 then table.insert(unrecorded, id) end
    if not redis.call('ZSCORE', due, id) then
      now = now or now_ms()
      local score = next_run
      local claim_expiry = decode_claim(redis.call('HGET', claims, id))
      if claim_expiry and claim_expiry > now then score = math.max(next_run, claim_expiry) end
      redis.call('ZADD', due, num(score), id)
      table.insert(indexed, id)
    end
  end
end
return { step[1], indexed, unindexed, recorded, unrecorded, quarantined }
`,
);

/**
 * One step of a repair's second pass, when counting still disagrees after every row was put in
 * place: removes entries of the due index (ARGV mode "due", with ZSCAN) or of the paused set
 * (mode "paused", with SSCAN) whose row no longer exists.
 *
 * KEYS: tasks, due, paused, repair lock. ARGV: mode, cursor, count, lock token, lock lifetime ms.
 * Returns { next cursor, { removed ids } }.
 */
export const REPAIR_ENTRIES = script(
  'repair-entries',
  `
local tasks, due, paused, lock = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'set', 4, 'string')
if wrong then return wrong end
if redis.call('GET', lock) == ARGV[4] then redis.call('PEXPIRE', lock, ARGV[5]) end
local removed = {}
local step, stride, key, remove = nil, 1, paused, 'SREM'
if ARGV[1] == 'due' then
  step = redis.call('ZSCAN', due, ARGV[2], 'COUNT', ARGV[3])
  stride, key, remove = 2, due, 'ZREM'
else
  step = redis.call('SSCAN', paused, ARGV[2], 'COUNT', ARGV[3])
end
local found = step[2]
for i = 1, #found, stride do
  local id = found[i]
  if redis.call('HEXISTS', tasks, id) == 0 and redis.call(remove, key, id) == 1 then table.insert(removed, id) end
end
return { step[1], removed }
`,
);

/** Ends a repair: KEYS: repair lock. ARGV: lock token. Deletes the lock if it is still the caller's. */
export const END_REPAIR = script(
  'end-repair',
  `
local wrong = wrong_type(1, 'string')
if wrong then return wrong end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`,
);
