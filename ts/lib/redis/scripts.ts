// The Lua scripts of the Redis store: each operation is one atomic script call.
//
// A budget is one hash, `PREFIX:{KEY}`. For each declared dimension NAME it
// holds `NAME` (spent), `NAME:limit` and, when declared, `NAME:warn`, all as
// canonical decimal strings (`HGET bk:{tenant-42} tokens`); a leased budget
// also `NAME:lost` (./lease-scripts). A request id's first result lives at
// `PREFIX:{KEY}:rq:ID` and the lease state at `PREFIX:{KEY}:ls` (same hash
// tag, same slot). Every writing script takes KEYS = [budget, lease state]
// or [budget, lease state, request id], and checks that they are named so.
//
// Exact u64 arithmetic: Lua numbers are doubles, exact only up to 2^53, so a
// value is split into two exact doubles, hi = v // 10^10 and lo = v mod 10^10,
// added with a carry and compared limb by limb; 2^64-1 is (1844674407,
// 3709551615). Amounts arriving in ARGV are checked (digits only, at most
// 2^64-1: `amount`), and so is every value read back (`stored`, `leases`): a
// field changed outside budgetkernel is an error reply naming it, before
// anything is written, never a wrong verdict.
//
// All or nothing: Redis does not roll a script back, so every writing script
// first checks every argument, then reads (and checks what it read), and only
// after the line `-- writes follow --` (WRITES_FOLLOW) writes. A script error
// anywhere before that line leaves every key as it was;
// __test__/redis-atomicity.spec.ts checks that no write command precedes the
// line in any exported script and plants an error there in each. CHARGE reads
// only the distinct dimensions of a checkpoint (at most 8), never one field
// per entry, so a checkpoint of any size runs (the client caps entries, MAX_ENTRIES).
//
// Leases: what holders may approve locally is not in spent yet, so CHARGE
// counts spent + NAME:lost + NAME:res, the sum of every reservation but a
// tombstone's, which GRANT keeps beside them (one HMGET, no scan of the
// lease state on the hot path).
// CREATE (writing the budget), RESET and DELETE, and CHARGE when it creates
// the budget, start a new period of the lease state (`period`): live
// reservations stay and keep counting against whatever budget is at the key
// (NAME:res is their sum); tombstones, expired reservations and NAME:lost go
// with the spent they belonged to, so a late report cannot take back from a
// later period's lost. The lease state lives as long as the budget, and at
// least until its latest live reservation expires (`lifetime`).
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

/** The line after which a script writes; nothing before it changes a key. */
export const WRITES_FOLLOW = '-- writes follow --'

/** How a script's error reply begins when a value it read back is not one the scripts write (the store matches it). */
export const CORRUPT = 'budgetkernel: corrupt stored value'

/**
 * What a writing script puts where its writes begin: the {@link WRITES_FOLLOW}
 * line, then the helpers that write, defined only here so that no write
 * command appears before that line, and every command is named literally
 * (the store's ACL lists them: redis-durability.spec's STORE_ACL).
 */
export const WRITES = `${WRITES_FOLLOW}
-- Sets the lease state's lifetime, as \`lifetime\` computed it.
local function set_lifetime(ls, ms)
  if ms < 0 then redis.call('PERSIST', ls) else redis.call('PEXPIRE', ls, string.format('%.0f', ms)) end
end`

/** Argument checks, limb arithmetic, stored-value checks, lease state and request ids shared by the writing scripts (./lease-scripts too). None of them writes. */
export const COMMON = `
local MAXH, MAXL, TEN10 = 1844674407, 3709551615, 10000000000
-- A decimal string of 0 to 2^64-1: 1 to 20 digits, nothing else.
local function u64(s)
  if type(s) ~= 'string' then return false end
  local n = #s
  return n > 0 and n <= 20 and not string.find(s, '[^0-9]') and not (n == 20 and s > '18446744073709551615')
end
-- Limbs (v = h * 10^10 + l, both exact doubles): split a u64 decimal, format,
-- add (exact; h may pass MAXH), saturate at 2^64-1, compare, subtract (a >= b).
local function split(s)
  local n = #s
  if n <= 10 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 10)), tonumber(string.sub(s, n - 9))
end
local function decimal(h, l)
  if h == 0 then return string.format('%.0f', l) end
  return string.format('%.0f%010.0f', h, l)
end
local function add(h, l, h2, l2)
  h, l = h + h2, l + l2
  if l >= TEN10 then h, l = h + 1, l - TEN10 end
  return h, l
end
local function sat(h, l)
  if h > MAXH or (h == MAXH and l > MAXL) then return MAXH, MAXL end
  return h, l
end
local function gt(h, l, h2, l2) return h > h2 or (h == h2 and l > l2) end
local function sub(h, l, h2, l2)
  h, l = h - h2, l - l2
  if l < 0 then h, l = h - 1, l + TEN10 end
  return h, l
end
local function fail(what) return redis.error_reply('budgetkernel: malformed ' .. what) end
-- A stored value that is not what the scripts write: the key was changed outside budgetkernel.
local function corrupt(what) return redis.error_reply('${CORRUPT} (' .. what .. ')') end
local function amount(s) if not u64(s) then return fail('amount') end end
local function stored(s, field) if not u64(s) then return corrupt(field) end end
local function ms(s)
  if not string.find(s, '^[1-9][0-9]*$') or #s > 15 then return fail('milliseconds') end
end
local function dimname(s)
  if not string.find(s, '^[a-z][a-z0-9]*$') or #s > 16 then return fail('dimension') end
end
-- KEYS = [budget, its lease state, request id or none]: the lease state and the
-- request id are named after the budget (same hash tag, same Cluster slot).
local function keys(key, ls, rq)
  if type(key) ~= 'string' or ls ~= key .. ':ls' or (rq and string.sub(rq, 1, #key + 4) ~= key .. ':rq:') then return fail('keys') end
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
    local text = string.sub(prior, 42)
    return digest, tonumber(text) or text
  end
  return digest, -2
end
-- Redis's clock, in milliseconds.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The lease state PREFIX:{KEY}:ls (./lease-scripts): field H is holder H's
-- expiry (ms, Redis's clock) or, negative, its tombstone (minus the time until
-- which it is kept); field H:NAME the amount of NAME reserved to H (a
-- tombstone's: the amount written off to NAME:lost). Read and checked:
-- { expiry = H -> ms, parts = { { field, H, NAME, amount } } }, or nil and an error.
local function leases(ls)
  local all = redis.call('HGETALL', ls)
  local expiry, parts = {}, {}
  for k = 1, #all, 2 do
    local f, v = all[k], all[k + 1]
    local sep = string.find(f, ':', 1, true)
    if sep then
      if not u64(v) then return nil, corrupt(f) end
      parts[#parts + 1] = { f, string.sub(f, 1, sep - 1), string.sub(f, sep + 1), v }
    else
      if not string.find(v, '^%-?[0-9]+$') or #v > 17 then return nil, corrupt(f) end
      expiry[f] = tonumber(v)
    end
  end
  return { expiry = expiry, parts = parts }
end
-- Adds amount v (a u64 decimal) to sums[d] (limbs).
local function plus(sums, d, v)
  local x = sums[d] or { 0, 0 }
  local h, l = split(v)
  x[1], x[2] = add(x[1], x[2], h, l)
  sums[d] = x
end
-- HSET arguments of NAME:res, the sum of NAME's reservations that are not
-- tombstones (live, or expired and not yet written off: a holder may have
-- used them), from sums per dimension (limbs); zero sums are left out.
local function reservations(sums)
  local fields = {}
  for d, x in pairs(sums) do
    if x[1] > 0 or x[2] > 0 then
      fields[#fields + 1] = d .. ':res'
      fields[#fields + 1] = decimal(x[1], x[2])
    end
  end
  return fields
end
-- A new budget period (the budget created, replaced, reset or deleted): live
-- reservations stay and keep counting against whatever budget is at the key
-- (their holders may still approve them locally); tombstones and expired
-- reservations belong to the period that ends (a holder decides nothing past
-- its deadline, which precedes the expiry), so they go, and NAME:lost with
-- them; NAME:res becomes the live sums. Returns the fields to drop, the live
-- sums per dimension (limbs) and the latest live expiry (0: none).
local function period(state, now)
  local drop, live, latest = {}, {}, 0
  for h, e in pairs(state.expiry) do
    if e > now then
      if e > latest then latest = e end
    else
      drop[#drop + 1] = h
    end
  end
  for k = 1, #state.parts do
    local p = state.parts[k]
    local e = state.expiry[p[2]]
    if e and e > now then plus(live, p[3], p[4]) else drop[#drop + 1] = p[1] end
  end
  return drop, live, latest
end
-- How long the lease state must live, in ms (-1: as long as the budget, which
-- has no ttl): the budget's pttl, and at least until its latest live
-- reservation expires, so that a budget created again under the key still
-- counts it. WRITES's \`set_lifetime\` applies it.
local function lifetime(pttl, latest, now)
  if pttl < 0 then return -1 end
  local keep = latest - now
  if keep < pttl then keep = pttl end
  return keep
end
-- The new period (\`period\`) that creating, replacing, resetting or deleting
-- the budget starts in the lease state at \`ls\`, the budget's ttl then being
-- \`pttl\` ms (-1: none; 0: deleted). nil when there is no lease state; else
-- the fields to drop, the live sums per dimension (limbs), their NAME:res
-- fields, and the state's lifetime. Or nil and an error reply.
local function new_period(ls, pttl)
  local state, err = leases(ls)
  if err then return nil, err end
  if #state.parts == 0 and not next(state.expiry) then return nil end
  local now = clock()
  local drop, live, latest = period(state, now)
  return { drop = drop, live = live, held = reservations(live), life = lifetime(pttl, latest, now) }
end
`

/**
 * CHARGE: KEYS = [budget, lease state] or [budget, lease state, request id].
 * ARGV = [request ttl ms, create ttl ms ('' = no createWith, '0' = no ttl),
 *         declaration count n, n × (dim, limit, warn or '-'), then (dim, amount) pairs].
 * On a leased budget the verdict counts, per dimension, spent + NAME:lost +
 * NAME:res (every reservation but a tombstone's): what holders may approve
 * locally is not in spent yet. spent itself gets only the charge.
 */
export const CHARGE = `#!lua
${COMMON}
local key, ls, rq = KEYS[1], KEYS[2], KEYS[3]
local n = tonumber(ARGV[3])
local bad = keys(key, ls, rq)
if bad then return bad end
if #ARGV < 3 or not n or n < 0 or n % 1 ~= 0 then return fail('arguments') end
local first = 4 + 3 * n
local count = (#ARGV - first + 1) / 2
if count < 0 or count % 1 ~= 0 then return fail('arguments') end
bad = ms(ARGV[1]) or (ARGV[2] ~= '' and ARGV[2] ~= '0' and ms(ARGV[2]))
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
-- spent, limit, warn, lost and reserved (NAME:res) of each distinct dimension (limit false: undeclared).
local spent, limit, warn, lost, res = {}, {}, {}, {}, {}
if exists then
  if #names > 0 then
    local fields = {}
    for k = 1, #names do
      fields[5 * k - 4] = names[k]
      fields[5 * k - 3] = names[k] .. ':limit'
      fields[5 * k - 2] = names[k] .. ':warn'
      fields[5 * k - 1] = names[k] .. ':lost'
      fields[5 * k] = names[k] .. ':res'
    end
    local values = redis.call('HMGET', key, unpack(fields))
    for k = 1, #names do
      local d = names[k]
      spent[d], limit[d], warn[d], lost[d], res[d] = values[5 * k - 4], values[5 * k - 3], values[5 * k - 2], values[5 * k - 1], values[5 * k]
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
-- What counts besides spent (leases, ./lease-scripts): NAME:lost and NAME:res.
-- A budget created here starts a period of the lease state: only live
-- reservations stay, and they count.
local extra, drop, life, held = {}, {}, nil, {}
for k = 1, #names do
  local d = names[k]
  bad = stored(spent[d], d) or stored(limit[d], d .. ':limit') or (warn[d] and stored(warn[d], d .. ':warn'))
    or (lost[d] and stored(lost[d], d .. ':lost')) or (res[d] and stored(res[d], d .. ':res'))
  if bad then return bad end
  if lost[d] then plus(extra, d, lost[d]) end
  if res[d] then plus(extra, d, res[d]) end
end
if not exists then
  local p, err = new_period(ls, ARGV[2] == '0' and -1 or tonumber(ARGV[2]))
  if err then return err end
  if p then drop, extra, held, life = p.drop, p.live, p.held, p.life end
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
    h, l = sat(add(h, l, split(a)))
    hi[d], lo[d] = h, l
    if not dirty[d] then dirty[d] = true; out[#out + 1] = d end
  end
  if severity < 2 then
    local x = extra[d]
    if x then h, l = add(h, l, x[1], x[2]) end
    if gt(h, l, lh[d], ll[d]) then
      result, severity = 2 + 2 * j, 2
    elseif severity < 1 and wh[d] and gt(h, l, wh[d], wl[d]) then
      result, severity = 1 + 2 * j, 1
    end
  end
end
local writes = {}
for k = 1, #out do
  writes[2 * k - 1] = out[k]
  writes[2 * k] = decimal(hi[out[k]], lo[out[k]])
end
${WRITES}
if not exists then
  local values = {}
  for k = 1, #out do values[out[k]] = writes[2 * k] end
  local fields = declared(decl, values)
  for k = 1, #held do fields[#fields + 1] = held[k] end
  redis.call('HSET', key, unpack(fields))
  if ARGV[2] ~= '0' then redis.call('PEXPIRE', key, ARGV[2]) end
elseif #out > 0 then
  redis.call('HSET', key, unpack(writes))
end
if #drop > 0 then redis.call('HDEL', ls, unpack(drop)) end
if life then set_lifetime(ls, life) end
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`

/**
 * CREATE: KEYS = [budget, lease state] or [budget, lease state, request id].
 * ARGV = [request ttl ms, if absent ('1'/'0'), ttl ms ('0' = none), then
 * (dim, limit, warn or '-') triples]. Returns 1 when it wrote the budget, 0
 * when `if absent` found one there, -2 for a request id used with another
 * payload. Writing the budget starts a new period of the lease state (`period`).
 */
export const CREATE = `#!lua
${COMMON}
local key, ls, rq = KEYS[1], KEYS[2], KEYS[3]
local bad = keys(key, ls, rq) or ms(ARGV[1] or '') or (ARGV[2] ~= '1' and ARGV[2] ~= '0' and fail('arguments')) or (ARGV[3] ~= '0' and ms(ARGV[3] or ''))
if bad then return bad end
local decl, err = declaration(4, #ARGV)
if err then return err end
local digest, prior = request(rq, 'create\\n' .. ARGV[2] .. '\\n' .. table.concat(ARGV, '\\n', 4))
if prior then return prior end
local result = 1
if redis.call('EXISTS', key) == 1 and ARGV[2] == '1' then result = 0 end
local fields, drop, life = declared(decl, {}), {}, nil
if result == 1 then
  local p
  p, err = new_period(ls, ARGV[3] == '0' and -1 or tonumber(ARGV[3]))
  if err then return err end
  if p then
    drop, life = p.drop, p.life
    for k = 1, #p.held do fields[#fields + 1] = p.held[k] end
  end
end
${WRITES}
if result == 1 then
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  if ARGV[3] ~= '0' then redis.call('PEXPIRE', key, ARGV[3]) end
  if #drop > 0 then redis.call('HDEL', ls, unpack(drop)) end
  if life then set_lifetime(ls, life) end
end
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
`

/**
 * RESET: KEYS = [budget, lease state] or [budget, lease state, request id].
 * ARGV = [request ttl ms]. Zeroes every spent field, drops NAME:lost and
 * counts only live reservations in NAME:res (a new period of the lease state, `period`): 0, or -1 when there is no budget
 * (not stored under the request id), -2 for a request id used with another payload.
 */
export const RESET = `#!lua
${COMMON}
local key, ls, rq = KEYS[1], KEYS[2], KEYS[3]
local bad = keys(key, ls, rq) or ms(ARGV[1] or '')
if bad then return bad end
local digest, prior = request(rq, 'reset')
if prior then return prior end
local names = redis.call('HKEYS', key)
if #names == 0 then return -1 end
local writes, gone = {}, {}
for k = 1, #names do
  local f = names[k]
  if not string.find(f, ':', 1, true) then
    writes[#writes + 1] = f
    writes[#writes + 1] = '0'
  elseif string.sub(f, -5) == ':lost' or string.sub(f, -4) == ':res' then
    gone[#gone + 1] = f
  end
end
local p, err = new_period(ls, redis.call('PTTL', key))
if err then return err end
local drop, life = {}, nil
if p then
  drop, life = p.drop, p.life
  for k = 1, #p.held do writes[#writes + 1] = p.held[k] end
end
${WRITES}
if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
if #drop > 0 then redis.call('HDEL', ls, unpack(drop)) end
if life then set_lifetime(ls, life) end
if rq then redis.call('SET', rq, digest .. ' 0', 'PX', ARGV[1]) end
return 0
`

/**
 * DELETE: KEYS = [budget, lease state] or [budget, lease state, request id].
 * ARGV = [request ttl ms]. 1 when a budget was deleted, 0 when there was
 * none, -2 for a request id used with another payload. The lease state keeps
 * only its live reservations (`period`), until the latest of them expires:
 * a budget created again under the key counts them.
 */
export const DELETE = `#!lua
${COMMON}
local key, ls, rq = KEYS[1], KEYS[2], KEYS[3]
local bad = keys(key, ls, rq) or ms(ARGV[1] or '')
if bad then return bad end
local digest, prior = request(rq, 'delete')
if prior then return prior end
local p, err = new_period(ls, 0)
if err then return err end
local drop, life = {}, nil
if p then drop, life = p.drop, p.life end
${WRITES}
local result = redis.call('DEL', key)
if #drop > 0 then redis.call('HDEL', ls, unpack(drop)) end
if life then set_lifetime(ls, life) end
if rq then redis.call('SET', rq, digest .. ' ' .. result, 'PX', ARGV[1]) end
return result
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
