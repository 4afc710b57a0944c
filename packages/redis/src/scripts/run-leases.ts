/**
 * Run leases, for a cluster-wide `maxInstances`: recorded (the prelude's `acquire_run`, which
 * DISPATCH uses too), renewed, released, and taken by one caller once expired.
 */
import { script } from './prelude.js';

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
local run_ids = {}
for at = 2, #ARGV, 2 do table.insert(run_ids, ARGV[at]) end
-- Every lease in one read; the releases in one command per key.
local leases = hmget_many(runs, run_ids)
local writes = pending_writes()
for index, run_id in ipairs(run_ids) do
  local task_id, raw = ARGV[index * 2 - 1], leases[index]
  local ok, lease = true, nil
  if raw then ok, lease = pcall(cjson.decode, raw) end
  if not (raw and ok and type(lease) == 'table' and lease.taskId ~= task_id) then
    pend(writes, 'HDEL', runs, run_id)
    pend(writes, 'ZREM', expiries, run_id)
    pend(writes, 'ZREM', task_runs, task_id .. '\\0' .. run_id)
  end
end
flush_writes(writes)
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
