// The store's edges, on every client library (./redis-server.ts CLIENTS):
// every script is all or nothing (a script error planted where its writes
// begin leaves every key as it was), a checkpoint of any size up to
// MAX_ENTRIES behaves as the in-process Budget.chargeMany on both paths, and
// request ids for create/reset/delete.

import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Budget, DIMS, type Dim } from '../index.js'
import { connectionFor, script } from '../lib/redis/client.js'
import * as LEASE_SCRIPT_EXPORTS from '../lib/redis/lease-scripts.js'
import { GRANT } from '../lib/redis/lease-scripts.js'
import * as SCRIPT_EXPORTS from '../lib/redis/scripts.js'
import { CHARGE, CREATE, DELETE, RESET, WRITES_FOLLOW } from '../lib/redis/scripts.js'
import { MAX_ENTRIES, RedisBudgets, type Declaration } from '../redis.js'
import { forEachClient, useRedis } from './redis-server.js'

/** Every export of the two script modules, by name (the scripts are the strings starting with `#!lua`). */
const EXPORTS: Readonly<Record<string, unknown>> = { ...SCRIPT_EXPORTS, ...LEASE_SCRIPT_EXPORTS }

/** The commands a script may send before WRITES_FOLLOW: reads only. */
const READS = ["'GET'", "'HGET'", "'HMGET'", "'HGETALL'", "'HKEYS'", "'EXISTS'", "'PTTL'", "'TIME'"]

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

    /** Redis's clock in milliseconds (lease expiries are on it). */
    async function now(): Promise<number> {
      const [seconds, micros] = await redis.io.time()
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
    }

    /**
     * A leased budget 'a': a live holder (live#1, 50 tokens and 5 calls
     * reserved), an expired one not yet written off (dead#1, 30 tokens), a
     * late one's tombstone with its written-off 40 tokens in tokens:lost
     * (late#1), and a tombstone past its keep time (old#1).
     */
    async function leased(): Promise<void> {
      const t = await now()
      await redis.io.hset('bk:{a}:ls', 'live#1', String(t + 60_000), 'live#1:tokens', '50', 'live#1:calls', '5', 'dead#1', '1', 'dead#1:tokens', '30', 'late#1', String(-(t + 60_000)), 'late#1:tokens', '40', 'old#1', '-1', 'old#1:tokens', '7')
      await redis.io.hset('bk:{a}', 'tokens:lost', '47')
    }

    interface Case {
      readonly name: string
      /** The exported script's name. */
      readonly script: string
      readonly keys: (key: string) => string[]
      readonly args: string[]
      readonly setup?: () => Promise<void>
    }
    const ls = (k: string) => `${k}:ls`
    const grant = (holder: string, release: string, triples: string[]): string[] => ['600000', holder, '60000', release, '20', ...triples]
    const cases: Case[] = [
      { name: 'CHARGE on an existing budget', script: 'CHARGE', keys: (k) => [k, ls(k)], args: ['600000', '', '0', 'tokens', '5', 'calls', '1', 'tokens', '7'] },
      { name: 'CHARGE with a request id', script: 'CHARGE', keys: (k) => [k, ls(k), `${k}:rq:x`], args: ['600000', '', '0', 'tokens', '5'] },
      { name: 'CHARGE creating the budget (createWith, ttl)', script: 'CHARGE', keys: () => ['bk:{absent}', 'bk:{absent}:ls', 'bk:{absent}:rq:y'], args: ['600000', '5000', '1', 'tokens', '100', '-', 'tokens', '5'] },
      { name: 'CHARGE on a leased budget', script: 'CHARGE', keys: (k) => [k, ls(k)], args: ['600000', '', '0', 'tokens', '5', 'calls', '1'], setup: leased },
      {
        name: 'CHARGE creating a budget where lease state is left (createWith)',
        script: 'CHARGE',
        keys: (k) => [k, ls(k)],
        args: ['600000', '5000', '1', 'tokens', '100', '-', 'tokens', '5'],
        setup: async () => {
          await leased()
          await redis.io.del('bk:{a}')
        },
      },
      { name: 'CREATE replacing', script: 'CREATE', keys: (k) => [k, ls(k), `${k}:rq:z`], args: ['600000', '0', '5000', 'calls', '9', '-'] },
      { name: 'CREATE replacing a leased budget', script: 'CREATE', keys: (k) => [k, ls(k)], args: ['600000', '0', '0', 'calls', '9', '-'], setup: leased },
      { name: 'CREATE new', script: 'CREATE', keys: () => ['bk:{absent}', 'bk:{absent}:ls'], args: ['600000', '1', '0', 'calls', '9', '-'] },
      { name: 'RESET', script: 'RESET', keys: (k) => [k, ls(k), `${k}:rq:w`], args: ['600000'] },
      { name: 'RESET a leased budget', script: 'RESET', keys: (k) => [k, ls(k)], args: ['600000'], setup: leased },
      { name: 'DELETE', script: 'DELETE', keys: (k) => [k, ls(k), `${k}:rq:v`], args: ['600000'] },
      { name: 'DELETE a leased budget', script: 'DELETE', keys: (k) => [k, ls(k)], args: ['600000'], setup: leased },
      { name: 'GRANT, a first grant', script: 'GRANT', keys: (k) => [k, ls(k), `${k}:rq:g`], args: grant('new#1', '0', ['tokens', '0', '5']) },
      { name: 'GRANT, a renewal (expired holders purged, a stale tombstone dropped)', script: 'GRANT', keys: (k) => [k, ls(k)], args: grant('live#1', '0', ['tokens', '10', '5', 'calls', '2', '0']), setup: leased },
      { name: 'GRANT, a release', script: 'GRANT', keys: (k) => [k, ls(k)], args: grant('live#1', '1', ['tokens', '10', '0', 'calls', '2', '0']), setup: leased },
      { name: 'GRANT, a late holder takes back its unused part', script: 'GRANT', keys: (k) => [k, ls(k)], args: grant('late#1', '0', ['tokens', '5', '0']), setup: leased },
      { name: 'GRANT, an exhausting pending charge', script: 'GRANT', keys: (k) => [k, ls(k)], args: grant('other#1', '0', ['calls', '0', '5000']), setup: leased },
    ]

    it('every exported script: a writing one has exactly one WRITES_FOLLOW and no write command before it, a read-only one none; each writing one has planted cases below', () => {
      const exported = Object.entries(EXPORTS).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].startsWith('#!lua'))
      const writing: string[] = []
      for (const [name, source] of exported) {
        const readOnly = /^#!lua flags=.*\bno-writes\b/.test(source)
        const parts = source.split(WRITES_FOLLOW)
        expect(parts.length, name).toBe(readOnly ? 1 : 2)
        if (!readOnly) writing.push(name)
        const before = parts[0] as string
        // Every command before the marker is a literal read: a computed command name could write.
        const commands = [...before.matchAll(/redis\.p?call\(\s*([^,)]*)/g)].map((m) => m[1] as string)
        expect(commands.length, name).toBeGreaterThan(0)
        for (const command of commands) expect(READS, `${name}: ${command} before ${WRITES_FOLLOW}`).toContain(command)
      }
      expect(writing.sort()).toEqual(['CHARGE', 'CREATE', 'DELETE', 'GRANT', 'RESET'])
      expect([...new Set(cases.map((c) => c.script))].sort()).toEqual(writing.sort())
    })

    for (const c of cases) {
      it(`${c.name}: the planted error is returned and no key changed`, async () => {
        const source = EXPORTS[c.script] as string
        await store.create('a', DECL)
        await store.chargeMany('a', { tokens: 3, calls: 2 }, { requestId: 'earlier' })
        await c.setup?.()
        const before = await dump()
        await expect(run.run(planted(source), c.keys('bk:{a}'), c.args)).rejects.toThrow(/planted fault/)
        expect(await dump()).toEqual(before)
        // The same call without the planted error does change something (the case is not vacuous).
        await run.run(script(source), c.keys('bk:{a}'), c.args)
        expect(await dump()).not.toEqual(before)
      })
    }

    it('malformed direct calls (amounts, ttls, declarations, dimension names, keys, GRANT arguments) error and change nothing, on a leased budget', async () => {
      await store.create('a', DECL)
      await store.charge('a', 'tokens', 5)
      await leased()
      const before = await dump()
      const k = ['bk:{a}', 'bk:{a}:ls']
      const bad: Array<[string, string[], string[]]> = [
        [CREATE, k, ['600000', '0', '0', 'calls', 'x9', '-']],
        [CREATE, k, ['600000', '0', 'soon', 'calls', '9', '-']],
        [CREATE, k, ['600000', '0', '0', 'calls', '9']],
        [CREATE, k, ['600000', '0', '0', 'tokens:limit', '9', '-']],
        [CREATE, ['bk:{a}'], ['600000', '0', '0', 'calls', '9', '-']],
        [CREATE, ['bk:{a}', 'bk:{b}:ls'], ['600000', '0', '0', 'calls', '9', '-']],
        [CHARGE, [...k, 'bk:{a}:rq:q'], ['-1', '', '0', 'tokens', '5']],
        [CHARGE, [...k, 'bk:{b}:rq:q'], ['600000', '', '0', 'tokens', '5']],
        [CHARGE, k, ['600000', '', '0', 'tokens', '5', 'calls', '18446744073709551616']],
        [CHARGE, k, ['600000', '5000', '1', 'tokens', '0', '-', 'tokens', '5']],
        [CHARGE, k, ['600000', '', '0', 'tokens:limit', '5']],
        [CHARGE, ['bk:{a}', 'bk:{a}:rq:q'], ['600000', '', '0', 'tokens', '5']],
        [RESET, k, ['0']],
        [RESET, ['bk:{a}'], ['600000']],
        [DELETE, k, []],
        [DELETE, ['bk:{a}', 'bk:{a}:lease'], ['600000']],
        // GRANT: each argument, with expired holders and a late one's tombstone in place (a write-off would show).
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '7']).map((a, i) => (i === 2 ? 'x' : a))],
        [GRANT, k, grant('g#1', '0', ['tokens', '-50', '7'])],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', 'x'])],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '18446744073709551616'])],
        [GRANT, k, grant('g#1', '2', ['tokens', '5', '7'])],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '7']).map((a, i) => (i === 4 ? '0' : a))],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '7']).map((a, i) => (i === 4 ? '9007199254740992' : a))],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '7']).map((a, i) => (i === 0 ? '0' : a))],
        [GRANT, k, grant('a:b', '0', ['tokens', '5', '7'])],
        [GRANT, k, grant('', '0', ['tokens', '5', '7'])],
        [GRANT, k, grant('g#1', '0', ['tokens', '5'])],
        [GRANT, k, grant('g#1', '0', ['Tokens', '5', '7'])],
        [GRANT, k, grant('g#1', '0', ['tokens', '5', '7', 'tokens', '1', '1'])],
        [GRANT, k, ['600000', 'g#1', '60000', '0']],
        [GRANT, ['bk:{a}', 'bk:{a}:lx'], grant('g#1', '0', ['tokens', '5', '7'])],
        [GRANT, [...k, 'bk:{a}:xx:1'], grant('g#1', '0', ['tokens', '5', '7'])],
      ]
      for (const [source, keys, args] of bad) {
        await expect(run.run(script(source), keys, args), `${keys.join(' ')} ${args.join(' ')}`).rejects.toThrow(/budgetkernel: malformed/)
      }
      expect(await dump()).toEqual(before)
      // The same budget and lease state do change under a well-formed GRANT (what the refusals did not do).
      await run.run(script(GRANT), k, grant('g#1', '0', ['tokens', '5', '7']))
      expect(await dump()).not.toEqual(before)
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
