/**
 * The cluster view: the instances alive (one hash, entries stamped with their expiry on Redis's
 * clock) and the run leases alive.
 */
import { script } from './prelude.js';

/**
 * Records that an instance is alive for `ttl` ms more, with its payload.
 * KEYS: instances. ARGV: instance id, ttl ms, payload.
 */
export const BEAT_INSTANCE = script(
  'beat-instance',
  `
local wrong = wrong_type(1, 'hash')
if wrong then return wrong end
redis.call('HSET', KEYS[1], ARGV[1], num(now_ms() + tonumber(ARGV[2])) .. ':' .. ARGV[3])
return 1
`,
);

/**
 * The instances alive; those whose beat expired are dropped on the way.
 * KEYS: instances. Returns { id, expiry, payload, ... }.
 */
export const LIST_INSTANCES = script(
  'list-instances',
  `
local wrong = wrong_type(1, 'hash')
if wrong then return wrong end
local now = now_ms()
local alive = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local colon = string.find(entries[i + 1], ':', 1, true)
  local expiry = colon and tonumber(string.sub(entries[i + 1], 1, colon - 1))
  if expiry and expiry > now then
    table.insert(alive, entries[i])
    table.insert(alive, num(expiry))
    table.insert(alive, string.sub(entries[i + 1], colon + 1))
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
return alive
`,
);

/**
 * The run leases alive.
 * KEYS: runs, run expiry. Returns { lease JSON, expiry, ... }.
 */
export const LIST_RUN_LEASES = script(
  'list-run-leases',
  `
local wrong = wrong_type(1, 'hash', 2, 'zset')
if wrong then return wrong end
local held = {}
local alive = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. num(now_ms()), '+inf', 'WITHSCORES')
for i = 1, #alive, 2 do
  local raw = redis.call('HGET', KEYS[1], alive[i])
  if raw then
    table.insert(held, raw)
    table.insert(held, alive[i + 1])
  end
end
return held
`,
);
