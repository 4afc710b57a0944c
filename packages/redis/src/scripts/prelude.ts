/**
 * What every script is made of: the helpers of {@link PRELUDE} before its own body, and its SHA-1
 * for EVALSHA.
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

-- Calls a command with many arguments in slices: Lua's unpack takes only so many at once.
local function call_in_slices(command, key, values, slice)
  for i = 1, #values, slice do
    redis.call(command, key, unpack(values, i, math.min(i + slice - 1, #values)))
  end
end

-- HMGET of any number of fields, in slices: the values in the fields' order, false where missing.
local function hmget_many(key, fields)
  local values = {}
  for i = 1, #fields, 500 do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + 499, #fields)))
    for j = 1, #part do values[i + j - 1] = part[j] end
  end
  return values
end

-- Writes a script collects while it goes through a batch, sent at the end as one variadic
-- command per command and key (HSET tasks id row id row ..., ZADD due score id score id ...)
-- instead of one command per task: Redis's cost is mostly per command. Only for writes the
-- script does not read back before flush_writes.
local function pending_writes()
  return { lists = {}, order = {} }
end

local function pend(writes, command, key, ...)
  local tag = command .. ' ' .. key
  local list = writes.lists[tag]
  if not list then
    list = {}
    writes.lists[tag] = list
    table.insert(writes.order, { command, key, list })
  end
  for _, value in ipairs({ ... }) do table.insert(list, value) end
end

local function flush_writes(writes)
  for _, entry in ipairs(writes.order) do call_in_slices(entry[1], entry[2], entry[3], 1000) end
  writes.lists, writes.order = {}, {}
end

-- Records a run lease if fewer than max_instances runs of the task hold live ones; true if it did.
-- With writes, the lease's own writes are collected there (see pending_writes).
local function acquire_run(runs, expiries, task_runs, task_id, run_id, record, max_instances, duration, now, writes)
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
  if writes then
    pend(writes, 'HSET', runs, run_id, record)
    pend(writes, 'ZADD', expiries, num(now + duration), run_id)
    pend(writes, 'ZADD', task_runs, '0', prefix .. run_id)
  else
    redis.call('HSET', runs, run_id, record)
    redis.call('ZADD', expiries, num(now + duration), run_id)
    redis.call('ZADD', task_runs, 0, prefix .. run_id)
  end
  return true
end
`;

/** A script: the prelude, then `body`, named for messages, with its SHA-1. */
export function script(name: string, body: string): Script {
  const lua = `${PRELUDE}\n${body.trim()}\n`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}
