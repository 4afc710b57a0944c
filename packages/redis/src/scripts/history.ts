/**
 * The run history: one sorted set per task, runs scored by their end.
 */
import { script } from './prelude.js';

/**
 * Adds runs, then keeps per task the `perTask` newest, none ended before `now - maxAge`, and lets
 * the whole set expire `maxAge` after its newest run (so that a task that runs no more leaves
 * nothing behind).
 * KEYS: the history set of each task. ARGV: perTask, maxAge, now, then per run: the index of its
 * task's key in KEYS, its end, its member.
 */
export const ADD_RUNS = script(
  'add-runs',
  `
for i = 1, #KEYS do
  local wrong = wrong_type(i, 'zset')
  if wrong then return wrong end
end
local per_task, max_age, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, #ARGV, 3 do
  redis.call('ZADD', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. num(now - max_age))
  redis.call('ZREMRANGEBYRANK', key, 0, -(per_task + 1))
  local newest = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')[2]
  if newest then redis.call('PEXPIREAT', key, num(tonumber(newest) + max_age)) end
end
return 1
`,
);
