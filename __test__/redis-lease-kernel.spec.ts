// Leased budgets, with a real redis-server: local decisions are the
// in-process kernel's (the reservation's edge is exact, nothing is decided
// against a reservation the store is taking back, either engine works);
// lease calls carry request ids (a resent renewal reports its usage once);
// `createWith` on a lease; bad input to lease()/tryCharge is a typed error
// that changes nothing, in Redis (every key read before and after) or in the
// lease, and so is a limit above 2^53 - 1; a late holder's tombstone is kept
// for requestTtlMs, then purged.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { GRANT } from '../lib/redis/lease-scripts.js'
import { BudgetExhaustedError, BuilderError, RedisBudgets, StoreError, type LeasedBudget } from '../redis.js'
import { lossyClient, useRedis } from './redis-server.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

const WORKER = path.join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'lease-charger.cjs')

/** Every key of the server with its type, value and whether it expires: what "nothing changed" compares. */
async function everything(io: Redis): Promise<string> {
  const keys = (await io.keys('*')).sort()
  const out: unknown[] = []
  for (const key of keys) {
    const type = await io.type(key)
    const value = type === 'hash' ? Object.entries(await io.hgetall(key)).sort() : type === 'string' ? await io.get(key) : type
    out.push([key, type, value, (await io.pttl(key)) > 0])
  }
  return JSON.stringify(out)
}

/** A holder's outcome line: its totals, and which engine modules its process loaded. */
interface Outcome {
  approved: number
  all: number
  native: boolean
  wasm: boolean
}

/** A holder process (workers/lease-charger.cjs) with extra environment; resolves its outcome line. */
function holder(port: number, key: string, count: number, chunk: number, seed: number, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, String(port), key, String(count), String(chunk), String(seed), '0'], { env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Outcome)
      else reject(new Error(`holder exited ${code}: ${err}`))
    })
  })
}

describe('leased budget: local decisions by the kernel', () => {
  const redis = useRedis()

  it('the reservation edge is exact: what fits is decided locally, one unit more goes to the store', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('edge', [{ dim: 'tokens', limit: 1_000 }])
    const lease = store.lease('edge', { chunk: 10 })
    expect(await lease.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(lease.refills).toBe(1)
    // The grant is the chunk plus the asking charge: 10 left locally, exactly.
    expect(lease.remaining('tokens')).toBe(10)
    expect(lease.tryCharge('tokens', 10)?.kind).toBe('continue')
    expect(lease.remaining('tokens')).toBe(0)
    expect(lease.tryCharge('tokens', 0)?.kind).toBe('continue')
    expect(lease.tryCharge('tokens', 1)).toBeUndefined()
    // A local refusal is not a verdict: the store decides it, and it fits the budget.
    expect(await lease.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(lease.refills).toBe(2)
    await lease.release()
    expect(await store.spent('edge', 'tokens')).toBe(12n)
  })

  it('two holders at the very end of a budget: never one unit past the limit, and all of it used', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('end', [{ dim: 'tokens', limit: 57 }])
    const leases = [store.lease('end', { chunk: 10 }), store.lease('end', { chunk: 10 })]
    let approved = 0
    let charged = 0
    for (let i = 0; i < 50; i++) {
      for (const lease of leases) {
        const verdict = await lease.charge('tokens', 1 + (i % 2))
        charged += 1 + (i % 2)
        if (verdict.kind !== 'exhausted') approved += 1 + (i % 2)
        expect(approved).toBeLessThanOrEqual(57)
      }
    }
    for (const lease of leases) await lease.release()
    // Every unit granted back and forth: at the end the last units are decided exactly.
    expect(approved).toBeGreaterThanOrEqual(56)
    expect(await store.spent('end', 'tokens')).toBe(BigInt(charged))
  })

  it('no local decision while a store call is in flight (the store takes the old reservation back)', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('inflight', [{ dim: 'tokens', limit: 10_000 }])
    const lease = store.lease('inflight', { chunk: 100 })
    await lease.charge('tokens', 1)
    const big = lease.charge('tokens', 200)
    expect(big).toBeInstanceOf(Promise)
    // 1 + 50 fits the old reservation of 101, which this call is returning to the store.
    expect(lease.tryCharge('tokens', 50)).toBeUndefined()
    const waiting = lease.charge('tokens', 50)
    expect(await big).toMatchObject({ kind: 'continue' })
    expect(await waiting).toMatchObject({ kind: 'continue' })
    // The waiting charge was decided locally, in the new reservation (200 + the chunk of 100):
    // the first grant and the one for 200 are the only store calls.
    expect(lease.refills).toBe(2)
    expect(lease.remaining('tokens')).toBe(50)
    await lease.release()
    expect(lease.spent('tokens')).toBe(251)
    expect(await store.spent('inflight', 'tokens')).toBe(251n)
  })

  it('a checkpoint is decided locally by the kernel: worst verdict, all of it or none', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('many', [
      { dim: 'tokens', limit: 1_000, warn: 10 },
      { dim: 'calls', limit: 1_000 },
    ])
    const lease = store.lease('many', { chunk: 20 })
    // The first grant takes spent + reserved past tokens' warn threshold of 10.
    expect(await lease.chargeMany({ calls: 1, tokens: 1 })).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(lease.tryChargeMany([['calls', 2], ['tokens', 3]])).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(lease.tryChargeMany({ calls: 0 })).toMatchObject({ kind: 'continue' })
    // One entry beyond its reservation: nothing of the checkpoint is applied locally.
    expect(lease.tryChargeMany([['calls', 1], ['tokens', 100]])).toBeUndefined()
    expect(lease.spent('calls')).toBe(3)
    expect(lease.spent('tokens')).toBe(4)
    expect(await lease.chargeMany([['calls', 1], ['tokens', 100]])).toMatchObject({ kind: 'warn', dim: 'tokens' })
    await lease.release()
    expect(await store.spent('many', 'calls')).toBe(4n)
    expect(await store.spent('many', 'tokens')).toBe(104n)
  })

  for (const engine of ['wasm', 'native'] as const) {
    it(`works on either engine: two holder processes with BUDGETKERNEL_ENGINE=${engine}, their local kernels on it, safe and exact`, async () => {
      const store = new RedisBudgets(redis.io)
      await store.create(engine, [{ dim: 'tokens', limit: 8_000 }])
      const results = await Promise.all([0, 1].map((seed) => holder(redis.server.port, engine, 3_000, 50, seed, { BUDGETKERNEL_ENGINE: engine })))
      // What each process loaded (the worker loads no engine itself: only its lease's local kernel does).
      const loaded = { native: engine === 'native', wasm: engine === 'wasm' }
      expect(results.map((r) => ({ native: r.native, wasm: r.wasm }))).toEqual([loaded, loaded])
      const approved = results.reduce((s, r) => s + r.approved, 0)
      expect(approved).toBeLessThanOrEqual(8_000)
      expect(approved).toBeGreaterThanOrEqual(8_000 - 55 - 5)
      expect(await store.spent(engine, 'tokens')).toBe(BigInt(results.reduce((s, r) => s + r.all, 0)))
    }, 60_000)
  }
})

describe('leased budget: request ids', () => {
  const redis = useRedis()

  it('the grant script applies a resent call once and returns its first result', async () => {
    await redis.io.hset('bk:{rq}', 'tokens', '5', 'tokens:limit', '1000')
    const send = async (holder: string, used: string): Promise<string> =>
      String(await redis.io.eval(GRANT, 3, 'bk:{rq}', 'bk:{rq}:ls', 'bk:{rq}:rq:one', '60000', holder, '60000', '0', '10', 'tokens', used, '3'))
    const first = await send('h1', '7')
    expect(first.split(' ')).toEqual(['0', '13', '0'])
    const state = await everything(redis.io)
    expect(await send('h1', '7')).toBe(first)
    expect(await everything(redis.io)).toBe(state)
    expect(await redis.io.hget('bk:{rq}', 'tokens')).toBe('12')
    // The same id for another call is refused, and nothing changes.
    expect(await redis.io.eval(GRANT, 3, 'bk:{rq}', 'bk:{rq}:ls', 'bk:{rq}:rq:one', '60000', 'h1', '60000', '0', '10', 'tokens', '8', '3')).toBe(-2)
    expect(await everything(redis.io)).toBe(state)
  })

  it('a renewal whose reply was lost is resent by the lease: its usage and charge count once', async () => {
    // An ioredis stand-in over the real client that loses replies after the script ran.
    const flaky = lossyClient(redis.io)
    const store = new RedisBudgets(flaky.client, { timeoutMs: 300 })
    await store.create('resend', [{ dim: 'tokens', limit: 10_000 }])
    const lease = store.lease('resend', { chunk: 100 })
    await lease.charge('tokens', 1)
    for (let i = 0; i < 30; i++) expect(lease.tryCharge('tokens', 1)?.kind).toBe('continue')
    flaky.loseNext(1)
    // The renewal reports 31 and asks for 500; it runs, its reply is lost.
    await expect(Promise.resolve(lease.charge('tokens', 500))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(await store.spent('resend', 'tokens')).toBe(31n)
    // In doubt: nothing is decided against a reservation the store may have taken back.
    expect(lease.tryCharge('tokens', 1)).toBeUndefined()
    const refills = lease.refills
    // The next charge resends the same call first (the stored result, not a second run), then fits locally.
    expect(await lease.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(lease.refills).toBe(refills + 1)
    expect(await store.spent('resend', 'tokens')).toBe(31n)
    await lease.release()
    expect(lease.spent('tokens')).toBe(532)
    expect(await store.spent('resend', 'tokens')).toBe(532n)
    expect(await redis.io.hlen('bk:{resend}:ls')).toBe(0)
  })
})

describe('leased budget: createWith', () => {
  const redis = useRedis()

  it('creates the budget on the first grant with the declaration and its time to live', async () => {
    const store = new RedisBudgets(redis.io)
    const lease = store.lease('made', { chunk: 10, createWith: [{ dim: 'tokens', limit: 50, warn: 40 }], createTtlMs: 60_000 })
    expect(await redis.io.exists('bk:{made}')).toBe(0)
    let approved = 0
    for (let i = 0; i < 30; i++) if ((await lease.charge('tokens', 2)).kind !== 'exhausted') approved += 2
    await lease.release()
    expect(approved).toBe(50)
    const snapshot = await store.snapshot('made')
    expect(snapshot?.dims.tokens).toMatchObject({ limit: 50n, warn: 40n, spent: 60n })
    expect(snapshot?.ttlMs).toBeGreaterThan(0)
  })

  it('an existing budget is leased as it is: its own declaration wins, and it is not rewritten', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('kept', [{ dim: 'calls', limit: 30 }])
    await store.charge('kept', 'calls', 4)
    const before = await everything(redis.io)
    const lease = store.lease('kept', { chunk: 10, createWith: [{ dim: 'tokens', limit: 1_000 }, { dim: 'calls', limit: 1_000 }] })
    await expect(Promise.resolve(lease.charge('tokens', 1))).rejects.toMatchObject({ code: 'UNKNOWN_DIMENSION', dim: 'tokens' })
    expect(await everything(redis.io)).toBe(before)
    let approved = 0
    for (let i = 0; i < 40; i++) if ((await lease.charge('calls', 1)).kind !== 'exhausted') approved++
    await lease.release()
    expect(approved).toBe(26)
    expect(await store.snapshot('kept')).toMatchObject({ dims: { calls: { limit: 30n, spent: 44n } } })
  })
})

describe('leased budget: bad input changes nothing', () => {
  const redis = useRedis()

  it('lease() options are checked at once: typed errors, nothing sent', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('opts', [{ dim: 'tokens', limit: 100 }])
    const before = await everything(redis.io)
    const bad: Array<[unknown, unknown, new (...a: never[]) => Error]> = [
      ['opts', { chunk: 0 }, RangeError],
      ['opts', { chunk: 1.5 }, RangeError],
      ['opts', { chunk: '10' }, RangeError],
      ['opts', { ttlMs: -1 }, RangeError],
      ['opts', { holder: 'a:b' }, TypeError],
      ['opts', { holder: '' }, TypeError],
      ['opts', { holder: 7 }, TypeError],
      ['opts', { chunks: 10 }, TypeError],
      ['opts', 'fast', TypeError],
      ['opts', { createTtlMs: 1_000 }, TypeError],
      ['opts', { createWith: 'tokens' }, TypeError],
      ['opts', { createWith: [{ dim: 'tokens', limit: 0 }] }, BuilderError],
      ['opts', { createWith: [{ dim: 'tokens', limit: 10, warn: 10 }] }, BuilderError],
      ['opts', { createWith: [{ dim: 'tokens', limit: 10 }], createTtlMs: 0 }, RangeError],
      ['', {}, RangeError],
      [7, {}, TypeError],
    ]
    for (const [key, options, type] of bad) {
      expect(() => store.lease(key as string, options as never), JSON.stringify(options)).toThrow(type)
    }
    expect(await everything(redis.io)).toBe(before)
  })

  it('bad charges throw before anything is decided: the lease and Redis are as they were', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('args', [{ dim: 'tokens', limit: 1_000 }])
    const lease: LeasedBudget = store.lease('args', { chunk: 10 })
    await lease.charge('tokens', 3)
    const before = await everything(redis.io)
    const remaining = lease.remaining('tokens')
    const calls: Array<[() => unknown, new (...a: never[]) => Error]> = [
      [() => lease.tryCharge('nope' as never, 1), TypeError],
      [() => lease.tryCharge('tokens', -1), RangeError],
      [() => lease.tryCharge('tokens', 1.5), RangeError],
      [() => lease.tryCharge('tokens', Number.NaN), RangeError],
      [() => lease.tryCharge('tokens', '1' as never), TypeError],
      [() => lease.tryCharge('tokens', 2n ** 60n), RangeError],
      [() => lease.tryChargeMany('tokens' as never), TypeError],
      [() => lease.tryChargeMany([['tokens']] as never), TypeError],
      [() => lease.tryChargeMany([['tokens', 1], ['tokens', -1]]), RangeError],
      [() => lease.tryChargeMany({ tokens: 1, nope: 1 } as never), TypeError],
      [() => lease.charge('tokens', -1), RangeError],
      [() => lease.chargeMany([['tokens', 1], ['calls', 2n ** 60n]]), RangeError],
    ]
    for (const [call, type] of calls) expect(call).toThrow(type)
    expect(lease.remaining('tokens')).toBe(remaining)
    expect(lease.spent('tokens')).toBe(3)
    expect(lease.refills).toBe(1)
    expect(await everything(redis.io)).toBe(before)
    await lease.release()
    expect(() => lease.tryCharge('tokens', 1)).toThrow(StoreError)
    expect(await store.spent('args', 'tokens')).toBe(3n)
  })
})

describe('leased budget: limits above 2^53 - 1', () => {
  const redis = useRedis()

  it('a budget with a larger limit cannot be leased: a RangeError naming the dimension, nothing changed', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('huge', [
      { dim: 'tokens', limit: 1_000 },
      { dim: 'calls', limit: 2n ** 53n },
      { dim: 'bytes', limit: 2n ** 53n - 1n },
    ])
    const lease = store.lease('huge', { chunk: 10 })
    const before = await everything(redis.io)
    await expect(Promise.resolve(lease.chargeMany([['tokens', 1], ['calls', 1]]))).rejects.toThrow(/calls limit above 2\^53 - 1/)
    await expect(Promise.resolve(lease.charge('calls', 1))).rejects.toThrow(RangeError)
    expect(await everything(redis.io)).toBe(before)
    expect(lease.refills).toBe(2)
    expect(lease.spent('calls')).toBe(0)
    // 2^53 - 1 itself is leased, as is a dimension beside the refused one.
    expect(await lease.chargeMany([['tokens', 1], ['bytes', 1]])).toMatchObject({ kind: 'continue' })
    expect(lease.tryCharge('bytes', 10)?.kind).toBe('continue')
    await lease.release()
    expect(await store.spent('huge', 'tokens')).toBe(1n)
    expect(await store.spent('huge', 'bytes')).toBe(11n)
    expect(await store.spent('huge', 'calls')).toBe(0n)
  })
})

describe('leased budget: holder ids', () => {
  const redis = useRedis()

  it('a new lease under a dead one\'s holder id does not take over its reservation', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('reused', [{ dim: 'tokens', limit: 20 }])
    // The first process: reserves and approves all 20 locally, then dies without reporting.
    const dead = store.lease('reused', { chunk: 10, holder: 'web-1' })
    expect(await dead.charge('tokens', 10)).toMatchObject({ kind: 'continue' })
    expect(dead.tryCharge('tokens', 10)?.kind).toBe('continue')
    // Its successor, restarted with the same holder id: the reservation is still the dead one's.
    const next = store.lease('reused', { chunk: 10, holder: 'web-1' })
    expect(await next.charge('tokens', 1)).toMatchObject({ kind: 'exhausted', dim: 'tokens' })
    await next.release()
  })
})

describe('leased budget: a holder back after its TTL', () => {
  const redis = useRedis()

  it('its reservation is written off while it is away; its late report takes back what it did not use', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('late', [{ dim: 'tokens', limit: 1_000 }])
    const away = store.lease('late', { chunk: 100, ttlMs: 200 })
    await away.charge('tokens', 1)
    expect(away.tryCharge('tokens', 9)?.kind).toBe('continue')
    await new Promise((resolve) => setTimeout(resolve, 250))
    // Past its local deadline it decides nothing; another holder's call writes its reservation off.
    expect(away.tryCharge('tokens', 1)).toBeUndefined()
    const other = store.lease('late', { chunk: 100 })
    await other.charge('tokens', 5)
    expect(await redis.io.hget('bk:{late}', 'tokens:lost')).toBe('101')
    // Back: it reports the 10 it used; the other 91 are grantable again.
    expect(await away.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(await redis.io.hget('bk:{late}', 'tokens:lost')).toBe('0')
    await away.release()
    await other.release()
    expect(await store.spent('late', 'tokens')).toBe(BigInt(away.spent('tokens') + other.spent('tokens')))
    expect(await store.spent('late', 'tokens')).toBe(16n)
    expect(await redis.io.hlen('bk:{late}:ls')).toBe(0)
  })

  it('a tombstone is kept for requestTtlMs, then purged: a holder back after that leaves its reservation lost', async () => {
    const requestTtlMs = 400
    const store = new RedisBudgets(redis.io, { requestTtlMs })
    await store.create('purged', [{ dim: 'tokens', limit: 1_000 }])
    const away = store.lease('purged', { chunk: 100, ttlMs: 100 })
    await away.charge('tokens', 1)
    expect(away.tryCharge('tokens', 9)?.kind).toBe('continue')
    await sleep(150)
    /** The away holder's fields in the leases hash: its holder field and its amount. */
    const tomb = async (): Promise<Array<[string, string]>> =>
      Object.entries(await redis.io.hgetall('bk:{purged}:ls')).filter(([field]) => field.startsWith(`${away.holder}#`))
    const clock = async (): Promise<number> => {
      const [seconds = 0, micros = 0] = (await redis.io.time()).map(Number)
      return seconds * 1000 + Math.floor(micros / 1000)
    }
    // Another holder's call writes it off and keeps a tombstone until its run time + requestTtlMs.
    const other = store.lease('purged', { chunk: 10 })
    const before = await clock()
    await other.charge('tokens', 1)
    const after = await clock()
    const written = await tomb()
    expect(written.map(([field]) => field.includes(':')).sort()).toEqual([false, true])
    const keep = -Number(written.find(([field]) => !field.includes(':'))?.[1])
    expect(keep).toBeGreaterThanOrEqual(before + requestTtlMs)
    expect(keep).toBeLessThanOrEqual(after + requestTtlMs)
    expect(written.find(([field]) => field.includes(':'))?.[1]).toBe('101')
    expect(await redis.io.hget('bk:{purged}', 'tokens:lost')).toBe('101')
    // A call before that time keeps it.
    expect(await other.charge('tokens', 20)).toMatchObject({ kind: 'continue' })
    expect(await clock()).toBeLessThan(keep)
    expect(await tomb()).toEqual(written)
    // The first call after it drops the tombstone; what it wrote off stays lost.
    await sleep(keep - (await clock()) + 20)
    const refills = other.refills
    expect(await other.charge('tokens', 20)).toMatchObject({ kind: 'continue' })
    expect(other.refills).toBe(refills + 1)
    expect(await tomb()).toEqual([])
    expect(await redis.io.hget('bk:{purged}', 'tokens:lost')).toBe('101')
    // Back too late: it reports the 10 it used, and nothing comes back out of lost.
    expect(await away.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(await redis.io.hget('bk:{purged}', 'tokens:lost')).toBe('101')
    await away.release()
    await other.release()
    expect(await store.spent('purged', 'tokens')).toBe(BigInt(away.spent('tokens') + other.spent('tokens')))
    expect(await store.spent('purged', 'tokens')).toBe(52n)
    expect(await redis.io.hlen('bk:{purged}:ls')).toBe(0)
  })
})

describe('leased budget: signal', () => {
  const redis = useRedis()

  it('aborts once, with BudgetExhaustedError(dim), on the first exhausted verdict; local refusals do not abort it', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('signal', [{ dim: 'tokens', limit: 100 }])
    const lease = store.lease('signal', { chunk: 10 })
    const signal = lease.signal
    expect(lease.signal).toBe(signal)
    const reasons: unknown[] = []
    signal.addEventListener('abort', () => reasons.push(signal.reason))
    let kinds = ''
    for (let i = 0; i < 12; i++) {
      // Every 11th unit is beyond the reservation: refused locally, decided (continue) at the store.
      const local = lease.tryCharge('tokens', 9)
      if (local === undefined) kinds += (await lease.charge('tokens', 9)).kind[0]
      else kinds += local.kind[0]
      // The awaited exhausted verdict comes back with the listener already run.
      expect(reasons).toHaveLength(kinds.endsWith('e') ? 1 : 0)
      if (kinds.endsWith('e')) break
      expect(signal.aborted).toBe(false)
    }
    // 11 charges of 9 fit the 100; the 12th exhausts.
    expect(kinds).toBe('ccccccccccce')
    expect(signal.aborted).toBe(true)
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toBeInstanceOf(BudgetExhaustedError)
    expect(reasons[0]).toMatchObject({ code: 'BUDGET_EXHAUSTED', dim: 'tokens' })
    expect(await lease.charge('tokens', 9)).toMatchObject({ kind: 'exhausted' })
    expect(reasons).toHaveLength(1)
    await lease.release()
  })
})
