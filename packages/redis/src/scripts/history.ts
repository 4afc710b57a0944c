/**
 * The run history: one sorted set per task, runs scored by their end.
 */
import { script } from './prelude.js';

/**
 * Adds runs, then keeps per task the `perTask` newest and lets the whole set expire `maxAge`
 * from now: a task that runs no more leaves nothing behind, and the scheduler does not show the
 * runs past the age that a busy task's set still holds. A key of another type stops the script with the store's wrong-type error; the runs
 * added before it stay, and adding them again when the batch is retried changes nothing (a run
 * is one member).
 * KEYS: the history set of each task. ARGV: perTask, maxAge, (unused: the caller's now), then
 * per run: the index of its task's key in KEYS, its end, its member.
 */
export const ADD_RUNS = script(
  'add-runs',
  `
local per_task = tonumber(ARGV[1])
for i = 4, #ARGV, 3 do
  local index = tonumber(ARGV[i])
  -- No TYPE check per key first: a failed ZADD says the same, in one command instead of two.
  local ok = pcall(redis.call, 'ZADD', KEYS[index], ARGV[i + 1], ARGV[i + 2])
  if not ok then return redis.error_reply('HORAE_WRONGTYPE ' .. index .. ' zset ' .. redis.call('TYPE', KEYS[index])['ok']) end
end
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYRANK', key, 0, -(per_task + 1))
  redis.call('PEXPIRE', key, ARGV[2])
end
return 1
`,
);
