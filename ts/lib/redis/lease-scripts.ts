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
// time until which it is kept) and its unused part comes back, never more
// than `NAME:lost` holds. The store's CREATE, RESET and DELETE start a new
// period of this state (./scripts `period`): only live reservations outlive
// them, so a tombstone never takes back from a later period's lost.
//
// Exact sums: spent may be anything up to 2^64-1 (exhausting charges count,
// and plain charges go that far), so spent, used and pending amounts are
// added and compared in COMMON's limbs and spent saturates at 2^64-1 as in
// CHARGE. A leased budget's limits must be at most 2^53 - 1 (the script
// refuses larger ones): reservations, grants and the room are then below
// 2^53, exact as doubles.
//
// All or nothing: every argument is checked and every value read (and
// checked) before the line WRITES_FOLLOW; write-offs and take-backs of
// NAME:lost are computed first and written after it.

import { COMMON, WRITES } from './scripts'

/**
 * GRANT: KEYS = [budget, leases] or [budget, leases, request id].
 * ARGV = [request ttl ms, holder, ttl ms, release ('1'/'0'), want (chunk),
 *         then (dim, used since the last call, pending charge) triples].
 * With a request id (the store's `request` helper, ./scripts): a resend of
 * the same call returns the first call's result and changes nothing again,
 * so a holder's usage is never reported twice.
 * Every call first adds `used` to spent and drops the holder's own
 * reservation (its usage is now exact, the rest is returned; one written off
 * while it was late comes back out of `NAME:lost`, at most what that holds),
 * writes off expired holders' reservations to `NAME:lost` (kept as
 * tombstones for a request ttl, so that a late report can take back the
 * unused part), then decides the pending checkpoint: it fits when, on every
 * dimension, pending <= limit - spent - lost - reserved(others). A fitting
 * checkpoint is not applied to spent: it is charged to the new reservation,
 * which is at least the pending amount. A checkpoint that does not fit is
 * applied to spent (the kernel counts exhausting charges; saturating at
 * 2^64-1) and nothing is granted.
 * Result: -1 NO_BUDGET, -2 REQUEST_ID_CONFLICT, -3 - i (entry i
 * undeclared), -20 - i (entry i's limit above 2^53-1), nothing changed; else
 * the string 'verdict grants... warns...' (space-separated, the stored
 * result) where verdict is 0 continue, 1 + 2*i warn on entry i, 2 + 2*i
 * exhausted on entry i; grants are decimal per entry; warns are 1 when spent
 * + lost + reserved passed the entry's warn threshold after this call.
 * Malformed arguments are an error reply (`budgetkernel: malformed ...`) and
 * change nothing.
 */
export const GRANT = `#!lua
${COMMON}
local key, ls, rq = KEYS[1], KEYS[2], KEYS[3]
local bad = keys(key, ls, rq) or ms(ARGV[1] or '') or ms(ARGV[3] or '')
if bad then return bad end
local holder, release, want = ARGV[2], ARGV[4], ARGV[5]
if type(holder) ~= 'string' or not string.find(holder, '^[^:]+$') then return fail('holder') end
if release ~= '1' and release ~= '0' then return fail('arguments') end
release = release == '1'
if type(want) ~= 'string' or not string.find(want, '^[1-9][0-9]*$') or #want > 16 or tonumber(want) > 9007199254740991 then return fail('chunk') end
want = tonumber(want)
local ttl = tonumber(ARGV[3])
local count = (#ARGV - 5) / 3
if count < 0 or count % 1 ~= 0 then return fail('arguments') end
local names, at = {}, {}
for j = 1, count do
  local d = ARGV[3 + 3 * j]
  bad = dimname(d) or amount(ARGV[4 + 3 * j]) or amount(ARGV[5 + 3 * j])
  if bad then return bad end
  if at[d] then return fail('arguments (a dimension twice)') end
  names[j], at[d] = d, j
end
local digest, prior = request(rq, 'grant\\n' .. table.concat(ARGV, '\\n', 2))
if prior then return prior end
if redis.call('EXISTS', key) == 0 then return -1 end
-- Per entry j, limbs: spent (+ used, saturated), pending, limit, warn, lost.
local sh, sl, ph, pl, lh, ll, wh, wl, lost = {}, {}, {}, {}, {}, {}, {}, {}, {}
for j = 1, count do
  local d = names[j]
  local v = redis.call('HMGET', key, d, d .. ':limit', d .. ':warn', d .. ':lost')
  if not v[2] then return -2 - j end
  bad = stored(v[1], d) or stored(v[2], d .. ':limit') or (v[3] and stored(v[3], d .. ':warn')) or (v[4] and stored(v[4], d .. ':lost'))
  if bad then return bad end
  lh[j], ll[j] = split(v[2])
  if gt(lh[j], ll[j], 900719, 9254740991) then return -19 - j end
  if v[3] then wh[j], wl[j] = split(v[3]) end
  local h, l = split(v[1])
  local uh, ul = split(ARGV[4 + 3 * j])
  sh[j], sl[j] = sat(add(h, l, uh, ul))
  ph[j], pl[j] = split(ARGV[5 + 3 * j])
  lost[d] = { split(v[4] or '0') }
end
local now = clock()
local state, err = leases(ls)
if err then return err end
-- Others' live reservations count against the room. This holder's own
-- reservation goes back (live, expired or written off: its usage is reported
-- by this very call, and it decides nothing locally past its deadline, which
-- precedes the expiry, so what it does not report is unused). Another
-- holder's expired reservation may have been used unreported: it is written
-- off to NAME:lost whole, and its holder field becomes a tombstone (the
-- negated time until which it is kept, a request ttl), so that if that
-- holder reports late, what it did not use comes back (lost goes down, never
-- below zero). An amount without a holder field is written off and dropped.
local keep = string.format('%.0f', -(now + tonumber(ARGV[1])))
local reserved, wrote, back = {}, {}, {}
local drop, tombs, others, latest = {}, {}, 0, 0
for k = 1, #state.parts do
  local p = state.parts[k]
  local f, h, d, v = p[1], p[2], p[3], p[4]
  local e = state.expiry[h]
  if h == holder then
    drop[#drop + 1] = f
    if e and e < 0 then plus(back, d, v) end
  elseif not e then
    drop[#drop + 1] = f
    plus(wrote, d, v)
  elseif e < 0 then
    if -e <= now then drop[#drop + 1] = f end
  elseif e <= now then
    plus(wrote, d, v)
  else
    plus(reserved, d, v)
  end
end
for h, e in pairs(state.expiry) do
  if h == holder or (e < 0 and -e <= now) then
    drop[#drop + 1] = h
  elseif e >= 0 and e <= now then
    tombs[#tombs + 1] = h
    tombs[#tombs + 1] = keep
  elseif e > now then
    others = others + 1
    if e > latest then latest = e end
  end
end
-- NAME:lost after this call, for every dimension it changes (some may not be in this call).
local touched, writes = {}, {}
for d in pairs(wrote) do touched[d] = true end
for d in pairs(back) do touched[d] = true end
for d in pairs(touched) do
  if not lost[d] then
    local v = redis.call('HMGET', key, d .. ':lost')[1]
    bad = v and stored(v, d .. ':lost')
    if bad then return bad end
    lost[d] = { split(v or '0') }
  end
  local x = lost[d]
  local w, b = wrote[d] or { 0, 0 }, back[d] or { 0, 0 }
  local h, l = add(x[1], x[2], w[1], w[2])
  if gt(b[1], b[2], h, l) then h, l = 0, 0 else h, l = sub(h, l, b[1], b[2]) end
  lost[d] = { h, l }
  writes[#writes + 1] = d .. ':lost'
  writes[#writes + 1] = decimal(h, l)
end
-- Decide the pending checkpoint: spent + lost + reserved + pending against the limit.
local base = {}
local verdict, severity = 0, 0
for j = 1, count do
  local d = names[j]
  local r = reserved[d] or { 0, 0 }
  local h, l = add(sh[j], sl[j], lost[d][1], lost[d][2])
  h, l = add(h, l, r[1], r[2])
  base[j] = { h, l }
  h, l = add(h, l, ph[j], pl[j])
  if gt(h, l, lh[j], ll[j]) and severity < 2 then verdict, severity = 2 * j, 2 end
end
local grants, warns, fields = {}, {}, {}
for j = 1, count do
  local d = names[j]
  local g = 0
  if severity < 2 then
    -- The room is below the limit (<= 2^53 - 1): exact as a double.
    local h, l = add(base[j][1], base[j][2], ph[j], pl[j])
    h, l = sub(lh[j], ll[j], h, l)
    local room = h * TEN10 + l
    -- Shrink toward exact decisions: never more than an equal share of the room.
    local share = math.floor(room / (others + 1))
    if not release then g = math.min(want, share) end
    g = g + ph[j] * TEN10 + pl[j]
  else
    sh[j], sl[j] = sat(add(sh[j], sl[j], ph[j], pl[j]))
  end
  grants[j] = string.format('%.0f', g)
  if g > 0 then fields[#fields + 1] = holder .. ':' .. d; fields[#fields + 1] = grants[j] end
  local w = 0
  if wh[j] then
    local h, l = add(base[j][1], base[j][2], math.floor(g / TEN10), g % TEN10)
    if severity >= 2 then h, l = add(h, l, ph[j], pl[j]) end
    if gt(h, l, wh[j], wl[j]) then w = 1 end
  end
  warns[j] = w
  if severity < 1 and w == 1 then verdict, severity = 2 * j - 1, 1 end
  writes[#writes + 1] = d
  writes[#writes + 1] = decimal(sh[j], sl[j])
end
-- NAME:res after this call (./scripts: what CHARGE counts besides spent and
-- lost): others' live reservations and this holder's new one, for every
-- dimension that had or has one; a zero sum is no field.
local sums, gone = {}, {}
for d, x in pairs(reserved) do sums[d] = { x[1], x[2] } end
for j = 1, count do
  if grants[j] ~= '0' then plus(sums, names[j], grants[j]) end
end
local res = reservations(sums)
for k = 1, #res, 2 do writes[#writes + 1] = res[k]; writes[#writes + 1] = res[k + 1] end
local dims = {}
for k = 1, #state.parts do dims[state.parts[k][3]] = true end
for j = 1, count do dims[names[j]] = true end
for d in pairs(dims) do
  if not sums[d] or (sums[d][1] == 0 and sums[d][2] == 0) then gone[#gone + 1] = d .. ':res' end
end
local expiry = string.format('%.0f', now + ttl)
if #fields > 0 and now + ttl > latest then latest = now + ttl end
local life = lifetime(redis.call('PTTL', key), latest, now)
local out = { verdict }
for j = 1, count do out[#out + 1] = grants[j] end
for j = 1, count do out[#out + 1] = warns[j] end
local result = table.concat(out, ' ')
${WRITES}
if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
if #tombs > 0 then redis.call('HSET', ls, unpack(tombs)) end
if #drop > 0 then redis.call('HDEL', ls, unpack(drop)) end
if #fields > 0 then redis.call('HSET', ls, holder, expiry, unpack(fields)) end
set_lifetime(ls, life)
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`
