// The store's edges, on every client library (./redis-server.ts CLIENTS):
// every script is all or nothing (a script error planted where its writes
// begin leaves every key as it was), a checkpoint of any size up to
// MAX_ENTRIES behaves as the in-process Budget.chargeMany on both paths, and
// request ids for create/reset/delete.

import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Budget, DIMS, type Dim } from '../index.js'
import { connectionFor, script } from '../lib/redis/client.js'
import { CHARGE, CREATE, DELETE, RESET, WRITES_FOLLOW } from '../lib/redis/scripts.js'
import { MAX_ENTRIES, RedisBudgets, type Declaration } from '../redis.js'
import { forEachClient, useRedis } from './redis-server.js'

forEachClient((kind) => {
  const redis = useRedis([], {}, kind)
  let store: RedisBudgets

  beforeAll(() => {
    store = new RedisBudgets(redis.client)
  })
  beforeEach(async () => {
    await redis.io.flushall()
  })

  async function dump(): Promise<unknown[]> {
    const out: unknown[] = []
    for (const key of (await redis.io.keys('*')).sort()) {
      const type = await redis.io.type(key)
      out.push([key, type, type === 'hash' ? await redis.io.hgetall(key) : await redis.io.get(key), await redis.io.pttl(key) > 0])
    }
    return out
  }

  /**
   * A deterministic pseudo-random sequence (no hard-coded expectations: the
   * in-process Budget gives them): `next(k)` is an integer below `k` taken
   * from the high bits of a 32-bit LCG (its low bit only alternates).
   */
  function lcg(seed: number): (k: number) => number {
    let x = seed >>> 0
    return (k) => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0
      return Math.floor((x / 2 ** 32) * k)
    }
  }

  const DECL: Declaration = [
    { dim: 'tokens', limit: 1_000_000, warn: 900_000 },
    { dim: 'calls', limit: 2000, warn: 1500 },
    { dim: 'custom2', limit: 2n ** 64n - 1n },
  ]

  function localBudget(): Budget {
    return Budget.builder().limitWithWarn('tokens', 1_000_000, 900_000).limitWithWarn('calls', 2000, 1500).limit('custom2', 2n ** 64n - 1n).build()
  }

  function checkpoint(size: number, seed: number): Array<[Dim, number | bigint]> {
    const next = lcg(seed)
    const dims: Dim[] = ['tokens', 'calls', 'custom2']
    return Array.from({ length: size }, () => {
      const dim = dims[next(3)] as Dim
      return [dim, dim === 'custom2' ? BigInt(next(2 ** 32)) * 2n ** 31n : dim === 'tokens' ? next(200) : next(2)] as [Dim, number | bigint]
    })
  }

  async function sameAsLocal(key: string, local: Budget): Promise<void> {
    for (const dim of DIMS) {
      const declared = local.remaining(dim) !== undefined
      expect(await store.spent(key, dim)).toBe(declared ? local.spent(dim) : undefined)
    }
  }

  describe('checkpoints of any size (the script reads only the distinct dimensions)', () => {
    for (const size of [2667, 3000]) {
      it(`${size} entries: the same verdicts and spent as Budget.chargeMany, on an existing budget and with createWith, through continue, warn and exhausted`, async () => {
        for (const path of ['existing', 'createWith'] as const) {
          const key = `big-${path}-${size}`
          const local = localBudget()
          if (path === 'existing') await store.create(key, DECL)
          // Rounds until the in-process budget answers exhausted (at most 12).
          const kinds: string[] = []
          for (let round = 0; round < 12 && !kinds.includes('exhausted'); round++) {
            const entries = checkpoint(size, 1000 * size + round)
            const expected = local.chargeMany(entries)
            const got = await store.chargeMany(key, entries, path === 'createWith' ? { createWith: DECL, ttlMs: 60_000, requestId: `r${round}` } : { requestId: `r${round}` })
            expect(got).toBe(expected)
            await sameAsLocal(key, local)
            kinds.push(expected.kind)
            console.log(`${kind.name}: ${size}-entry checkpoint, ${path === 'existing' ? 'existing budget' : 'createWith'}, round ${round}: ${JSON.stringify(got)}, as in process; spent calls ${local.spent('calls')}, tokens ${local.spent('tokens')}`)
          }
          // The comparison covered every verdict kind (as the in-process budget gave them).
          expect(new Set(kinds)).toEqual(new Set(['continue', 'warn', 'exhausted']))
        }
      }, 60_000)
    }

    it(`MAX_ENTRIES (${MAX_ENTRIES}) entries run; one more is CHECKPOINT_TOO_LARGE and nothing is sent`, async () => {
      await store.create('cap', DECL)
      const local = localBudget()
      const entries = checkpoint(MAX_ENTRIES, 7)
      const started = performance.now()
      expect(await store.chargeMany('cap', entries)).toBe(local.chargeMany(entries))
      console.log(`a ${MAX_ENTRIES}-entry checkpoint took ${(performance.now() - started).toFixed(1)} ms round trip`)
      await sameAsLocal('cap', local)
      const before = await dump()
      const calls = (await redis.io.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1]
      await expect(store.chargeMany('cap', checkpoint(MAX_ENTRIES + 1, 8))).rejects.toMatchObject({ name: 'StoreError', code: 'CHECKPOINT_TOO_LARGE' })
      expect((await redis.io.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1]).toBe(calls)
      expect(await dump()).toEqual(before)
    }, 60_000)
  })

  describe('every script is all or nothing under a script error', () => {
    const run = { run: (...a: Parameters<ReturnType<typeof connectionFor>['run']>) => connectionFor(redis.client).run(...a) }
    /** The script with `error()` planted where its writes begin. */
    const planted = (source: string) => {
      expect(source.split(WRITES_FOLLOW).length).toBe(2)
      return script(source.replace(WRITES_FOLLOW, "error('planted fault')"))
    }
    const cases: Array<[string, string, (key: string) => string[], string[]]> = [
      ['CHARGE on an existing budget', CHARGE, (k) => [k], ['600000', '', '0', 'tokens', '5', 'calls', '1', 'tokens', '7']],
      ['CHARGE with a request id', CHARGE, (k) => [k, `${k}:rq:x`], ['600000', '', '0', 'tokens', '5']],
      ['CHARGE creating the budget (createWith, ttl)', CHARGE, () => ['bk:{absent}', 'bk:{absent}:rq:y'], ['600000', '5000', '1', 'tokens', '100', '-', 'tokens', '5']],
      ['CREATE replacing', CREATE, (k) => [k, `${k}:rq:z`], ['600000', '0', '5000', 'calls', '9', '-']],
      ['CREATE new', CREATE, () => ['bk:{absent}'], ['600000', '1', '0', 'calls', '9', '-']],
      ['RESET', RESET, (k) => [k, `${k}:rq:w`], ['600000']],
      ['DELETE', DELETE, (k) => [k, `${k}:rq:v`], ['600000']],
    ]
    for (const [name, source, keys, args] of cases) {
      it(`${name}: the planted error is returned and no key changed`, async () => {
        await store.create('a', DECL)
        await store.chargeMany('a', { tokens: 3, calls: 2 }, { requestId: 'earlier' })
        const before = await dump()
        await expect(run.run(planted(source), keys('bk:{a}'), args)).rejects.toThrow(/planted fault/)
        expect(await dump()).toEqual(before)
        // The same call without the planted error does change something (the case is not vacuous).
        await run.run(script(source), keys('bk:{a}'), args)
        expect(await dump()).not.toEqual(before)
      })
    }

    it('malformed direct calls (amounts, ttls, declarations, dimension names) error and change nothing', async () => {
      await store.create('a', DECL)
      await store.charge('a', 'tokens', 5)
      const before = await dump()
      const bad: Array<[string, string[], string[]]> = [
        [CREATE, ['bk:{a}'], ['600000', '0', '0', 'calls', 'x9', '-']],
        [CREATE, ['bk:{a}'], ['600000', '0', 'soon', 'calls', '9', '-']],
        [CREATE, ['bk:{a}'], ['600000', '0', '0', 'calls', '9']],
        [CREATE, ['bk:{a}'], ['600000', '0', '0', 'tokens:limit', '9', '-']],
        [CHARGE, ['bk:{a}', 'bk:{a}:rq:q'], ['-1', '', '0', 'tokens', '5']],
        [CHARGE, ['bk:{a}'], ['600000', '', '0', 'tokens', '5', 'calls', '18446744073709551616']],
        [CHARGE, ['bk:{a}'], ['600000', '5000', '1', 'tokens', '0', '-', 'tokens', '5']],
        [CHARGE, ['bk:{a}'], ['600000', '', '0', 'tokens:limit', '5']],
        [RESET, ['bk:{a}'], ['0']],
        [DELETE, ['bk:{a}'], []],
      ]
      for (const [source, keys, args] of bad) {
        await expect(run.run(script(source), keys, args), args.join(' ')).rejects.toThrow(/budgetkernel: malformed/)
      }
      expect(await dump()).toEqual(before)
    })
  })

  describe('request ids for create, reset and delete', () => {
    it('a resent reset returns its first answer and does not wipe the charges made since', async () => {
      await store.create('r', DECL)
      await store.charge('r', 'tokens', 10)
      await store.reset('r', { requestId: 'reset-1' })
      await store.charge('r', 'tokens', 7)
      await store.reset('r', { requestId: 'reset-1' })
      expect(await store.spent('r', 'tokens')).toBe(7n)
      await store.reset('r')
      expect(await store.spent('r', 'tokens')).toBe(0n)
      await expect(store.delete('r', { requestId: 'reset-1' })).rejects.toMatchObject({ code: 'REQUEST_ID_CONFLICT' })
      expect(await store.snapshot('r')).toBeDefined()
    })

    it('a resent replacing create (even with another ttl) keeps the charges; a resent delete does not delete the new budget', async () => {
      expect(await store.create('c', DECL, { requestId: 'c1', ttlMs: 60_000 })).toBe(true)
      await store.charge('c', 'calls', 4)
      expect(await store.create('c', DECL, { requestId: 'c1', ttlMs: 30_000 })).toBe(true)
      expect(await store.spent('c', 'calls')).toBe(4n)
      await expect(store.create('c', DECL.slice(1), { requestId: 'c1' })).rejects.toMatchObject({ code: 'REQUEST_ID_CONFLICT' })
      expect(await store.delete('c', { requestId: 'd1' })).toBe(true)
      await store.create('c', DECL)
      expect(await store.delete('c', { requestId: 'd1' })).toBe(true)
      expect(await store.snapshot('c')).toBeDefined()
    })
  })
})
