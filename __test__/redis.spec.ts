// budgetkernel/redis against a real redis-server, the whole suite on every
// client library (ioredis and node-redis 4, 5 and 6: ./redis-server.ts
// CLIENTS): every method, the kernel's semantics (compared with the
// in-process Budget step by step), lazy creation, time to live, request ids,
// keys, and bad input for every argument of every method (a typed error, and
// nothing in Redis changes).

import { createRequire } from 'node:module'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Budget, BuilderError, ChargeError, DIMS, type Dim, type Verdict } from '../index.js'
import { MAX_ENTRIES, RedisBudgets, StoreError, type Declaration } from '../redis.js'
import { forEachClient, useRedis } from './redis-server.js'

const U64_MAX = 2n ** 64n - 1n

const DECL: Declaration = [
  { dim: 'tokens', limit: 100, warn: 80 },
  { dim: 'calls', limit: 3 },
]

forEachClient((kind) => {
  const redis = useRedis([], {}, kind)
  let store: RedisBudgets

  beforeAll(() => {
    store = new RedisBudgets(redis.client)
  })

  beforeEach(async () => {
    await redis.io.flushall()
  })

  /** Every key with its type, value and whether it has a TTL. */
  async function dump(client: Redis = redis.io): Promise<unknown[]> {
    const keys = (await client.keys('*')).sort()
    const out: unknown[] = []
    for (const key of keys) {
      const type = await client.type(key)
      const value = type === 'hash' ? await client.hgetall(key) : await client.get(key)
      out.push([key, type, value, (await client.pttl(key)) > 0])
    }
    return out
  }

  /** How many scripts the server has run so far. */
  async function scriptCalls(): Promise<number> {
    const info = await redis.io.info('commandstats')
    let calls = 0
    for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1])
    return calls
  }

  function caught(e: unknown): Record<string, unknown> {
    if (!(e instanceof Error)) return { thrown: String(e) }
    const error = e as Error & { code?: unknown; dim?: unknown }
    return { name: error.constructor.name, code: error.code, dim: error.dim, message: error.message }
  }

  async function outcome<T>(p: () => Promise<T> | T): Promise<{ ok: T } | { err: Record<string, unknown> }> {
    try {
      return { ok: await p() }
    } catch (e) {
      return { err: caught(e) }
    }
  }

  describe('every method', () => {
    it('every method, shared verdict objects, EVAL after NOSCRIPT, and checkpoints of 3,000 and MAX_ENTRIES entries', async () => {
      const s = new RedisBudgets(redis.client, { prefix: 'c' })
      const budget = Budget.builder().limitWithWarn('tokens', 100, 80).limit('calls', 3).build()
      expect(await s.create('k', DECL)).toBe(true)
      expect(await s.create('k', DECL, { ifAbsent: true })).toBe(false)
      await redis.io.script('FLUSH')
      expect(await s.charge('k', 'tokens', 81)).toBe(budget.charge('tokens', 81))
      expect(await s.chargeMany('k', { calls: 4, tokens: 0 })).toBe(budget.chargeMany({ calls: 4, tokens: 0 }))
      expect(await s.chargeMany('k', [['calls', 0]])).toBe(budget.chargeMany([['calls', 0]]))
      expect(await s.spent('k', 'tokens')).toBe(81n)
      expect(await s.remaining('k', 'calls')).toBe(0n)
      expect(await s.spent('k', 'bytes')).toBeUndefined()
      expect(await s.snapshot('k')).toEqual({
        dims: { tokens: { limit: 100n, warn: 80n, spent: 81n, remaining: 19n }, calls: { limit: 3n, warn: undefined, spent: 4n, remaining: 0n } },
        ttlMs: undefined,
      })
      await s.reset('k')
      expect(await s.spent('k', 'calls')).toBe(0n)
      expect(await s.delete('k')).toBe(true)
      expect(await s.delete('k')).toBe(false)
      expect(await s.snapshot('k')).toBeUndefined()
      await expect(s.charge('k', 'tokens', 1)).rejects.toMatchObject({ name: 'StoreError', code: 'NO_BUDGET' })
      expect(await redis.io.exists('c:{k}')).toBe(0)
      // A checkpoint of 3,000 entries (6,000 arguments) and one of MAX_ENTRIES, created lazily: the same verdict as in process.
      for (const size of [3000, MAX_ENTRIES]) {
        const big = Budget.builder().limitWithWarn('tokens', 100, 80).limit('calls', 3).build()
        const entries = Array.from({ length: size }, (_, i) => [i % 3 === 0 ? 'calls' : 'tokens', i % 5 === 0 ? 1 : 0] as [Dim, number])
        expect(await s.chargeMany(`big${size}`, entries, { createWith: DECL })).toBe(big.chargeMany(entries))
        expect(await s.spent(`big${size}`, 'calls')).toBe(big.spent('calls'))
      }
    })
  })

  describe('the kernel semantics, step by step against the in-process Budget', () => {
    const amount = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 6 },
      { arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }), weight: 1 },
      { arbitrary: fc.bigInt({ min: U64_MAX - 20n, max: U64_MAX }), weight: 1 },
      { arbitrary: fc.constant(Number.MAX_SAFE_INTEGER), weight: 1 },
    )
    const dim = fc.constantFrom(...DIMS)
    const op = fc.oneof(
      fc.tuple(fc.constant('charge' as const), dim, amount),
      fc.tuple(fc.constant('pairs' as const), fc.array(fc.tuple(dim, amount), { maxLength: 5 })),
      fc.tuple(fc.constant('object' as const), fc.dictionary(dim, amount, { maxKeys: 4 })),
      fc.tuple(fc.constant('reset' as const)),
    )
    const limit = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(U64_MAX), fc.bigInt({ min: 1n, max: U64_MAX }))
    const declaration = fc.uniqueArray(dim, { minLength: 1, maxLength: 4 }).chain((dims) =>
      fc.tuple(...dims.map((d) => fc.tuple(fc.constant(d), limit, fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined })))),
    )

    it('same verdict object or the same error, and the same spent and remaining, after every operation', async () => {
      await fc.assert(
        fc.asyncProperty(declaration, fc.array(op, { maxLength: 15 }), async (decl, ops) => {
          const valid = decl.map(([d, l, w]) => ({ dim: d, limit: l, warn: w !== undefined && BigInt(w) < BigInt(l) ? w : undefined }))
          let builder = Budget.builder()
          for (const { dim: d, limit: l, warn: w } of valid) builder = w === undefined ? builder.limit(d, l) : builder.limitWithWarn(d, l, w)
          const budget = builder.build()
          const key = 'model'
          await store.create(key, valid)
          for (const o of ops) {
            const local = await outcome((): Verdict | void =>
              o[0] === 'charge' ? budget.charge(o[1], o[2]) : o[0] === 'pairs' ? budget.chargeMany(o[1]) : o[0] === 'object' ? budget.chargeMany(o[1]) : budget.reset(),
            )
            const shared = await outcome((): Promise<unknown> =>
              o[0] === 'charge' ? store.charge(key, o[1], o[2]) : o[0] === 'pairs' ? store.chargeMany(key, o[1]) : o[0] === 'object' ? store.chargeMany(key, o[1]) : store.reset(key),
            )
            if ('ok' in local && 'ok' in shared) expect(shared.ok).toBe(local.ok)
            else expect(shared).toEqual(local)
            const snap = await store.snapshot(key)
            for (const d of DIMS) {
              expect(snap?.dims[d]?.spent, d).toBe(budget.spent(d))
              expect(snap?.dims[d]?.remaining, d).toBe(budget.remaining(d))
              expect(await store.spent(key, d)).toBe(budget.spent(d))
            }
          }
        }),
        { numRuns: 120 },
      )
    }, 300_000)

    it('create validates with the kernel: the same BuilderError (code, dim, message) or success as Budget.builder()…build(), and writes nothing when it refuses', async () => {
      const entry = fc.record({
        dim: fc.constantFrom<Dim>('tokens', 'calls', 'bytes'),
        limit: fc.constantFrom<bigint | number>(0, 1, 5, U64_MAX),
        warn: fc.constantFrom<bigint | number | undefined>(undefined, 0, 1, 5, U64_MAX),
      })
      await fc.assert(
        fc.asyncProperty(fc.array(entry, { maxLength: 5 }), async (decl) => {
          const local = await outcome(() => {
            let b = Budget.builder()
            for (const { dim: d, limit: l, warn: w } of decl) b = w === undefined ? b.limit(d, l) : b.limitWithWarn(d, l, w)
            return b.build()
          })
          const shared = await outcome(() => store.create('decl', decl))
          if ('err' in local) {
            expect(shared).toEqual(local)
            expect(local.err.name).toBe('BuilderError')
            expect(await redis.io.exists('bk:{decl}')).toBe(0)
          } else {
            expect(shared).toEqual({ ok: true })
            expect(await store.delete('decl')).toBe(true)
          }
        }),
        { numRuns: 300 },
      )
    }, 120_000)

    it('values are decimal strings readable with HGET, exact up to 2^64-1 and saturating there', async () => {
      await store.create('wide', [{ dim: 'tokens', limit: U64_MAX - 1n, warn: 2n ** 63n }])
      expect(await store.charge('wide', 'tokens', 2n ** 63n)).toEqual({ kind: 'continue' })
      expect(await redis.io.hget('bk:{wide}', 'tokens')).toBe('9223372036854775808')
      expect(await store.charge('wide', 'tokens', 2n ** 63n - 2n)).toEqual({ kind: 'warn', dim: 'tokens' })
      expect(await redis.io.hget('bk:{wide}', 'tokens')).toBe('18446744073709551614')
      expect(await store.charge('wide', 'tokens', U64_MAX)).toEqual({ kind: 'exhausted', dim: 'tokens' })
      expect(await redis.io.hget('bk:{wide}', 'tokens')).toBe('18446744073709551615')
      expect(await redis.io.hget('bk:{wide}', 'tokens:limit')).toBe('18446744073709551614')
      expect(await redis.io.hget('bk:{wide}', 'tokens:warn')).toBe('9223372036854775808')
      expect(await store.remaining('wide', 'tokens')).toBe(0n)
    })
  })

  describe('lazy creation, time to live, create and reset', () => {
    it('concurrent first charges with createWith create the budget once and lose no charge', async () => {
      const other = await kind.open(redis.server.port)
      try {
        const stores = [store, new RedisBudgets(other.client)]
        const createWith: Declaration = [{ dim: 'calls', limit: 1000 }, { dim: 'tokens', limit: 10 }]
        const verdicts = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (stores[i % 2] as RedisBudgets).chargeMany('tenant:42:2026-12-01', { calls: 1 }, { createWith, ttlMs: 60_000 })),
        )
        expect(verdicts.every((v) => v.kind === 'continue')).toBe(true)
        const snap = await store.snapshot('tenant:42:2026-12-01')
        expect(snap?.dims.calls).toEqual({ limit: 1000n, warn: undefined, spent: 200n, remaining: 800n })
        expect(snap?.ttlMs).toBeGreaterThan(50_000)
        // An existing budget is charged as it is; createWith does not redeclare it.
        await store.charge('tenant:42:2026-12-01', 'calls', 1, { createWith: [{ dim: 'calls', limit: 1 }] })
        expect((await store.snapshot('tenant:42:2026-12-01'))?.dims.calls?.limit).toBe(1000n)
      } finally {
        await other.close()
      }
    })

    it('a lazily created budget whose charge is refused is taken back: nothing is left', async () => {
      await expect(store.chargeMany('lazy', [['calls', 1], ['bytes', 1]], { createWith: [{ dim: 'calls', limit: 5 }] })).rejects.toMatchObject({
        name: 'ChargeError',
        code: 'UNKNOWN_DIMENSION',
        dim: 'bytes',
      })
      expect(await dump()).toEqual([])
    })

    it('ttlMs makes windows: the budget expires on Redis clock, then NO_BUDGET; reset keeps the ttl', async () => {
      await store.create('window', DECL, { ttlMs: 300 })
      await store.charge('window', 'calls', 1)
      await store.reset('window')
      const ttl = (await store.snapshot('window'))?.ttlMs
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(300)
      await new Promise((r) => setTimeout(r, 400))
      await expect(store.charge('window', 'calls', 1)).rejects.toMatchObject({ code: 'NO_BUDGET' })
      await expect(store.spent('window', 'calls')).rejects.toBeInstanceOf(StoreError)
      await expect(store.reset('window')).rejects.toMatchObject({ code: 'NO_BUDGET' })
      expect(await store.snapshot('window')).toBeUndefined()
    })

    it('create replaces an existing budget (nothing spent, new declaration, ttl dropped) unless ifAbsent', async () => {
      await store.create('r', DECL, { ttlMs: 60_000 })
      await store.charge('r', 'calls', 2)
      expect(await store.create('r', [{ dim: 'bytes', limit: 9 }], { ifAbsent: true })).toBe(false)
      expect(await store.spent('r', 'calls')).toBe(2n)
      expect(await store.create('r', [{ dim: 'bytes', limit: 9 }])).toBe(true)
      expect(await store.snapshot('r')).toEqual({ dims: { bytes: { limit: 9n, warn: undefined, spent: 0n, remaining: 9n } }, ttlMs: undefined })
    })
  })

  describe('request ids', () => {
    it('a repeat returns the stored verdict and applies nothing; another payload is REQUEST_ID_CONFLICT', async () => {
      await store.create('idem', DECL)
      const first = await store.chargeMany('idem', { tokens: 90, calls: 1 }, { requestId: 'req-1' })
      expect(first).toEqual({ kind: 'warn', dim: 'tokens' })
      for (let i = 0; i < 3; i++) expect(await store.chargeMany('idem', { tokens: 90, calls: 1 }, { requestId: 'req-1' })).toBe(first)
      expect(await store.spent('idem', 'tokens')).toBe(90n)
      const before = await dump()
      for (const retry of [
        () => store.chargeMany('idem', { tokens: 91, calls: 1 }, { requestId: 'req-1' }),
        () => store.chargeMany('idem', { calls: 1, tokens: 90 }, { requestId: 'req-1' }),
        () => store.charge('idem', 'tokens', 90, { requestId: 'req-1' }),
      ]) {
        await expect(retry()).rejects.toMatchObject({ name: 'StoreError', code: 'REQUEST_ID_CONFLICT', dim: undefined })
      }
      expect(await dump()).toEqual(before)
      // The hash covers what was charged, not how the budget would be created:
      // a retry that adds createWith or recomputes its ttl gets the stored verdict.
      for (const ttlMs of [1000, 86_400_000, 12_345]) {
        expect(await store.chargeMany('idem', { tokens: 90, calls: 1 }, { requestId: 'req-1', createWith: DECL, ttlMs })).toBe(first)
      }
      expect(await dump()).toEqual(before)
      // The stored result lives next to the budget, with its own ttl.
      expect(await redis.io.pttl('bk:{idem}:rq:req-1')).toBeGreaterThan(590_000)
      // Ids are per budget.
      await store.create('idem2', DECL)
      expect(await store.charge('idem2', 'calls', 1, { requestId: 'req-1' })).toEqual({ kind: 'continue' })
    })

    it('once requestTtlMs has passed, the same id applies again', async () => {
      const short = new RedisBudgets(redis.client, { requestTtlMs: 100 })
      await short.create('t', DECL)
      await short.charge('t', 'calls', 1, { requestId: 'x' })
      await short.charge('t', 'calls', 1, { requestId: 'x' })
      expect(await short.spent('t', 'calls')).toBe(1n)
      await new Promise((r) => setTimeout(r, 200))
      await short.charge('t', 'calls', 1, { requestId: 'x' })
      expect(await short.spent('t', 'calls')).toBe(2n)
    })

    it('refusals are not stored: NO_BUDGET, then the same request succeeds once the budget exists', async () => {
      await expect(store.charge('late', 'calls', 1, { requestId: 'r' })).rejects.toMatchObject({ code: 'NO_BUDGET' })
      await store.create('late', DECL)
      await expect(store.charge('late', 'bytes', 1, { requestId: 'r' })).rejects.toBeInstanceOf(ChargeError)
      expect(await store.charge('late', 'calls', 1, { requestId: 'r' })).toEqual({ kind: 'continue' })
      expect(await store.charge('late', 'calls', 1, { requestId: 'r' })).toEqual({ kind: 'continue' })
      expect(await store.spent('late', 'calls')).toBe(1n)
    })
  })

  describe('keys', () => {
    const keys = ['a{b}c', '}', '{', '}{', '{}', 'with spaces  and\ttabs', 'ünïcødé ✓ 🎉 租户', '%7B', 'x'.repeat(1024), 'é'.repeat(4096)]

    it('keys with braces, spaces, unicode and 1 KiB+ work, each its own budget, all in one slot with their request ids', async () => {
      // ioredis's own slot function (CRC16 of the hash tag), as Cluster routes with it.
      const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number
      for (const [i, key] of keys.entries()) {
        await store.create(key, [{ dim: 'calls', limit: 100 }])
        const requestId = `id ${i} ${key.slice(0, 50)}`
        await store.charge(key, 'calls', i + 1, { requestId })
        const redisKey = store.redisKey(key)
        expect(await redis.io.hget(redisKey, 'calls')).toBe(String(i + 1))
        expect(keySlot(`${redisKey}:rq:${requestId}`)).toBe(keySlot(redisKey))
        expect(await redis.io.exists(`${redisKey}:rq:${requestId}`)).toBe(1)
      }
      for (const [i, key] of keys.entries()) expect(await store.spent(key, 'calls')).toBe(BigInt(i + 1))
      expect(await redis.io.dbsize()).toBe(2 * keys.length)
      expect(store.redisKey('a{b}c')).toBe('bk:{a%7Bb%7Dc}')
      expect(store.redisKey('%7B')).toBe('bk:{%257B}')
    })
  })

  describe('values changed outside budgetkernel', () => {
    type Op = 'spent' | 'remaining' | 'snapshot' | 'charge' | 'chargeMany' | 'lease'
    const ops: Record<Op, () => Promise<unknown>> = {
      spent: () => store.spent('bad', 'calls'),
      remaining: () => store.remaining('bad', 'calls'),
      snapshot: () => store.snapshot('bad'),
      charge: () => store.charge('bad', 'calls', 1, { requestId: 'c' }),
      chargeMany: () => store.chargeMany('bad', { tokens: 1, calls: 1 }, { createWith: DECL }),
      lease: async () => {
        const lease = store.lease('bad', { chunk: 5 })
        return lease.charge('calls', 1)
      },
    }
    const all = Object.keys(ops) as Op[]
    // What each op reads decides which ops refuse: spent and remaining read limit and spent, snapshot also warn,
    // charges also lost and the sum of reservations (res), the lease lost and the lease state.
    const cases: Array<[string, () => Promise<unknown>, string, Op[]]> = [
      ['calls:limit is abc', () => redis.io.hset('bk:{bad}', 'calls:limit', 'abc'), 'calls:limit', all],
      ['calls (spent) is -5', () => redis.io.hset('bk:{bad}', 'calls', '-5'), 'calls', all],
      ['calls (spent) is gone', () => redis.io.hdel('bk:{bad}', 'calls'), 'calls', all],
      ['calls:limit is 2^64', () => redis.io.hset('bk:{bad}', 'calls:limit', String(2n ** 64n)), 'calls:limit', all],
      ['calls:warn is 1e3', () => redis.io.hset('bk:{bad}', 'calls:warn', '1e3'), 'calls:warn', ['snapshot', 'charge', 'chargeMany', 'lease']],
      ['calls:lost is x', () => redis.io.hset('bk:{bad}', 'calls:lost', 'x'), 'calls:lost', ['charge', 'chargeMany', 'lease']],
      // (The lease's script does not read res: it computes it again from the lease state, and writes it.)
      ['calls:res is 1.5', () => redis.io.hset('bk:{bad}', 'calls:res', '1.5'), 'calls:res', ['charge', 'chargeMany']],
      ['a holder\'s expiry in the lease state is soon', () => redis.io.hset('bk:{bad}:ls', 'h#1', 'soon'), 'h#1', ['lease']],
    ]
    for (const [name, change, field, refusing] of cases) {
      it(`${name}: ${refusing.join(', ')} reject with STORE_UNAVAILABLE naming the field, and nothing changes; the others answer`, async () => {
        await store.create('bad', [{ dim: 'tokens', limit: 100, warn: 80 }, { dim: 'calls', limit: 3, warn: 1 }])
        await store.charge('bad', 'calls', 1)
        await change()
        let before = await dump()
        for (const op of all) {
          const got = await outcome(ops[op])
          if (refusing.includes(op)) {
            expect(got, op).toMatchObject({ err: { name: 'StoreError', code: 'STORE_UNAVAILABLE' } })
            expect('err' in got && String(got.err.message), op).toContain(field)
            expect('err' in got && String(got.err.message), op).toContain('changed outside budgetkernel')
            expect(await dump(), op).toEqual(before)
          } else {
            expect(got, op).toHaveProperty('ok')
            before = await dump()
          }
        }
      })
    }
  })

  describe('bad input: a typed error, nothing sent, nothing in Redis changes', () => {
    const sym = Symbol('s')
    const badKeys: Array<[unknown, string]> = [
      [undefined, 'TypeError'],
      [null, 'TypeError'],
      [42, 'TypeError'],
      [sym, 'TypeError'],
      [['k'], 'TypeError'],
      ['', 'RangeError'],
      ['x'.repeat(4097), 'RangeError'],
      ['\uD800', 'TypeError'],
    ]
    const badDims: Array<[unknown, string]> = [[undefined, 'TypeError'], ['Tokens', 'TypeError'], ['toString', 'TypeError'], [0, 'TypeError'], [null, 'TypeError']]
    const badAmounts: Array<[unknown, string]> = [
      [-1, 'RangeError'],
      [1.5, 'RangeError'],
      [NaN, 'RangeError'],
      [Infinity, 'RangeError'],
      [2 ** 53, 'RangeError'],
      [-1n, 'RangeError'],
      [2n ** 64n, 'RangeError'],
      ['1', 'TypeError'],
      [null, 'TypeError'],
      [undefined, 'TypeError'],
      [{}, 'TypeError'],
    ]
    const badDecls: Array<[unknown, string]> = [
      [undefined, 'TypeError'],
      [{ tokens: 1 }, 'TypeError'],
      [[null], 'TypeError'],
      [[{ dim: 'nope', limit: 1 }], 'TypeError'],
      [[{ dim: 'tokens', limit: -1 }], 'RangeError'],
      [[{ dim: 'tokens', limit: '5' }], 'TypeError'],
      [[{ dim: 'tokens', limit: 5, warn: 1.5 }], 'RangeError'],
      [[], 'BuilderError'],
      [[{ dim: 'tokens', limit: 0 }], 'BuilderError'],
      [[{ dim: 'tokens', limit: 5, warn: 5 }], 'BuilderError'],
      [[{ dim: 'tokens', limit: 5 }, { dim: 'tokens', limit: 6 }], 'BuilderError'],
    ]
    const badCharges: Array<[unknown, string]> = [
      [undefined, 'TypeError'],
      [new Map([['tokens', 1]]), 'TypeError'],
      [[['tokens']], 'TypeError'],
      [[['tokens', 1, 2]], 'TypeError'],
      [[['nope', 1]], 'TypeError'],
      [[['tokens', -1]], 'RangeError'],
      [{ tokens: 1, nope: 1 }, 'TypeError'],
      [{ tokens: '1' }, 'TypeError'],
      [[['calls', 1], ['bytes', 1]], 'ChargeError'],
      [{ calls: 1, memory: 2 }, 'ChargeError'],
    ]
    const badChargeOptions: Array<[unknown, string]> = [
      [null, 'TypeError'],
      ['x', 'TypeError'],
      [{ requestID: 'x' }, 'TypeError'],
      [{ requestId: '' }, 'RangeError'],
      [{ requestId: 5 }, 'TypeError'],
      [{ requestId: 'x'.repeat(513) }, 'RangeError'],
      [{ requestId: '\uDC00' }, 'TypeError'],
      [{ ttlMs: 1000 }, 'TypeError'],
      [{ createWith: DECL, ttlMs: 0 }, 'RangeError'],
      [{ createWith: DECL, ttlMs: 1.5 }, 'RangeError'],
      [{ createWith: DECL, ttlMs: '5' }, 'TypeError'],
      [{ createWith: [{ dim: 'calls', limit: 0 }] }, 'BuilderError'],
      [{ createWith: 'calls' }, 'TypeError'],
    ]
    const badCreateOptions: Array<[unknown, string]> = [
      [null, 'TypeError'],
      [{ ttl: 5 }, 'TypeError'],
      [{ ttlMs: -1 }, 'RangeError'],
      [{ ttlMs: 2 ** 48 }, 'RangeError'],
      [{ ifAbsent: 1 }, 'TypeError'],
    ]

    const cases: Array<[string, () => Promise<unknown>, string]> = []
    for (const [key, cls] of badKeys) {
      cases.push([`create key ${String(key)}`, () => store.create(key as string, DECL), cls])
      cases.push([`charge key`, () => store.charge(key as string, 'calls', 1), cls])
      cases.push([`chargeMany key`, () => store.chargeMany(key as string, { calls: 1 }), cls])
      cases.push([`spent key`, () => store.spent(key as string, 'calls'), cls])
      cases.push([`remaining key`, () => store.remaining(key as string, 'calls'), cls])
      cases.push([`reset key`, () => store.reset(key as string), cls])
      cases.push([`delete key`, () => store.delete(key as string), cls])
      cases.push([`snapshot key`, () => store.snapshot(key as string), cls])
    }
    for (const [dim, cls] of badDims) {
      cases.push([`charge dim ${String(dim)}`, () => store.charge('k', dim as Dim, 1), cls])
      cases.push([`spent dim`, () => store.spent('k', dim as Dim), cls])
      cases.push([`remaining dim`, () => store.remaining('k', dim as Dim), cls])
    }
    cases.push(['charge undeclared dim', () => store.charge('k', 'bytes', 1), 'ChargeError'])
    for (const [amount, cls] of badAmounts) cases.push([`charge amount ${String(amount)}`, () => store.charge('k', 'calls', amount as number), cls])
    for (const [decl, cls] of badDecls) cases.push([`create declarations ${JSON.stringify(decl)}`, () => store.create('new', decl as Declaration), cls])
    for (const [charges, cls] of badCharges) cases.push([`chargeMany charges`, () => store.chargeMany('k', charges as never), cls])
    for (const [options, cls] of badChargeOptions) {
      cases.push([`charge options ${JSON.stringify(options)}`, () => store.charge('absent', 'calls', 1, options as never), cls])
      cases.push([`chargeMany options`, () => store.chargeMany('absent', { calls: 1 }, options as never), cls])
    }
    for (const [options, cls] of badCreateOptions) cases.push([`create options ${JSON.stringify(options)}`, () => store.create('k', DECL, options as never), cls])

    it(`${cases.length} bad calls: each rejects with its documented class, and Redis is unchanged`, async () => {
      await store.create('k', DECL)
      await store.charge('k', 'calls', 2)
      const before = await dump()
      for (const [name, call, cls] of cases) {
        const calls = await scriptCalls()
        const got = await outcome(call)
        expect('err' in got ? got.err.name : 'resolved', name).toBe(cls)
        // Type and range errors send nothing; a ChargeError (undeclared) is the
        // script's answer, and a BuilderError the kernel's, before any command.
        if (cls !== 'ChargeError') expect(await scriptCalls(), name).toBe(calls)
        expect(await dump(), name).toEqual(before)
      }
    })

    it('the constructor refuses what is not a client, and bad options', () => {
      expect(() => new RedisBudgets({} as never)).toThrow(TypeError)
      expect(() => new RedisBudgets(null as never)).toThrow(TypeError)
      expect(() => new RedisBudgets(redis.client, { prefix: 'a{' })).toThrow(RangeError)
      expect(() => new RedisBudgets(redis.client, { prefix: '' })).toThrow(RangeError)
      expect(() => new RedisBudgets(redis.client, { timeoutMs: 0 })).toThrow(RangeError)
      expect(() => new RedisBudgets(redis.client, { timeoutMs: Infinity })).toThrow(RangeError)
      expect(() => new RedisBudgets(redis.client, { requestTtlMs: '1' as never })).toThrow(TypeError)
      expect(() => new RedisBudgets(redis.client, { prefx: 'x' } as never)).toThrow(TypeError)
    })

    it('errors are the facade classes: BuilderError from create, ChargeError with the kernel message', async () => {
      await store.create('k', DECL)
      const local = await outcome(() => Budget.builder().limit('calls', 1).build().charge('memory', 1))
      const shared = await outcome(() => store.charge('k', 'memory', 1))
      expect(shared).toEqual(local)
      await expect(store.create('k', [])).rejects.toBeInstanceOf(BuilderError)
    })
  })
})
