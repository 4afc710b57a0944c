/**
 * The Lua scripts behind every change RedisStore makes. Each runs atomically on the server in one
 * round trip, so of several instances racing for one task exactly one wins, whatever their
 * clocks say: every lease is measured on Redis's own clock (`TIME`), never the caller's.
 *
 * Every key a script touches is passed in KEYS (none is built inside a script), so that on Redis
 * Cluster the client routes the script to the node owning them; they all carry one hash tag, so
 * that node owns them all.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for EVALSHA (the script body is sent only when the server lacks it). */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

/**
 * Helpers every script starts with.
 *
 * Numbers are formatted with `%.17g` before they reach `redis.call`: Lua would format them with
 * `%.14g`, which rounds an epoch-ms time with a fraction, and a revision past 10^14.
 */
const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function num(x)
  return string.format('%.17g', x)
end

-- A task row: {"nextRunTime": number|null, "revision": number, "seq": number, "payload": string,
-- "seal"?: string}.
-- Returns the row and its next run time (nil while paused), or nil and why it cannot be read.
local function decode_row(raw)
  local ok, row = pcall(cjson.decode, raw)
  if not ok then return nil, nil, 'it is not JSON (' .. tostring(row) .. ')' end
  if type(row) ~= 'table' then return nil, nil, 'it is not a JSON object' end
  local next_run = row.nextRunTime
  if next_run == cjson.null or next_run == nil then
    next_run = nil
  elseif type(next_run) ~= 'number' or next_run ~= next_run then
    return nil, nil, 'its nextRunTime is neither a number nor null'
  end
  if type(row.revision) ~= 'number' then return nil, nil, 'its revision is not a number' end
  if type(row.payload) ~= 'string' then return nil, nil, 'its payload is not a string' end
  if row.seal ~= nil and type(row.seal) ~= 'string' then return nil, nil, 'its seal is not a string' end
  return row, next_run, nil
end

-- The payload is re-encoded by cjson (which may write "/" as "\\/"): the same string once parsed.
-- The seal is JSON too, or '' for none.
local function encode_row(next_run_text, revision_text, seq_text, payload_json, seal_json)
  local seal = ''
  if seal_json ~= '' then seal = ',"seal":' .. seal_json end
  return '{"nextRunTime":' .. next_run_text .. ',"revision":' .. revision_text .. ',"seq":' .. seq_text .. ',"payload":' .. payload_json .. seal .. '}'
end

-- A row's seal as encode_row takes it.
local function row_seal(row)
  if type(row.seal) == 'string' then return cjson.encode(row.seal) end
  return ''
end

local function row_seq(row)
  if row and type(row.seq) == 'number' then return num(row.seq) end
  return nil
end

-- A claim is "<expiry ms>:<owner>"; the expiry has no colon, the owner may.
local function decode_claim(claim)
  if not claim then return nil, nil end
  local expiry, owner = string.match(claim, '^([^:]+):(.*)$')
  return tonumber(expiry), owner
end

local function quarantine_record(reason, at, raw)
  return '{"reason":' .. cjson.encode(reason) .. ',"quarantinedAt":' .. num(at) .. ',"row":' .. cjson.encode(raw) .. '}'
end

-- Takes a task out of scheduling into the quarantine, its row kept exactly as found.
local function quarantine(tasks, due, claims, held, paused, id, raw, reason, at)
  redis.call('HDEL', tasks, id)
  redis.call('ZREM', due, id)
  redis.call('SREM', paused, id)
  redis.call('HDEL', claims, id)
  redis.call('HSET', held, id, quarantine_record(reason, at, raw))
end

-- Every row is in exactly one of the due index (scheduled) and the paused set, so that the
-- store can check its index by counting: HLEN tasks = ZCARD due + SCARD paused.
local function index_row(due, paused, id, next_run_text)
  if next_run_text == 'null' then
    redis.call('ZREM', due, id)
    redis.call('SADD', paused, id)
  else
    redis.call('ZADD', due, next_run_text, id)
    redis.call('SREM', paused, id)
  end
end

-- Refuses to go on when a key holds another type than the store keeps there: Redis does not undo
-- what a script wrote before one of its commands failed, so every script that writes checks its
-- keys before its first write. Arguments: pairs of a KEYS index and the type kept there ('hash',
-- 'zset', 'set', or 'counter': a string holding an integer). A missing key is fine.
-- Returns nil, or an error reply "HORAE_WRONGTYPE <KEYS index> <expected> <found>".
local function wrong_type(...)
  local checks = { ... }
  for i = 1, #checks, 2 do
    local key, expected = KEYS[checks[i]], checks[i + 1]
    local found = redis.call('TYPE', key)['ok']
    local bad = found ~= 'none' and found ~= expected
    if expected == 'counter' then
      bad = found ~= 'none' and (found ~= 'string' or not tonumber(redis.call('GET', key)))
      if found == 'string' then found = 'non-integer-string' end
    end
    if bad then return redis.error_reply('HORAE_WRONGTYPE ' .. checks[i] .. ' ' .. expected .. ' ' .. found) end
  end
  return nil
end

local function unreadable(why)
  return 'its record in Redis cannot be read: ' .. why
end

-- Records a run lease if fewer than max_instances runs of the task hold live ones; true if it did.
local function acquire_run(runs, expiries, task_runs, task_id, run_id, record, max_instances, duration, now)
  local prefix = task_id .. '\\0'
  local live = 0
  for _, member in ipairs(redis.call('ZRANGEBYLEX', task_runs, '[' .. prefix, '(' .. task_id .. '\\1')) do
    local score = redis.call('ZSCORE', expiries, string.sub(member, #prefix + 1))
    if not score then
      -- released or reported already: only the index entry was left
      redis.call('ZREM', task_runs, member)
    elseif tonumber(score) > now then
      live = live + 1
    end
  end
  if live >= max_instances then return false end
  redis.call('HSET', runs, run_id, record)
  redis.call('ZADD', expiries, num(now + duration), run_id)
  redis.call('ZADD', task_runs, 0, prefix .. run_id)
  return true
end

-- Calls a command with many arguments in slices: Lua's unpack takes only so many at once.
local function call_in_slices(command, key, values, slice)
  for i = 1, #values, slice do
    redis.call(command, key, unpack(values, i, math.min(i + slice - 1, #values)))
  end
end
`;

function script(name: string, body: string): Script {
  const lua = `${PRELUDE}\n${body.trim()}\n`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

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
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', num(now), 'LIMIT', 0, limit - count)
  local fresh = false
  for _, id in ipairs(ids) do
    if not seen[id] then
      seen[id] = true
      fresh = true
      local raw = redis.call('HGET', tasks, id)
      if not raw then
        -- an index entry without its row: nothing to run
        redis.call('ZREM', due, id)
      else
        local row, next_run, why = decode_row(raw)
        local claim_expiry = decode_claim(redis.call('HGET', claims, id))
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
          redis.call('HSET', claims, id, lease)
          redis.call('ZADD', due, num(math.max(next_run, expiry)), id)
          table.insert(claimed, id)
          table.insert(claimed, raw)
          count = count + 1
        end
      end
    end
  end
  if not fresh then break end
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
local outcomes = {}
local now = nil
for at = 2, #ARGV, 10 do
  local id, owner, next_run, remove, run_id = ARGV[at], ARGV[at + 1], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local outcome = '0'
  local raw = redis.call('HGET', tasks, id)
  local _, claim_owner = decode_claim(raw and redis.call('HGET', claims, id))
  local row = raw and claim_owner == owner and decode_row(raw)
  if row and row.revision == tonumber(ARGV[at + 2]) then
    outcome = '1'
    if run_id ~= '' then
      now = now or now_ms()
      if acquire_run(runs, expiries, task_runs, id, run_id, ARGV[at + 6], tonumber(ARGV[at + 7]), tonumber(ARGV[at + 8]), now) then outcome = '2' end
    end
    redis.call('HDEL', claims, id)
    -- only a paused task claimed to run now has an entry in the paused set to remove
    local was_paused = row.nextRunTime == cjson.null or row.nextRunTime == nil
    if next_run == 'null' and remove == '1' then
      redis.call('HDEL', tasks, id)
      redis.call('ZREM', due, id)
      if was_paused then redis.call('SREM', paused, id) end
    else
      redis.call('HSET', tasks, id, encode_row(next_run, num(row.revision + 1), row_seq(row) or '0', cjson.encode(row.payload), ARGV[at + 9]))
      if next_run == 'null' then
        index_row(due, paused, id, 'null')
      else
        redis.call('ZADD', due, next_run, id)
        if was_paused then redis.call('SREM', paused, id) end
      end
    end
  end
  table.insert(outcomes, outcome)
end
local answer = table.concat(outcomes)
redis.call('SET', outcome_key, answer, 'PX', ARGV[1])
return answer
`,
);

/**
 * Records a run in progress if fewer than maxInstances runs of the task hold live leases.
 * KEYS: runs, run expiry, task runs. ARGV: task id, run id, lease JSON, maxInstances, duration ms.
 * Returns 1 when recorded, else 0.
 */
export const ACQUIRE_RUN = script(
  'acquire-run',
  `
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'zset')
if wrong then return wrong end
local acquired = acquire_run(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), now_ms())
if acquired then return 1 end
return 0
`,
);

/** KEYS: runs, run expiry. ARGV: owner, duration ms, run ids... Renews those the owner holds. */
export const RENEW_RUNS = script(
  'renew-runs',
  `
local runs, expiries = KEYS[1], KEYS[2]
local wrong = wrong_type(1, 'hash', 2, 'zset')
if wrong then return wrong end
local owner, duration = ARGV[1], tonumber(ARGV[2])
local expiry = num(now_ms() + duration)
for i = 3, #ARGV do
  local raw = redis.call('HGET', runs, ARGV[i])
  if raw then
    local ok, lease = pcall(cjson.decode, raw)
    if ok and type(lease) == 'table' and lease.owner == owner then
      redis.call('ZADD', expiries, 'XX', expiry, ARGV[i])
    end
  end
end
return 1
`,
);

/**
 * Gives run leases back. KEYS: runs, run expiry, task runs. ARGV: task id, run id, task id,
 * run id, ... A run id recorded for another task is left alone.
 */
export const RELEASE_RUNS = script(
  'release-runs',
  `
local runs, expiries, task_runs = KEYS[1], KEYS[2], KEYS[3]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'zset')
if wrong then return wrong end
for at = 1, #ARGV, 2 do
  local task_id, run_id = ARGV[at], ARGV[at + 1]
  local raw = redis.call('HGET', runs, run_id)
  local ok, lease = true, nil
  if raw then ok, lease = pcall(cjson.decode, raw) end
  if not (raw and ok and type(lease) == 'table' and lease.taskId ~= task_id) then
    redis.call('HDEL', runs, run_id)
    redis.call('ZREM', expiries, run_id)
    redis.call('ZREM', task_runs, task_id .. '\\0' .. run_id)
  end
end
return 1
`,
);

/**
 * Removes and returns run leases that expired by Redis's clock: in one script, so that each goes
 * to one caller only. KEYS: runs, run expiry, task runs. ARGV: limit. Returns the leases' JSON.
 */
export const TAKE_EXPIRED_RUNS = script(
  'take-expired-runs',
  `
local runs, expiries, task_runs = KEYS[1], KEYS[2], KEYS[3]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'zset')
if wrong then return wrong end
local taken = {}
for _, run_id in ipairs(redis.call('ZRANGEBYSCORE', expiries, '-inf', num(now_ms()), 'LIMIT', 0, tonumber(ARGV[1]))) do
  local raw = redis.call('HGET', runs, run_id)
  redis.call('ZREM', expiries, run_id)
  redis.call('HDEL', runs, run_id)
  if raw then
    local ok, lease = pcall(cjson.decode, raw)
    if ok and type(lease) == 'table' and type(lease.taskId) == 'string' then
      redis.call('ZREM', task_runs, lease.taskId .. '\\0' .. run_id)
    end
    table.insert(taken, raw)
  end
end
return taken
`,
);

/**
 * Moves a task to the quarantine with the reason, its row untouched. With a third ARGV, only if
 * the row is still exactly that (a row found unreadable by a reader, not changed meanwhile).
 * KEYS: tasks, due, claims, quarantine, paused. ARGV: id, reason[, expected row].
 * Returns 1 when moved, else 0.
 */
export const QUARANTINE = script(
  'quarantine',
  `
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'hash', 5, 'set')
if wrong then return wrong end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or (ARGV[3] and raw ~= ARGV[3]) then return 0 end
quarantine(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], raw, ARGV[2], now_ms())
return 1
`,
);

/**
 * Moves a quarantined task back, after reading its row again; a row still unreadable stays in the
 * quarantine with the new reason.
 * KEYS: tasks, due, claims, quarantine, seq, paused. ARGV: id, channel, message.
 * Returns { "restored" } | { "missing" } | { "conflict" } | { "unreadable", reason }.
 */
export const RESTORE = script(
  'restore',
  `
local tasks, due, claims, held, seq, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local wrong = wrong_type(1, 'hash', 2, 'zset', 3, 'hash', 4, 'hash', 5, 'counter', 6, 'set')
if wrong then return wrong end
local id = ARGV[1]
local record = redis.call('HGET', held, id)
if not record then return { 'missing' } end
if redis.call('HEXISTS', tasks, id) == 1 then return { 'conflict' } end
local ok, entry = pcall(cjson.decode, record)
-- a quarantine entry without its row (edited by hand) is itself what could not be read
local raw = record
if ok and type(entry) == 'table' and type(entry.row) == 'string' then raw = entry.row end
local row, next_run, why = decode_row(raw)
if not row then
  local reason = unreadable(why) .. ' (tried again when restored)'
  redis.call('HSET', held, id, quarantine_record(reason, now_ms(), raw))
  return { 'unreadable', reason }
end
local next_text = 'null'
if next_run ~= nil then next_text = num(next_run) end
redis.call('HSET', tasks, id, encode_row(next_text, num(row.revision), num(redis.call('INCR', seq)), cjson.encode(row.payload), row_seal(row)))
redis.call('HDEL', claims, id)
index_row(due, paused, id, next_text)
redis.call('HDEL', held, id)
redis.call('PUBLISH', ARGV[2], ARGV[3])
return { 'restored' }
`,
);

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
