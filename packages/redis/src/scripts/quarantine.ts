/**
 * The quarantine: a task moved out of scheduling, its row kept exactly as found, and moved back.
 */
import { script } from './prelude.js';

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
