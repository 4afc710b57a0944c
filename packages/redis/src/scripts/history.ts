/**
 * The run history: a task's only run in a hash shared by all tasks, its runs in a sorted set of
 * its own (scored by their end) once it has more than one. See `history.ts` for why.
 */
import { script } from './prelude.js';

/**
 * Adds runs. A task's run goes to the current lone-runs hash when the task has no other (every
 * run of a one-shot task): a field in a hash costs Redis a fraction of a sorted set and its expiry
 * made for one run. A task with more runs keeps them in its sorted set, cut to the `perTask`
 * newest at every write and expiring `ttl` (a little more than the history's `maxAge`) after a
 * write; its lone run moves there, and its field in the current hash becomes `''` (a marker: its
 * runs are in its set). A hash is current for `ttl` (on Redis's clock); then the other one, whose
 * fields are all at least `ttl` old, is emptied and becomes current: a lone run stays between `ttl`
 * and twice `ttl`.
 *
 * Markers only save work: a task found in neither hash whose set exists anyway (its marker gone
 * with its hash, or the set written by an earlier version) is found by one `EXISTS` over all such
 * sets of the batch (then `TYPE` for each), and its runs go to its set. A key of another type
 * stops the script with the store's wrong-type error; the runs added to sets before it stay, and
 * adding them again when the batch is retried changes nothing (a run is one member).
 *
 * Each command costs Redis about as much as the work it does, so each set gets as few as its case
 * needs (the caller says, per set, whether this store set its expiry lately):
 * - a set whose expiry this store set lately, and that still lasts `maxAge` (`k`): not looked up
 *   in the hashes, trimmed, and its expiry left unless the trim removed nothing (which is also how
 *   a set deleted meanwhile and made again by this `ZADD` gets one). Two commands a run.
 * - any other (`n`): `PEXPIRE ... NX` (Redis 7) tells a new set (every set this script writes gets
 *   an expiry in the same step), which needs no trim unless more than `perTask` runs came at
 *   once; a set that was there is trimmed and its expiry set.
 *
 * KEYS: the generation, the two lone-runs hashes, then the history set of each task. ARGV:
 * perTask, ttl ms, the length of the sets' keys before the task id, one letter per set (`k` or
 * `n`), then per set: its number of runs, then per run: its end, its member. Returns the KEYS
 * indexes of the `n` sets that were there before (written again soon, they are likely a busy
 * task's).
 */
export const ADD_RUNS = script(
  'add-runs',
  `
local per_task = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local prefix_length = tonumber(ARGV[3])
local lately = ARGV[4]
local has_nx = (redis.REDIS_VERSION_NUM or 0) >= 0x070000
local FIRST_SET = 4

local bad = wrong_type(1, 'string', 2, 'hash', 3, 'hash')
if bad then return bad end

local now = now_ms()
local started, current = now, 0
local generation = redis.call('GET', KEYS[1])
if generation then
  local at, which = string.match(generation, '^(%d+):([01])$')
  if at then started, current = tonumber(at), tonumber(which) end
end
if now - started >= ttl then
  current = 1 - current
  redis.call('UNLINK', KEYS[2 + current])
  started = now
end
redis.call('SET', KEYS[1], num(started) .. ':' .. current, 'PX', num(2 * ttl))
local here, there = KEYS[2 + current], KEYS[3 - current]

-- Tasks whose set this store wrote lately (k) go to it. The others are looked up in the current
-- hash, and those not there in the other one: a marker or a lone run sends a task to its set, as
-- do several runs at once; a task found nowhere has its first run, unless its set exists anyway.
-- Plain arrays by the task's position n: a table per task would cost Redis more than the rest.
-- starts[n]: where task n's run count is in ARGV (its runs follow, up to the next task's).
local starts, ids, to_set, looked, unknown, moved, marked, lone = {}, {}, {}, {}, {}, {}, {}, {}
local at = 5
for n = 1, #KEYS - FIRST_SET + 1 do
  starts[n] = at
  at = at + 1 + 2 * tonumber(ARGV[at])
  if string.byte(lately, n) == 107 then -- k
    to_set[#to_set + 1] = n
  else
    ids[n] = string.sub(KEYS[FIRST_SET + n - 1], prefix_length + 1)
    looked[#looked + 1] = n
  end
end
starts[#starts + 1] = at

local function look_up(hash, tasks)
  local names = {}
  for i, n in ipairs(tasks) do names[i] = ids[n] end
  if #names == 0 then return {} end
  return redis.call('HMGET', hash, unpack(names))
end
local missing = {}
for i, found in ipairs(look_up(here, looked)) do
  local n = looked[i]
  if found then
    marked[n] = found == ''
    if found ~= '' then lone[n] = found end
    to_set[#to_set + 1] = n
  else
    missing[#missing + 1] = n
  end
end
for i, found in ipairs(look_up(there, missing)) do
  local n = missing[i]
  if found and found ~= '' then
    lone[n] = found
    moved[#moved + 1] = ids[n]
  end
  if found or starts[n + 1] - starts[n] > 3 then to_set[#to_set + 1] = n else unknown[#unknown + 1] = n end
end
if #unknown > 0 then
  local sets = {}
  for i, n in ipairs(unknown) do sets[i] = KEYS[FIRST_SET + n - 1] end
  if redis.call('EXISTS', unpack(sets)) > 0 then
    local alone = {}
    for _, n in ipairs(unknown) do
      local index = FIRST_SET + n - 1
      local found = redis.call('TYPE', KEYS[index])['ok']
      if found == 'none' then alone[#alone + 1] = n
      elseif found == 'zset' then to_set[#to_set + 1] = n
      else return redis.error_reply('HORAE_WRONGTYPE ' .. index .. ' zset ' .. found) end
    end
    unknown = alone
  end
end

-- Adds a lone run ("<end>:<member>") to a set; 1 if it did. '' is a marker, not a run; a run
-- that cannot be read is dropped with its field.
local function add_lone(key, lone)
  local colon = lone and string.find(lone, ':', 1, true)
  local ended = colon and tonumber(string.sub(lone, 1, colon - 1))
  if not ended then return 0 end
  redis.call('ZADD', key, num(ended), string.sub(lone, colon + 1))
  return 1
end

local existed = {}
for _, n in ipairs(to_set) do
  local index = FIRST_SET + n - 1
  local key = KEYS[index]
  local count = (starts[n + 1] - starts[n] - 1) / 2
  local ok = pcall(redis.call, 'ZADD', key, unpack(ARGV, starts[n] + 1, starts[n + 1] - 1))
  if not ok then return redis.error_reply('HORAE_WRONGTYPE ' .. index .. ' zset ' .. redis.call('TYPE', key)['ok']) end
  if lone[n] then count = count + add_lone(key, lone[n]) end
  if not ids[n] then -- k: not looked up
    -- More than perTask after adding count <= perTask runs: the set was there before, with its expiry.
    local trimmed = redis.call('ZREMRANGEBYRANK', key, 0, -(per_task + 1))
    if trimmed == 0 or count > per_task then redis.call('PEXPIRE', key, ttl) end
  elseif has_nx and redis.call('PEXPIRE', key, ttl, 'NX') == 1 then
    if count > per_task then redis.call('ZREMRANGEBYRANK', key, 0, -(per_task + 1)) end
  else
    redis.call('ZREMRANGEBYRANK', key, 0, -(per_task + 1))
    redis.call('PEXPIRE', key, ttl)
    existed[#existed + 1] = index
  end
end

local fields = {}
for _, n in ipairs(unknown) do
  fields[#fields + 1] = ids[n]
  fields[#fields + 1] = ARGV[starts[n] + 1] .. ':' .. ARGV[starts[n] + 2]
end
for _, n in ipairs(to_set) do
  -- Its set is known to the other stores by this marker (this store knows a k set without it).
  if ids[n] and not marked[n] then
    fields[#fields + 1] = ids[n]
    fields[#fields + 1] = ''
  end
end
if #fields > 0 then
  call_in_slices('HSET', here, fields, 2000)
  redis.call('PEXPIRE', here, num(2 * ttl))
end
if #moved > 0 then call_in_slices('HDEL', there, moved, 1000) end
return existed
`,
);

/**
 * A task's runs: its lone run in either hash, if any, and its set's newest up to `limit` that
 * ended before `max`. KEYS: the two lone-runs hashes, the task's set. ARGV: the task id, the
 * highest score (`+inf` or `(<before>`), limit. Returns `{ lone runs, flat set members with scores }`.
 */
export const READ_RUNS = script(
  'read-runs',
  `
local lone = {}
for i = 1, 2 do
  local ok, found = pcall(redis.call, 'HGET', KEYS[i], ARGV[1])
  if not ok then return redis.error_reply('HORAE_WRONGTYPE ' .. i .. ' hash ' .. redis.call('TYPE', KEYS[i])['ok']) end
  if found and found ~= '' then lone[#lone + 1] = found end
end
local ok, runs = pcall(redis.call, 'ZREVRANGEBYSCORE', KEYS[3], ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
if not ok then return redis.error_reply('HORAE_WRONGTYPE 3 zset ' .. redis.call('TYPE', KEYS[3])['ok']) end
return { lone, runs }
`,
);
