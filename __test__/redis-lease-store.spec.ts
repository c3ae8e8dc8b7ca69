// Leased budgets meeting the store's own operations, with a real
// redis-server: a replacing create, a reset and a delete start a new period
// of the lease state (a late holder's report takes nothing back from a later
// period's lost; live reservations keep counting; the lease state of a
// deleted budget goes, or expires with its latest live reservation); plain
// charges count what holders may approve locally (every reservation but a
// tombstone's, and lost). Expectations come from the in-process Budget or
// from the guarantee itself (approved <= limit), never from the store.

import { describe, expect, it } from 'vitest'
import { Budget, type Dim, type Verdict } from '../index.js'
import { GRANT } from '../lib/redis/lease-scripts.js'
import { RedisBudgets, type Declaration, type LeasedBudget } from '../redis.js'
import { useRedis } from './redis-server.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Charges `amount` until the lease's verdict is exhausted (at most `max` times); resolves the amount approved. */
async function drain(lease: LeasedBudget, dim: Dim, amount: number, max = 500): Promise<number> {
  let approved = 0
  for (let i = 0; i < max; i++) {
    const verdict = await lease.charge(dim, amount)
    if (verdict.kind === 'exhausted') return approved
    approved += amount
  }
  throw new Error(`the lease approved ${approved} without exhausting`)
}

/** Approves locally, charge after charge of `amount`, until the lease's reservation is used; resolves the amount approved. */
function useUp(lease: LeasedBudget, dim: Dim, amount: number): number {
  let approved = 0
  while (lease.tryCharge(dim, amount) !== undefined) approved += amount
  return approved
}

/** The in-process kernel's budget for a declaration, charged with `first` (what counts besides spent). */
function kernel(declaration: Declaration, first: Partial<Record<Dim, bigint>> = {}): Budget {
  let builder = Budget.builder()
  for (const { dim, limit, warn } of declaration) builder = warn === undefined ? builder.limit(dim, limit) : builder.limitWithWarn(dim, limit, warn)
  const budget = builder.build()
  for (const [dim, amount] of Object.entries(first)) budget.charge(dim as Dim, amount as bigint)
  return budget
}

/** A lease's reservation on `dim` now: what it charged to it plus what is left (before any local charge since the grant, exactly the grant). */
function reservation(lease: LeasedBudget, dim: Dim, before = 0): bigint {
  return BigInt(lease.spent(dim) - before + lease.remaining(dim))
}

type Period = 'create' | 'reset' | 'delete'

describe('leased budgets across create, reset and delete', () => {
  const redis = useRedis()

  /** The store's operation that starts a new period at `key` (delete: deleted and created again). */
  async function startPeriod(store: RedisBudgets, key: string, op: Period, declaration: Declaration): Promise<void> {
    if (op === 'create') expect(await store.create(key, declaration)).toBe(true)
    else if (op === 'reset') await store.reset(key)
    else {
      expect(await store.delete(key)).toBe(true)
      expect(await store.create(key, declaration)).toBe(true)
    }
  }

  for (const op of ['create', 'reset', 'delete'] as const) {
    it(`${op}: a holder written off before it reports late takes nothing back from the new period's lost; approvals never pass the limit`, async () => {
      const store = new RedisBudgets(redis.io)
      const key = `late-${op}`
      const limit = 100
      const declaration: Declaration = [{ dim: 'tokens', limit }]
      await store.create(key, declaration)
      // A reserves and goes away past its ttl; another holder's call writes its reservation off.
      const a = store.lease(key, { chunk: 50, ttlMs: 150 })
      expect((await a.charge('tokens', 1)).kind).toBe('continue')
      const aReserved = reservation(a, 'tokens')
      await sleep(200)
      const w = store.lease(key, { chunk: 1 })
      await w.charge('tokens', 0)
      await w.release()
      expect(await redis.io.hget(`bk:{${key}}`, 'tokens:lost')).toBe(String(aReserved))
      await startPeriod(store, key, op, declaration)
      // The period's lost is gone with its spent, and so is A's tombstone.
      expect(await redis.io.hget(`bk:{${key}}`, 'tokens:lost')).toBeNull()
      // D reserves, approves all of it locally, and dies.
      const d = store.lease(key, { chunk: 60, ttlMs: 150 })
      let approved = 0
      if ((await d.charge('tokens', 1)).kind !== 'exhausted') approved += 1
      approved += useUp(d, 'tokens', 1)
      await sleep(200)
      // A reports late (its call writes D off); then A and C charge until exhausted.
      const c = store.lease(key, { chunk: 10 })
      approved += await drain(a, 'tokens', 1)
      approved += await drain(c, 'tokens', 1)
      await a.release()
      await c.release()
      const lost = await redis.io.hget(`bk:{${key}}`, 'tokens:lost')
      expect(lost).not.toBeNull()
      expect(BigInt(lost as string)).toBeGreaterThanOrEqual(0n)
      // 1. Safety in the new period: D's, A's and C's approvals within the limit (A's 1 before it counts too: it was reported in this period).
      expect(approved).toBeLessThanOrEqual(limit)
      console.log(`${op}: approved ${approved} of ${limit} after the new period began; lost ${lost}`)
    })

    it(`${op}: live reservations keep counting against the new period (their holders may still approve them)`, async () => {
      const store = new RedisBudgets(redis.io)
      const key = `live-${op}`
      const limit = 100
      const declaration: Declaration = [{ dim: 'tokens', limit }]
      await store.create(key, declaration)
      const b = store.lease(key, { chunk: 99, ttlMs: 10_000 })
      expect((await b.charge('tokens', 1)).kind).toBe('continue')
      const bReserved = reservation(b, 'tokens')
      await startPeriod(store, key, op, declaration)
      // The oracle: the kernel with B's whole reservation already counted.
      const view = kernel(declaration, { tokens: bReserved })
      let approved = useUp(b, 'tokens', 1)
      const c = store.lease(key, { chunk: 10 })
      approved += await drain(c, 'tokens', 1)
      const plain = await store.charge(key, 'tokens', 1)
      expect(plain).toBe(view.charge('tokens', 1))
      if (plain.kind !== 'exhausted') approved += 1
      const lazy = await store.chargeMany(key, { tokens: 1 }, { createWith: declaration })
      expect(lazy).toBe(view.chargeMany({ tokens: 1 }))
      if (lazy.kind !== 'exhausted') approved += 1
      expect(approved).toBeLessThanOrEqual(limit)
      await b.release()
      await c.release()
    })
  }

  it('a late take-back never drives lost below zero (a tombstone left across a replace by an earlier version)', async () => {
    const store = new RedisBudgets(redis.io)
    const limit = 100
    await store.create('clamp', [{ dim: 'tokens', limit }])
    // What the earlier version left: the replaced budget has no lost, but the late holder's tombstone and its 51 are still there.
    const [seconds] = await redis.io.time()
    await redis.io.hset('bk:{clamp}:ls', 'late#1', String(-(Number(seconds) * 1000 + 60_000)), 'late#1:tokens', '51')
    await redis.io.eval(GRANT, 2, 'bk:{clamp}', 'bk:{clamp}:ls', '60000', 'late#1', '60000', '1', '1', 'tokens', '0', '0')
    expect(await redis.io.hget('bk:{clamp}', 'tokens:lost')).toBe('0')
    // Nothing more than the limit can be approved afterwards.
    const leases = [store.lease('clamp', { chunk: 80 }), store.lease('clamp', { chunk: 80 })]
    let approved = 0
    for (const lease of leases) approved += await drain(lease, 'tokens', 1)
    for (const lease of leases) approved += useUp(lease, 'tokens', 1)
    expect(approved).toBeLessThanOrEqual(limit)
    for (const lease of leases) await lease.release()
  })

  it('delete drops the lease state with no live reservation at once, and keeps a live one only until it expires; a budget created again counts it', async () => {
    const store = new RedisBudgets(redis.io)
    const declaration: Declaration = [{ dim: 'tokens', limit: 100 }]
    // Only expired holders and a tombstone: nothing is left.
    await store.create('gone', declaration)
    const dead = store.lease('gone', { chunk: 10, ttlMs: 100 })
    await dead.charge('tokens', 1)
    await sleep(150)
    const w = store.lease('gone', { chunk: 10, ttlMs: 100 })
    await w.charge('tokens', 1)
    await sleep(150)
    expect(await redis.io.exists('bk:{gone}:ls')).toBe(1)
    expect(await store.delete('gone')).toBe(true)
    expect(await redis.io.exists('bk:{gone}:ls')).toBe(0)
    // A live reservation: kept, with a ttl no longer than its own.
    await store.create('kept', declaration)
    const live = store.lease('kept', { chunk: 49, ttlMs: 2_000 })
    await live.charge('tokens', 1)
    const liveReserved = reservation(live, 'tokens')
    expect(await store.delete('kept')).toBe(true)
    const ttl = await redis.io.pttl('bk:{kept}:ls')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(2_000)
    // Created again by a charge with createWith: the live reservation counts, as in the kernel with it charged first.
    const view = kernel(declaration, { tokens: liveReserved })
    expect(await store.chargeMany('kept', { tokens: 50 }, { createWith: declaration })).toBe(view.chargeMany({ tokens: 50 }))
    expect(await store.chargeMany('kept', { tokens: 1 }, { createWith: declaration })).toBe(view.chargeMany({ tokens: 1 }))
    expect(await store.spent('kept', 'tokens')).toBe(51n)
    await live.release()
  })
})

describe('plain charges on a leased budget', () => {
  const redis = useRedis()

  it('the brief case: a lease holds the whole limit; plain charges are refused and the lease approves the rest locally', async () => {
    const store = new RedisBudgets(redis.io)
    const declaration: Declaration = [{ dim: 'tokens', limit: 100 }]
    await store.create('whole', declaration)
    const lease = store.lease('whole', { chunk: 99 })
    let approved = 0
    if ((await lease.charge('tokens', 1)).kind !== 'exhausted') approved += 1
    const view = kernel(declaration, { tokens: reservation(lease, 'tokens') })
    for (const amount of [1, 0, 50]) {
      const verdict = await store.charge('whole', 'tokens', amount)
      expect(verdict).toBe(view.charge('tokens', amount))
      if (verdict.kind !== 'exhausted') approved += amount
    }
    approved += useUp(lease, 'tokens', 1)
    expect(approved).toBeLessThanOrEqual(100)
    await lease.release()
  })

  it('charge and chargeMany (also with createWith on the existing budget) decide with spent + lost + every reservation but a tombstone\'s, as the kernel would with those charged first; spent gets only the charges', async () => {
    const store = new RedisBudgets(redis.io)
    const declaration: Declaration = [
      { dim: 'tokens', limit: 200, warn: 150 },
      { dim: 'calls', limit: 12 },
    ]
    await store.create('mix', declaration)
    // A live lease on both dimensions.
    const live = store.lease('mix', { chunk: 30 })
    expect((await live.chargeMany({ tokens: 1, calls: 1 })).kind).toBe('continue')
    // E1 expires and is written off (lost), E2 expires and is not written off yet: both count.
    const e1 = store.lease('mix', { chunk: 20, ttlMs: 100 })
    await e1.charge('tokens', 2)
    const e1Reserved = reservation(e1, 'tokens')
    await sleep(150)
    const w = store.lease('mix', { chunk: 1 })
    await w.charge('calls', 0)
    await w.release()
    expect(await redis.io.hget('bk:{mix}', 'tokens:lost')).toBe(String(e1Reserved))
    const e2 = store.lease('mix', { chunk: 20, ttlMs: 100 })
    await e2.charge('tokens', 3)
    const e2Reserved = reservation(e2, 'tokens')
    await sleep(150)
    const view = kernel(declaration, { tokens: reservation(live, 'tokens') + e1Reserved + e2Reserved, calls: reservation(live, 'calls') })
    const plain = kernel(declaration)
    const kinds = new Set<string>()
    let differs = false
    const steps: Array<() => [Promise<Verdict>, Verdict, Verdict]> = [
      () => [store.charge('mix', 'tokens', 0), view.charge('tokens', 0), plain.charge('tokens', 0)],
      () => [store.chargeMany('mix', { tokens: 20, calls: 0 }), view.chargeMany({ tokens: 20, calls: 0 }), plain.chargeMany({ tokens: 20, calls: 0 })],
      () => [store.charge('mix', 'tokens', 60), view.charge('tokens', 60), plain.charge('tokens', 60)],
      () => [store.chargeMany('mix', [['tokens', 30], ['calls', 0]], { createWith: declaration }), view.chargeMany([['tokens', 30], ['calls', 0]]), plain.chargeMany([['tokens', 30], ['calls', 0]])],
      () => [store.charge('mix', 'calls', 1), view.charge('calls', 1), plain.charge('calls', 1)],
      () => [store.charge('mix', 'tokens', 100), view.charge('tokens', 100), plain.charge('tokens', 100)],
      () => [store.chargeMany('mix', { calls: 0 }, { createWith: declaration }), view.chargeMany({ calls: 0 }), plain.chargeMany({ calls: 0 })],
      () => [store.charge('mix', 'calls', 0), view.charge('calls', 0), plain.charge('calls', 0)],
    ]
    for (const step of steps) {
      const [got, expected, without] = step()
      expect(await got).toBe(expected)
      kinds.add(expected.kind)
      if (expected !== without) differs = true
      expect(await store.spent('mix', 'tokens')).toBe(plain.spent('tokens'))
      expect(await store.spent('mix', 'calls')).toBe(plain.spent('calls'))
    }
    // The oracle's verdicts differ from a budget without leases somewhere (the comparison is not vacuous) and cover every kind.
    expect(kinds).toEqual(new Set(['continue', 'warn', 'exhausted']))
    expect(differs).toBe(true)
    await live.release()
  })
})

describe('exact sums on a leased budget', () => {
  const redis = useRedis()
  const U64_MAX = 2n ** 64n - 1n
  const declaration: Declaration = [{ dim: 'tokens', limit: 1_000 }]

  it('spent near 2^60 and near 2^64 - 1, and a checkpoint summing past 2^53: leased charges add exactly and saturate as the kernel does', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('wide', declaration)
    const local = kernel(declaration)
    const big = 2n ** 60n + 7n
    expect(await store.charge('wide', 'tokens', big)).toBe(local.charge('tokens', big))
    const lease = store.lease('wide', { chunk: 10 })
    expect(await lease.charge('tokens', 1)).toBe(local.charge('tokens', 1))
    expect(await store.spent('wide', 'tokens')).toBe(local.spent('tokens'))
    const max = Number.MAX_SAFE_INTEGER
    const three: Array<[Dim, number]> = [['tokens', max], ['tokens', max], ['tokens', max]]
    expect(await lease.chargeMany(three)).toBe(local.chargeMany(three))
    expect(await store.spent('wide', 'tokens')).toBe(local.spent('tokens'))
    // A plain charge takes spent to 2^64 - 3; leased charges saturate it.
    const near = U64_MAX - 3n - (local.spent('tokens') as bigint)
    expect(await store.charge('wide', 'tokens', near)).toBe(local.charge('tokens', near))
    expect(await store.spent('wide', 'tokens')).toBe(U64_MAX - 3n)
    expect(await lease.chargeMany([['tokens', 1], ['tokens', 5]])).toBe(local.chargeMany([['tokens', 1], ['tokens', 5]]))
    expect(await store.spent('wide', 'tokens')).toBe(local.spent('tokens'))
    expect(local.spent('tokens')).toBe(U64_MAX)
    await lease.release()
    expect(await store.spent('wide', 'tokens')).toBe(local.spent('tokens'))
  })

  it('a usage report landing on spent near 2^64 - 1 saturates as the kernel does', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('report', declaration)
    const local = kernel(declaration)
    const lease = store.lease('report', { chunk: 10 })
    expect(await lease.charge('tokens', 1)).toBe(local.charge('tokens', 1))
    expect(lease.tryCharge('tokens', 5)).toBe(local.charge('tokens', 5))
    // Not yet reported: the plain charge lands first at the store, after the lease's in process.
    expect(await store.charge('report', 'tokens', U64_MAX - 3n)).toBe(local.charge('tokens', U64_MAX - 3n))
    await lease.release()
    expect(await store.spent('report', 'tokens')).toBe(local.spent('tokens'))
    expect(local.spent('tokens')).toBe(U64_MAX)
  })
})

describe('no local decision after the store said exhausted or NO_BUDGET', () => {
  const redis = useRedis()

  it('after the store\'s exhausted, a poll of 0 is exhausted, as the kernel and the plain store say', async () => {
    const store = new RedisBudgets(redis.io)
    const declaration: Declaration = [{ dim: 'tokens', limit: 10 }]
    await store.create('polled', declaration)
    const local = kernel(declaration)
    const lease = store.lease('polled', { chunk: 5 })
    expect(await lease.charge('tokens', 8)).toBe(local.charge('tokens', 8))
    const refused = lease.charge('tokens', 5)
    expect(refused).toBeInstanceOf(Promise)
    expect(await refused).toBe(local.charge('tokens', 5))
    expect(lease.tryCharge('tokens', 0)).toBeUndefined()
    const poll = lease.charge('tokens', 0)
    expect(poll).toBeInstanceOf(Promise)
    expect(await poll).toBe(local.charge('tokens', 0))
    expect(await store.charge('polled', 'tokens', 0)).toBe(local.charge('tokens', 0))
    await lease.release()
    expect(await store.spent('polled', 'tokens')).toBe(local.spent('tokens'))
  })

  it('after NO_BUDGET nothing is decided locally: every charge asks the store, which says NO_BUDGET as for a plain charge', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('deleted', [{ dim: 'tokens', limit: 1_000 }, { dim: 'calls', limit: 1_000 }])
    const lease = store.lease('deleted', { chunk: 100 })
    expect((await lease.charge('tokens', 1)).kind).toBe('continue')
    expect(lease.tryCharge('tokens', 1)?.kind).toBe('continue')
    expect(await store.delete('deleted')).toBe(true)
    // A dimension the lease holds no reservation of: the store answers (and nothing was refused locally).
    await expect(Promise.resolve(lease.charge('calls', 1))).rejects.toMatchObject({ name: 'StoreError', code: 'NO_BUDGET' })
    // Within what was reserved: still the store's answer, never a local continue.
    expect(lease.tryCharge('tokens', 1)).toBeUndefined()
    expect(lease.remaining('tokens')).toBe(0)
    const again = lease.charge('tokens', 1)
    expect(again).toBeInstanceOf(Promise)
    await expect(again).rejects.toMatchObject({ name: 'StoreError', code: 'NO_BUDGET' })
    await expect(store.charge('deleted', 'tokens', 1)).rejects.toMatchObject({ name: 'StoreError', code: 'NO_BUDGET' })
  })
})
