// The Lua script of leased budgets (see ./lease): one atomic call reports a
// holder's usage, decides a pending charge and grants a new reservation.
//
// Reservations live beside the budget hash `PREFIX:{KEY}` in the hash
// `PREFIX:{KEY}:ls` (same hash tag, same Cluster slot): for each holder H,
// field `H` is the expiry (ms, Redis's clock) and field `H:NAME` the amount of
// dimension NAME reserved to H and not yet reported. `NAME:lost` in the budget
// hash counts reservations whose holder expired without reporting: they may
// have been spent, so they are not granted again (safety first) unless their
// holder reports late: then field `H` is a tombstone (negative: minus the
// time until which it is kept) and its unused part comes back.
//
// Leased amounts are Lua doubles: a leased budget's limits must be at most
// 2^53 - 1 (the script refuses larger ones), which keeps every sum exact.

import { COMMON } from './scripts'

/**
 * GRANT: KEYS = [budget, leases] or [budget, leases, request id].
 * ARGV = [request ttl ms, holder, ttl ms, release ('1'/'0'), want (chunk),
 *         then (dim, used since the last call, pending charge) triples].
 * With a request id (the store's `request` helper, ./scripts): a resend of
 * the same call returns the first call's result and changes nothing again,
 * so a holder's usage is never reported twice.
 * Every call first adds `used` to spent and drops the holder's own
 * reservation (its usage is now exact, the rest is returned; one written off
 * while it was late comes back out of `NAME:lost`), writes off expired
 * holders' reservations to `NAME:lost` (kept as tombstones for a request
 * ttl, so that a late report can take back the unused part), then decides the pending
 * checkpoint: it fits when, on every dimension, pending <= limit - spent -
 * lost - reserved(others). A fitting checkpoint is not applied to spent: it is
 * charged to the new reservation, which is at least the pending amount.
 * A checkpoint that does not fit is applied to spent (the kernel counts
 * exhausting charges) and nothing is granted.
 * Result: -1 NO_BUDGET, -2 REQUEST_ID_CONFLICT, -3 - i (entry i
 * undeclared), -20 - i (entry i's limit above 2^53-1), nothing changed; else
 * the string 'verdict grants... warns...' (space-separated, the stored
 * result) where verdict is 0 continue, 1 + 2*i warn on entry i, 2 + 2*i
 * exhausted on entry i; grants are decimal per entry; warns are 1 when spent
 * + lost + reserved passed the entry's warn threshold after this call.
 */
export const GRANT = `#!lua
${COMMON}
local key, leases, rq = KEYS[1], KEYS[2], KEYS[3]
local holder, ttl, release, want = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local count = (#ARGV - 5) / 3
local digest, prior = request(rq, 'grant\\n' .. table.concat(ARGV, '\\n', 2))
if prior then return prior end
if redis.call('EXISTS', key) == 0 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local names, used, pending, limit, warn, spent, lost = {}, {}, {}, {}, {}, {}, {}
for j = 1, count do
  local d = ARGV[3 + 3 * j]
  names[j], used[j], pending[j] = d, tonumber(ARGV[4 + 3 * j]), tonumber(ARGV[5 + 3 * j])
  local v = redis.call('HMGET', key, d, d .. ':limit', d .. ':warn', d .. ':lost')
  if not v[2] then return -2 - j end
  limit[j] = tonumber(v[2])
  if limit[j] > 9007199254740991 then return -19 - j end
  warn[j] = v[3] and tonumber(v[3])
  spent[j] = tonumber(v[1]) + used[j]
  lost[j] = tonumber(v[4] or '0')
end
-- Others' live reservations count against the room. This holder's own
-- reservation goes back (live, expired or written off: its usage is reported
-- by this very call, and it decides nothing locally past its deadline, which
-- precedes the expiry, so what it does not report is unused). Another
-- holder's expired reservation may have been used unreported: it is written
-- off to NAME:lost whole, and its holder field becomes a tombstone (the
-- negated time until which it is kept, a request ttl), so that if that
-- holder reports late, what it did not use comes back (lost goes down).
local keep = -(now + tonumber(ARGV[1]))
local reserved, others = {}, 0
for j = 1, count do reserved[j] = 0 end
local all = redis.call('HGETALL', leases)
local expiry = {}
for k = 1, #all, 2 do
  local f = all[k]
  if not string.find(f, ':', 1, true) then expiry[f] = tonumber(all[k + 1]) end
end
local drop, tombs = {}, {}
local function lose(d, v)
  redis.call('HINCRBY', key, d .. ':lost', string.format('%.0f', v))
  for j = 1, count do if names[j] == d then lost[j] = lost[j] + v end end
end
for k = 1, #all, 2 do
  local f, v = all[k], tonumber(all[k + 1])
  local sep = string.find(f, ':', 1, true)
  if sep then
    local h, d = string.sub(f, 1, sep - 1), string.sub(f, sep + 1)
    local e = expiry[h] or 0
    if h == holder then
      drop[#drop + 1] = f
      if e < 0 then lose(d, -v) end
    elseif e < 0 then
      if -e <= now then drop[#drop + 1] = f end
    elseif e <= now then
      lose(d, v)
    else
      for j = 1, count do if names[j] == d then reserved[j] = reserved[j] + v end end
    end
  end
end
for h, e in pairs(expiry) do
  if h == holder or (e < 0 and -e <= now) then
    drop[#drop + 1] = h
  elseif e >= 0 and e <= now then
    tombs[#tombs + 1] = h
    tombs[#tombs + 1] = string.format('%.0f', keep)
  elseif e > now then
    others = others + 1
  end
end
if #tombs > 0 then redis.call('HSET', leases, unpack(tombs)) end
if #drop > 0 then redis.call('HDEL', leases, unpack(drop)) end
-- Decide the pending checkpoint.
local verdict, severity = 0, 0
for j = 1, count do
  if spent[j] + lost[j] + reserved[j] + pending[j] > limit[j] then
    if severity < 2 then verdict, severity = 2 * j, 2 end
  end
end
local grants, warns, writes, fields = {}, {}, {}, {}
for j = 1, count do
  local g = 0
  if severity < 2 then
    local room = limit[j] - spent[j] - lost[j] - reserved[j] - pending[j]
    -- Shrink toward exact decisions: never more than an equal share of the room.
    local share = math.floor(room / (others + 1))
    if not release then g = math.min(want, share) end
    g = g + pending[j]
  else
    spent[j] = spent[j] + pending[j]
  end
  grants[j] = string.format('%.0f', g)
  if g > 0 then fields[#fields + 1] = holder .. ':' .. names[j]; fields[#fields + 1] = grants[j] end
  local w = 0
  if warn[j] and spent[j] + lost[j] + reserved[j] + g > warn[j] then w = 1 end
  warns[j] = w
  if severity < 1 and w == 1 then verdict, severity = 2 * j - 1, 1 end
  writes[#writes + 1] = names[j]
  writes[#writes + 1] = string.format('%.0f', spent[j])
end
redis.call('HSET', key, unpack(writes))
if #fields > 0 then
  redis.call('HSET', leases, holder, string.format('%.0f', now + ttl), unpack(fields))
  local pt = redis.call('PTTL', key)
  if pt > 0 then redis.call('PEXPIRE', leases, pt) else redis.call('PERSIST', leases) end
end
local out = { verdict }
for j = 1, count do out[#out + 1] = grants[j] end
for j = 1, count do out[#out + 1] = warns[j] end
local result = table.concat(out, ' ')
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`
