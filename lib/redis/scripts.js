"use strict";
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
// All or nothing: Redis does not roll a script back, so every writing script
// first checks every argument, then reads, and only after the line
// `-- writes follow --` (WRITES_FOLLOW) writes. A script error anywhere before
// that line leaves every key as it was; __test__/redis-atomicity.spec.ts
// plants one there in each script and proves it. CHARGE reads only the
// distinct dimensions of a checkpoint (at most 8), never one field per entry,
// so a checkpoint of any size runs (the client caps entries, MAX_ENTRIES).
//
// Request ids: a write with a request id keeps its first result at
// `PREFIX:{KEY}:rq:ID` as `SHA1(operation and payload) result`. The digest
// covers what the operation does (the charged entries; a create's
// declaration), not the request or budget time to live, nor the createWith
// declaration, so a retry that recomputes a ttl gets its stored result.
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
Object.defineProperty(exports, "__esModule", { value: true });
exports.READ = exports.DELETE = exports.RESET = exports.CREATE = exports.CHARGE = exports.COMMON = exports.WRITES_FOLLOW = void 0;
/** The line after which a script writes; nothing before it changes a key. */
exports.WRITES_FOLLOW = '-- writes follow --';
/** Argument checks, limb arithmetic and request ids shared by the writing scripts (./lease-scripts too). None of them writes. */
exports.COMMON = `
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
local function fail(what) return redis.error_reply('budgetkernel: malformed ' .. what) end
local function amount(s)
  local n = #s
  if n == 0 or n > 20 or string.find(s, '[^0-9]') or (n == 20 and s > '18446744073709551615') then
    return fail('amount')
  end
end
local function ms(s)
  if not string.find(s, '^[1-9][0-9]*$') or #s > 15 then return fail('milliseconds') end
end
local function dimname(s)
  if not string.find(s, '^[a-z][a-z0-9]*$') or #s > 16 then return fail('dimension') end
end
-- A declaration ARGV[from..to] of (dim, limit, warn or '-') triples, checked:
-- returns { by = dim -> { limit, warn or nil }, order = { dims } } or an error.
local function declaration(from, to)
  if to < from or (to - from + 1) % 3 ~= 0 then return nil, fail('declaration') end
  local by, order = {}, {}
  for j = from, to, 3 do
    local d, l, w = ARGV[j], ARGV[j + 1], ARGV[j + 2]
    local bad = dimname(d) or amount(l) or (w ~= '-' and amount(w))
    if bad then return nil, bad end
    if by[d] or l == '0' or #order == 8 then return nil, fail('declaration') end
    by[d] = { limit = l, warn = w ~= '-' and w or nil }
    order[#order + 1] = d
  end
  return { by = by, order = order }
end
-- HSET arguments writing a declaration with the given spent values ('0' when absent).
local function declared(decl, spent)
  local fields = {}
  for k = 1, #decl.order do
    local d = decl.order[k]
    local e = decl.by[d]
    fields[#fields + 1] = d
    fields[#fields + 1] = spent[d] or '0'
    fields[#fields + 1] = d .. ':limit'
    fields[#fields + 1] = e.limit
    if e.warn then
      fields[#fields + 1] = d .. ':warn'
      fields[#fields + 1] = e.warn
    end
  end
  return fields
end
-- A request id's digest of the payload, and its stored result: the reply
-- (a number, or the stored text when it is not one) when the digest
-- matches, -2 (REQUEST_ID_CONFLICT) when it does not, nil when the id is new
-- (or there is no request id).
local function request(rq, payload)
  if not rq then return nil, nil end
  local digest = redis.sha1hex(payload)
  local prior = redis.call('GET', rq)
  if not prior then return digest, nil end
  if string.sub(prior, 1, 40) == digest then
    local stored = string.sub(prior, 42)
    return digest, tonumber(stored) or stored
  end
  return digest, -2
end
`;
/**
 * CHARGE: KEYS = [budget] or [budget, request id].
 * ARGV = [request ttl ms, create ttl ms ('' = no createWith, '0' = no ttl),
 *         declaration count n, n × (dim, limit, warn or '-'), then (dim, amount) pairs].
 */
exports.CHARGE = `#!lua
${exports.COMMON}
local key, rq = KEYS[1], KEYS[2]
local n = tonumber(ARGV[3])
if #ARGV < 3 or not n or n < 0 or n % 1 ~= 0 then return fail('arguments') end
local first = 4 + 3 * n
local count = (#ARGV - first + 1) / 2
if count < 0 or count % 1 ~= 0 then return fail('arguments') end
local bad = ms(ARGV[1]) or (ARGV[2] ~= '' and ARGV[2] ~= '0' and ms(ARGV[2]))
if bad then return bad end
local decl
if ARGV[2] ~= '' then
  local err
  decl, err = declaration(4, first - 1)
  if err then return err end
elseif n ~= 0 then
  return fail('arguments')
end
-- The distinct dimensions of the checkpoint, in order of first appearance.
local names, seen = {}, {}
for j = first, #ARGV, 2 do
  local d = ARGV[j]
  bad = amount(ARGV[j + 1])
  if bad then return bad end
  if not seen[d] then
    bad = dimname(d)
    if bad then return bad end
    if #names == 8 then return fail('checkpoint (more than 8 dimensions)') end
    seen[d] = true
    names[#names + 1] = d
  end
end
local digest, prior = request(rq, 'charge\\n' .. table.concat(ARGV, '\\n', first))
if prior then return prior end
local exists = redis.call('EXISTS', key) == 1
if not exists and not decl then return -1 end
-- spent, limit and warn of each distinct dimension (limit false: undeclared).
local spent, limit, warn = {}, {}, {}
if exists then
  if #names > 0 then
    local fields = {}
    for k = 1, #names do
      fields[3 * k - 2] = names[k]
      fields[3 * k - 1] = names[k] .. ':limit'
      fields[3 * k] = names[k] .. ':warn'
    end
    local values = redis.call('HMGET', key, unpack(fields))
    for k = 1, #names do
      spent[names[k]], limit[names[k]], warn[names[k]] = values[3 * k - 2], values[3 * k - 1], values[3 * k]
    end
  end
else
  for k = 1, #names do
    local e = decl.by[names[k]]
    if e then spent[names[k]], limit[names[k]], warn[names[k]] = '0', e.limit, e.warn end
  end
end
for j = 0, count - 1 do
  if not limit[ARGV[first + 2 * j]] then return -3 - j end
end
local hi, lo, lh, ll, wh, wl = {}, {}, {}, {}, {}, {}
for k = 1, #names do
  local d = names[k]
  hi[d], lo[d] = split(spent[d])
  lh[d], ll[d] = split(limit[d])
  if warn[d] then wh[d], wl[d] = split(warn[d]) end
end
local dirty, out = {}, {}
local result, severity = 0, 0
for j = 0, count - 1 do
  local d = ARGV[first + 2 * j]
  local a = ARGV[first + 2 * j + 1]
  local h, l = hi[d], lo[d]
  if a ~= '0' then
    local ah, al = split(a)
    h, l = h + ah, l + al
    if l >= TEN10 then h, l = h + 1, l - TEN10 end
    if h > MAXH or (h == MAXH and l > MAXL) then h, l = MAXH, MAXL end
    hi[d], lo[d] = h, l
    if not dirty[d] then dirty[d] = true; out[#out + 1] = d end
  end
  if severity < 2 then
    if h > lh[d] or (h == lh[d] and l > ll[d]) then
      result, severity = 2 + 2 * j, 2
    elseif severity < 1 and wh[d] and (h > wh[d] or (h == wh[d] and l > wl[d])) then
      result, severity = 1 + 2 * j, 1
    end
  end
end
local writes = {}
for k = 1, #out do
  writes[2 * k - 1] = out[k]
  writes[2 * k] = decimal(hi[out[k]], lo[out[k]])
end
${exports.WRITES_FOLLOW}
if not exists then
  local values = {}
  for k = 1, #out do values[out[k]] = writes[2 * k] end
  redis.call('HSET', key, unpack(declared(decl, values)))
  if ARGV[2] ~= '0' then redis.call('PEXPIRE', key, ARGV[2]) end
elseif #out > 0 then
  redis.call('HSET', key, unpack(writes))
end
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`;
/**
 * CREATE: KEYS = [budget] or [budget, request id]. ARGV = [request ttl ms,
 * if absent ('1'/'0'), ttl ms ('0' = none), then (dim, limit, warn or '-')
 * triples]. Returns 1 when it wrote the budget, 0 when `if absent` found one
 * there, -2 for a request id used with another payload.
 */
exports.CREATE = `#!lua
${exports.COMMON}
local key, rq = KEYS[1], KEYS[2]
local bad = ms(ARGV[1] or '') or (ARGV[2] ~= '1' and ARGV[2] ~= '0' and fail('arguments')) or (ARGV[3] ~= '0' and ms(ARGV[3] or ''))
if bad then return bad end
local decl, err = declaration(4, #ARGV)
if err then return err end
local digest, prior = request(rq, 'create\\n' .. ARGV[2] .. '\\n' .. table.concat(ARGV, '\\n', 4))
if prior then return prior end
local result = 1
if redis.call('EXISTS', key) == 1 and ARGV[2] == '1' then result = 0 end
${exports.WRITES_FOLLOW}
if result == 1 then
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(declared(decl, {})))
  if ARGV[3] ~= '0' then redis.call('PEXPIRE', key, ARGV[3]) end
end
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`;
/**
 * RESET: KEYS = [budget] or [budget, request id]. ARGV = [request ttl ms].
 * Zeroes every spent field: 0, or -1 when there is no budget (not stored
 * under the request id), -2 for a request id used with another payload.
 */
exports.RESET = `#!lua
${exports.COMMON}
local key, rq = KEYS[1], KEYS[2]
local bad = ms(ARGV[1] or '')
if bad then return bad end
local digest, prior = request(rq, 'reset')
if prior then return prior end
local names = redis.call('HKEYS', key)
if #names == 0 then return -1 end
local writes = {}
for k = 1, #names do
  if not string.find(names[k], ':', 1, true) then
    writes[#writes + 1] = names[k]
    writes[#writes + 1] = '0'
  end
end
${exports.WRITES_FOLLOW}
redis.call('HSET', key, unpack(writes))
if rq then redis.call('SET', rq, digest .. ' 0', 'PX', ARGV[1]) end
return 0
`;
/**
 * DELETE: KEYS = [budget] or [budget, request id]. ARGV = [request ttl ms].
 * 1 when a budget was deleted, 0 when there was none, -2 for a request id
 * used with another payload.
 */
exports.DELETE = `#!lua
${exports.COMMON}
local key, rq = KEYS[1], KEYS[2]
local bad = ms(ARGV[1] or '')
if bad then return bad end
local digest, prior = request(rq, 'delete')
if prior then return prior end
${exports.WRITES_FOLLOW}
local result = redis.call('DEL', key)
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`;
/**
 * READ: KEYS = [budget]. With ARGV = [dim]: -1 when there is no budget, else
 * [limit, spent] (false for an undeclared dim). Without ARGV: -1, or
 * [pttl, flat HGETALL].
 */
exports.READ = `#!lua flags=no-writes
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return -1 end
if ARGV[1] then return redis.call('HMGET', key, ARGV[1] .. ':limit', ARGV[1]) end
return { redis.call('PTTL', key), redis.call('HGETALL', key) }
`;
