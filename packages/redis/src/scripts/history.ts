/**
 * The run history: one sorted set per task, runs scored by their end.
 */
import { script } from './prelude.js';

/**
 * Adds runs, keeps per task the `perTask` newest, and keeps each set alive for `ttl` (a little
 * more than the history's `maxAge`) after a write: a task that runs no more leaves nothing
 * behind, and the scheduler does not show the runs past the age that a busy task's set still
 * holds. A key of another type stops the script with the store's wrong-type error; the runs added
 * before it stay, and adding them again when the batch is retried changes nothing (a run is one
 * member).
 *
 * Each command a script runs costs Redis about as much as the work it does, so each set gets as
 * few as its case needs (the caller says, per key, whether this store set its expiry lately):
 * - a set this store has not written lately: `PEXPIRE ... NX` (Redis 7) tells a new set (every
 *   set this script writes gets an expiry in the same step, so one without is the one just made),
 *   which holds only this batch's runs and needs no trim; a set that was there is trimmed and
 *   its expiry set. This is every run of a one-shot task: two commands instead of three.
 * - a set whose expiry this store set lately, and that still lasts `maxAge` (`k`): trimmed; its
 *   expiry is left unless the trim removed nothing, which is also how a set deleted meanwhile and
 *   made again by this `ZADD` gets one. A busy task's run: two commands.
 *
 * KEYS: the history set of each task. ARGV: perTask, ttl ms, one letter per key (`k` or `n`),
 * then per key: its number of runs, then per run: its end, its member. Returns the KEYS indexes
 * of the `n` sets that were there before (written again soon, they are likely a busy task's).
 */
export const ADD_RUNS = script(
  'add-runs',
  `
local per_task = tonumber(ARGV[1])
local ttl = ARGV[2]
local lately = ARGV[3]
local has_nx = (redis.REDIS_VERSION_NUM or 0) >= 0x070000
local at = 4
local existed = {}
for index, key in ipairs(KEYS) do
  local count = tonumber(ARGV[at])
  local last = at + 2 * count
  -- No TYPE check per key first: a failed ZADD says the same, in one command instead of two.
  local ok = pcall(redis.call, 'ZADD', key, unpack(ARGV, at + 1, last))
  if not ok then return redis.error_reply('HORAE_WRONGTYPE ' .. index .. ' zset ' .. redis.call('TYPE', key)['ok']) end
  at = last + 1
  if string.sub(lately, index, index) == 'k' then
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
return existed
`,
);
