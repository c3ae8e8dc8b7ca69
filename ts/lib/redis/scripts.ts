// The Lua scripts of the Redis store: each operation is one atomic script call.
//
// A budget is one hash, `PREFIX:{KEY}`. For each declared dimension NAME it
// holds `NAME` (spent), `NAME:limit` and, when declared, `NAME:warn`, all as
// canonical decimal strings (`HGET bk:{tenant-42} tokens`). A request id's
// first result lives at `PREFIX:{KEY}:rq:ID` (same hash tag, same slot).
//
// Exact u64 arithmetic: Lua numbers are doubles, exact only up to 2^53, so a
// value is split into two exact doubles, hi = v // 10^10 and lo = v mod 10^10,
// added with a carry and compared limb by limb; 2^64-1 is (1844674407,
// 3709551615). Amounts arriving in ARGV are checked (digits only, at most
// 2^64-1); values the scripts wrote themselves are trusted.
//
// Scripts start with a `#!lua` shebang: a writing script without `allow-oom`
// is refused before it runs when the server is out of memory, so a
// checkpoint applies whole or not at all; reads carry `no-writes`.
//
// Results of CHARGE, as integers the client maps back onto the entries it
// sent (so the script needs no table of dimension names):
//   0          continue
//   1 + 2*i    warn on entry i          2 + 2*i   exhausted on entry i
//   -1         NO_BUDGET                -2        REQUEST_ID_CONFLICT
//   -3 - i     UNKNOWN_DIMENSION: entry i is the first undeclared one

/** Limb arithmetic shared by the writing scripts. */
const ARITHMETIC = `
local MAXH, MAXL, TEN10 = 1844674407, 3709551615, 10000000000
local function split(s)
  local n = #s
  if n <= 10 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 10)), tonumber(string.sub(s, n - 9))
end
local function decimal(h, l)
  if h == 0 then return string.format('%.0f', l) end
  return string.format('%.0f%010.0f', h, l)
end
local function amount(s)
  local n = #s
  if n == 0 or n > 20 or string.find(s, '[^0-9]') or (n == 20 and s > '18446744073709551615') then
    return redis.error_reply('budgetkernel: malformed amount')
  end
end
local function declare(key, from, to)
  local fields = {}
  for j = from, to, 3 do
    local d = ARGV[j]
    local bad = amount(ARGV[j + 1]) or (ARGV[j + 2] ~= '-' and amount(ARGV[j + 2]))
    if bad then return bad end
    fields[#fields + 1] = d
    fields[#fields + 1] = '0'
    fields[#fields + 1] = d .. ':limit'
    fields[#fields + 1] = ARGV[j + 1]
    if ARGV[j + 2] ~= '-' then
      fields[#fields + 1] = d .. ':warn'
      fields[#fields + 1] = ARGV[j + 2]
    end
  end
  if #fields == 0 then return redis.error_reply('budgetkernel: empty declaration') end
  redis.call('HSET', key, unpack(fields))
end
`

/**
 * CHARGE: KEYS = [budget] or [budget, request id].
 * ARGV = [request ttl ms, create ttl ms ('' = no createWith, '0' = no ttl),
 *         declaration count n, n × (dim, limit, warn or '-'), then (dim, amount) pairs].
 */
export const CHARGE = `#!lua
${ARITHMETIC}
local key, rq = KEYS[1], KEYS[2]
local digest
if rq then
  digest = redis.sha1hex(table.concat(ARGV, '\\n', 2))
  local seen = redis.call('GET', rq)
  if seen then
    if string.sub(seen, 1, 40) == digest then return tonumber(string.sub(seen, 42)) end
    return -2
  end
end
local first = 4 + 3 * tonumber(ARGV[3])
local count = (#ARGV - first + 1) / 2
local fields = {}
for j = 0, count - 1 do
  local d = ARGV[first + 2 * j]
  local bad = amount(ARGV[first + 2 * j + 1])
  if bad then return bad end
  fields[3 * j + 1] = d
  fields[3 * j + 2] = d .. ':limit'
  fields[3 * j + 3] = d .. ':warn'
end
local created = false
if ARGV[2] ~= '' and redis.call('EXISTS', key) == 0 then
  local bad = declare(key, 4, first - 1)
  if bad then return bad end
  if ARGV[2] ~= '0' then redis.call('PEXPIRE', key, ARGV[2]) end
  created = true
end
if count == 0 then
  if not created and redis.call('EXISTS', key) == 0 then return -1 end
else
  local values = redis.call('HMGET', key, unpack(fields))
  for j = 0, count - 1 do
    if not values[3 * j + 2] then
      -- A budget created by this very call is taken back: nothing is applied.
      if created then redis.call('DEL', key)
      elseif j == 0 and redis.call('EXISTS', key) == 0 then return -1 end
      return -3 - j
    end
  end
  local hi, lo, dirty, out = {}, {}, {}, {}
  local result, severity = 0, 0
  for j = 0, count - 1 do
    local d = ARGV[first + 2 * j]
    local a = ARGV[first + 2 * j + 1]
    local h, l = hi[d], lo[d]
    if not h then h, l = split(values[3 * j + 1]) end
    if a ~= '0' then
      local ah, al = split(a)
      h, l = h + ah, l + al
      if l >= TEN10 then h, l = h + 1, l - TEN10 end
      if h > MAXH or (h == MAXH and l > MAXL) then h, l = MAXH, MAXL end
      if not dirty[d] then dirty[d] = true; out[#out + 1] = d end
    end
    hi[d], lo[d] = h, l
    local lh, ll = split(values[3 * j + 2])
    if h > lh or (h == lh and l > ll) then
      if severity < 2 then result, severity = 2 + 2 * j, 2 end
    elseif severity < 1 and values[3 * j + 3] then
      local wh, wl = split(values[3 * j + 3])
      if h > wh or (h == wh and l > wl) then result, severity = 1 + 2 * j, 1 end
    end
  end
  if #out > 0 then
    local writes = {}
    for k = 1, #out do
      local d = out[k]
      writes[2 * k - 1] = d
      writes[2 * k] = decimal(hi[d], lo[d])
    end
    redis.call('HSET', key, unpack(writes))
  end
  if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
  return result
end
if rq then redis.call('SET', rq, digest .. ' 0', 'PX', ARGV[1]) end
return 0
`

/**
 * CREATE: KEYS = [budget]. ARGV = [if absent ('1'/'0'), ttl ms ('0' = none),
 * then (dim, limit, warn or '-') triples]. Returns 1 when it wrote the budget,
 * 0 when `if absent` found one there.
 */
export const CREATE = `#!lua
${ARITHMETIC}
local key = KEYS[1]
if redis.call('EXISTS', key) == 1 then
  if ARGV[1] == '1' then return 0 end
  redis.call('DEL', key)
end
local bad = declare(key, 3, #ARGV)
if bad then return bad end
if ARGV[2] ~= '0' then redis.call('PEXPIRE', key, ARGV[2]) end
return 1
`

/** RESET: KEYS = [budget]. Zeroes every spent field; -1 when there is no budget. */
export const RESET = `#!lua
local key = KEYS[1]
local names = redis.call('HKEYS', key)
if #names == 0 then return -1 end
local writes = {}
for k = 1, #names do
  if not string.find(names[k], ':', 1, true) then
    writes[#writes + 1] = names[k]
    writes[#writes + 1] = '0'
  end
end
redis.call('HSET', key, unpack(writes))
return 0
`

/** DELETE: KEYS = [budget]. 1 when a budget was deleted, 0 when there was none. */
export const DELETE = `#!lua
return redis.call('DEL', KEYS[1])
`

/**
 * READ: KEYS = [budget]. With ARGV = [dim]: -1 when there is no budget, else
 * [limit, spent] (false for an undeclared dim). Without ARGV: -1, or
 * [pttl, flat HGETALL].
 */
export const READ = `#!lua flags=no-writes
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return -1 end
if ARGV[1] then return redis.call('HMGET', key, ARGV[1] .. ':limit', ARGV[1]) end
return { redis.call('PTTL', key), redis.call('HGETALL', key) }
`
