/**
 * Claims and their releases: taking due tasks (or one given task) under a lease on Redis's clock,
 * and handing a claimed batch back with each fire's run lease (DISPATCH).
 */
import { script } from './prelude.js';

/**
 * Claims up to `limit` tasks due by Redis's clock, earliest first, under a lease that expires at
 * Redis time now + duration. A claimed task's score becomes the later of its next run time and
 * that expiry: nobody sees it as due until the lease runs out. Unreadable rows met on the way go
 * to the quarantine.
 *
 * KEYS: tasks, due, claims, quarantine, paused. ARGV: owner, duration ms, limit.
 * Returns { { id, row, id, row, ... }, { id, reason, ... } }: the claimed and the quarantined.
 */
export const CLAIM_DUE = script(
  'claim-due',
  `
local tasks, due, claims, held, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'hash', 5, 'set')
if wrong then return wrong end
local owner, duration, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local expiry = now + duration
local lease = num(expiry) .. ':' .. owner
local claimed, quarantined = {}, {}
local count = 0
local seen = {}
while count < limit do
  local fresh = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', num(now), 'LIMIT', 0, limit - count)) do
    if not seen[id] then
      seen[id] = true
      table.insert(fresh, id)
    end
  end
  if #fresh == 0 then break end
  -- A batch's rows and claims in two reads, its claims and new scores in two writes.
  local raws, leases = hmget_many(tasks, fresh), hmget_many(claims, fresh)
  local writes = pending_writes()
  for index, id in ipairs(fresh) do
    local raw = raws[index]
    if not raw then
      -- an index entry without its row: nothing to run
      redis.call('ZREM', due, id)
    else
      local row, next_run, why = decode_row(raw)
      local claim_expiry = decode_claim(leases[index])
      if not row then
        local reason = unreadable(why)
        quarantine(tasks, due, claims, held, paused, id, raw, reason, now)
        table.insert(quarantined, id)
        table.insert(quarantined, reason)
      elseif next_run == nil then
        -- paused: it has no place in the index
        index_row(due, paused, id, 'null')
      elseif claim_expiry and claim_expiry > now then
        -- under a live claim, yet indexed as due: put it back where the claim says
        redis.call('ZADD', due, num(math.max(next_run, claim_expiry)), id)
      elseif count < limit then
        pend(writes, 'HSET', claims, id, lease)
        pend(writes, 'ZADD', due, num(math.max(next_run, expiry)), id)
        table.insert(claimed, id)
        table.insert(claimed, raw)
        count = count + 1
      end
    end
  end
  -- Before the next look at the index: the claimed tasks are no longer due there.
  flush_writes(writes)
end
return { claimed, quarantined }
`,
);

/**
 * Claims one task whatever its next run time ("run now"), unless it is under a live claim.
 * KEYS: tasks, due, claims, quarantine, paused. ARGV: id, owner, duration ms.
 * Returns { "claimed", row } | { "none" } | { "quarantined", reason }.
 */
export const CLAIM_ONE = script(
  'claim-one',
  `
local tasks, due, claims, held, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'hash', 5, 'set')
if wrong then return wrong end
local id, owner, duration = ARGV[1], ARGV[2], tonumber(ARGV[3])
local raw = redis.call('HGET', tasks, id)
if not raw then return { 'none' } end
local now = now_ms()
local row, next_run, why = decode_row(raw)
if not row then
  local reason = unreadable(why)
  quarantine(tasks, due, claims, held, paused, id, raw, reason, now)
  return { 'quarantined', reason }
end
local claim_expiry = decode_claim(redis.call('HGET', claims, id))
if claim_expiry and claim_expiry > now then return { 'none' } end
local expiry = now + duration
redis.call('HSET', claims, id, num(expiry) .. ':' .. owner)
if next_run ~= nil then redis.call('ZADD', due, num(math.max(next_run, expiry)), id) end
return { 'claimed', raw }
`,
);

/**
 * Hands back a batch of claimed tasks. For each, only while the claim is the caller's and the
 * task's revision is the claimed one: records its run lease (when it has a run, and fewer than
 * maxInstances runs hold live leases), commits its next run time and ends the claim, or deletes
 * the finished task. Others learn of the new run times by their poll, or by the claim's expiry
 * they already know: a release never moves a run time earlier, so nobody is woken for it.
 *
 * Idempotent: the outcome is kept for a while under the batch's own key, so the very same batch
 * sent again (by a client that resends a command whose reply was lost with its connection) is
 * answered alike, instead of refused, which would make the scheduler skip fires whose schedules
 * already moved on.
 *
 * KEYS: tasks, due, claims, runs, run expiry, task runs, the batch's outcome key, paused.
 * ARGV: outcome lifetime ms, then per task 10 values: id, owner, claimed revision, next run time
 * ("null" or a number), remove when finished ("1" or "0"), run id ("" for no run), run lease
 * JSON, maxInstances, run lease duration ms, the new seal as JSON ("" for none).
 * Returns one digit per task: 0 refused, 1 released, 2 released with its run lease.
 */
export const DISPATCH = script(
  'dispatch',
  `
local tasks, due, claims, runs, expiries, task_runs, outcome_key, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local known = redis.call('GET', outcome_key)
if known then return known end
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'hash', 5, 'zset', 6, 'zset', 8, 'set')
if wrong then return wrong end
local ids = {}
for at = 2, #ARGV, 10 do table.insert(ids, ARGV[at]) end
-- The batch's rows and claims in two reads; its writes collected and sent at the end, one
-- command per key (see pending_writes).
local raws, leases = hmget_many(tasks, ids), hmget_many(claims, ids)
local writes = pending_writes()
local done = {}
local outcomes = {}
local now = nil
for index, id in ipairs(ids) do
  local at = 2 + (index - 1) * 10
  local owner, next_run, remove, run_id = ARGV[at + 1], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local raw, claim = raws[index], leases[index]
  if done[id] then
    -- The same task twice in one batch: the second sees what the first wrote.
    flush_writes(writes)
    raw = redis.call('HGET', tasks, id)
    claim = raw and redis.call('HGET', claims, id)
  end
  done[id] = true
  local outcome = '0'
  local _, claim_owner = decode_claim(raw and claim)
  local row = raw and claim_owner == owner and decode_row(raw)
  if row and row.revision == tonumber(ARGV[at + 2]) then
    outcome = '1'
    if run_id ~= '' then
      now = now or now_ms()
      if acquire_run(runs, expiries, task_runs, id, run_id, ARGV[at + 6], tonumber(ARGV[at + 7]), tonumber(ARGV[at + 8]), now, writes) then outcome = '2' end
    end
    pend(writes, 'HDEL', claims, id)
    -- only a paused task claimed to run now has an entry in the paused set to remove
    local was_paused = row.nextRunTime == cjson.null or row.nextRunTime == nil
    if next_run == 'null' and remove == '1' then
      pend(writes, 'HDEL', tasks, id)
      pend(writes, 'ZREM', due, id)
      if was_paused then pend(writes, 'SREM', paused, id) end
    else
      pend(writes, 'HSET', tasks, id, encode_row(next_run, num(row.revision + 1), row_seq(row) or '0', cjson.encode(row.payload), ARGV[at + 9]))
      if next_run == 'null' then
        pend(writes, 'ZREM', due, id)
        pend(writes, 'SADD', paused, id)
      else
        pend(writes, 'ZADD', due, next_run, id)
        if was_paused then pend(writes, 'SREM', paused, id) end
      end
    end
  end
  table.insert(outcomes, outcome)
end
flush_writes(writes)
local answer = table.concat(outcomes)
redis.call('SET', outcome_key, answer, 'PX', ARGV[1])
return answer
`,
);
