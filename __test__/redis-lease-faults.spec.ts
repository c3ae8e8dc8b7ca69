// Faults of leased budgets with a real redis-server: a holder partitioned
// past its reservation's TTL (CLIENT PAUSE) stops returning continue, and
// its local deadline counts from its call's first send time, not from a
// resend; Redis killed with SIGKILL and restarted mid-lease (AOF, appendfsync
// always) loses no reported usage and the lease goes on. And warn with
// several holders: others' reservations and lost count, and a holder granted
// before the threshold was passed reports it from its next store call.

import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisBudgets, StoreError } from '../redis.js'
import { lossyClient, useRedis } from './redis-server.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('leased budget faults', () => {
  const redis = useRedis(['--appendonly', 'yes', '--appendfsync', 'always'], { maxRetriesPerRequest: null })

  it('a holder paused past its TTL refuses: no continue without a live reservation', async () => {
    const store = new RedisBudgets(redis.io, { timeoutMs: 200 })
    await store.create('part', [{ dim: 'tokens', limit: 10_000 }])
    const lease = store.lease('part', { chunk: 100, ttlMs: 300 })
    expect((await lease.charge('tokens', 1)).kind).toBe('continue')
    expect(lease.tryCharge('tokens', 1)?.kind).toBe('continue')
    const admin = new Redis(redis.server.port, '127.0.0.1')
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL')
    await sleep(350)
    // Past the TTL: nothing is decided locally, and the store cannot answer.
    expect(lease.tryCharge('tokens', 1)).toBeUndefined()
    expect(lease.remaining('tokens')).toBe(0)
    await expect(lease.charge('tokens', 1)).rejects.toThrow(StoreError)
    await expect(Promise.resolve(lease.charge('tokens', 1))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await admin.call('CLIENT', 'UNPAUSE')
    admin.disconnect()
    await sleep(100)
  }, 20_000)

  it('the local deadline counts from the first send: a call resent after its reply was lost does not extend it', async () => {
    // An ioredis stand-in over the real client that loses replies after the script ran.
    const flaky = lossyClient(redis.io)
    const ttl = 2_000
    const store = new RedisBudgets(flaky.client, { timeoutMs: 200 })
    await store.create('deadline', [{ dim: 'tokens', limit: 10_000 }])
    const lease = store.lease('deadline', { chunk: 100, ttlMs: ttl })
    flaky.loseNext(1)
    const sent = Date.now()
    // The first grant runs at the store (its reservation expires at its run time + ttl); its reply is lost.
    await expect(Promise.resolve(lease.charge('tokens', 1))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    const fields = await redis.io.hgetall('bk:{deadline}:ls')
    const expiry = Number(Object.entries(fields).find(([field]) => !field.includes(':'))?.[1])
    expect(expiry).toBeGreaterThanOrEqual(sent + ttl)
    await sleep(sent + ttl / 2 - Date.now())
    // Resent half a TTL later: the stored result, and the charge is decided locally in it.
    const resent = Date.now()
    expect(await lease.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(lease.refills).toBe(2)
    expect(lease.tryCharge('tokens', 1)?.kind).toBe('continue')
    // Past the first send + ttl (so past the store's expiry or at most at it), before the resend + ttl.
    await sleep(sent + ttl + 100 - Date.now())
    expect(Date.now()).toBeLessThan(resent + ttl)
    expect(lease.tryCharge('tokens', 1)).toBeUndefined()
    expect(lease.remaining('tokens')).toBe(0)
    await lease.release()
    expect(await store.spent('deadline', 'tokens')).toBe(3n)
  }, 20_000)

  it('Redis killed (-9) and restarted mid-lease: reported usage survives, the lease refills, accounting is exact', async () => {
    const store = new RedisBudgets(redis.io, { timeoutMs: 5_000 })
    await store.create('restart', [{ dim: 'tokens', limit: 1_000 }])
    const lease = store.lease('restart', { chunk: 50, ttlMs: 10_000 })
    let charged = 0
    let approved = 0
    for (let i = 0; i < 120; i++) {
      const v = await lease.charge('tokens', 3)
      charged += 3
      if (v.kind !== 'exhausted') approved += 3
    }
    const reported = Number(await store.spent('restart', 'tokens'))
    // kill -9 (no shutdown: only what appendfsync always wrote survives), then the same port and AOF.
    const pid = redis.server.pid
    await redis.server.kill9()
    await redis.server.restart()
    expect(redis.server.pid).not.toBe(pid)
    expect(Number(await store.spent('restart', 'tokens'))).toBe(reported)
    for (let i = 0; i < 300; i++) {
      const v = await lease.charge('tokens', 3)
      charged += 3
      if (v.kind !== 'exhausted') approved += 3
    }
    await lease.release()
    expect(approved).toBeLessThanOrEqual(1_000)
    expect(approved).toBeGreaterThanOrEqual(1_000 - 50)
    expect(Number(await store.spent('restart', 'tokens'))).toBe(charged)
  }, 30_000)
})

describe('leased budget: bad input is refused and changes nothing', () => {
  const redis = useRedis()

  it('typed errors for options, amounts and undeclared dimensions; usage stays exact', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('bad', [{ dim: 'tokens', limit: 1_000 }])
    expect(() => store.lease('bad', { chunk: 0 })).toThrow(RangeError)
    expect(() => store.lease('bad', { holder: 'a:b' })).toThrow(TypeError)
    const lease = store.lease('bad', { chunk: 10 })
    expect(await lease.charge('tokens', 4)).toMatchObject({ kind: 'continue' })
    expect(lease.tryCharge('tokens', 2)?.kind).toBe('continue')
    expect(() => lease.tryCharge('tokens', -1)).toThrow(RangeError)
    expect(() => lease.tryCharge('tokens', 2n ** 60n)).toThrow(RangeError)
    expect(() => lease.tryCharge('nope' as never, 1)).toThrow(TypeError)
    expect(() => lease.tryChargeMany([['tokens', 2n ** 60n]])).toThrow(RangeError)
    expect(() => lease.tryChargeMany({ tokens: -1 })).toThrow(RangeError)
    expect(lease.tryChargeMany({ tokens: 1 })?.kind).toBe('continue')
    expect(lease.tryChargeMany([['tokens', 1]])?.kind).toBe('continue')
    // An undeclared dimension: the kernel's own ChargeError, and nothing applied at the store.
    await expect(Promise.resolve(lease.charge('calls', 1))).rejects.toMatchObject({ code: 'UNKNOWN_DIMENSION', dim: 'calls' })
    expect(await store.spent('bad', 'tokens')).toBe(0n)
    expect(lease.spent('tokens')).toBe(8)
    await lease.release()
    expect(await store.spent('bad', 'tokens')).toBe(8n)
  })
})

describe('leased budget: warn', () => {
  const redis = useRedis()

  it('a holder reports warn once spent + reserved passes the threshold, not before, and from then on', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('warn', [{ dim: 'tokens', limit: 1_000, warn: 500 }])
    const lease = store.lease('warn', { chunk: 100 })
    const kinds: string[] = []
    for (let i = 0; i < 80; i++) kinds.push((await lease.charge('tokens', 10)).kind)
    const first = kinds.indexOf('warn')
    // The grant that takes spent + reserved past 500 is the one asked for at 10 x first tokens charged.
    expect(first).toBeGreaterThan(0)
    expect(10 * (first + 1) + 100).toBeGreaterThan(500)
    expect(10 * first).toBeLessThanOrEqual(500)
    expect(kinds.slice(0, first).every((k) => k === 'continue')).toBe(true)
    expect(kinds.slice(first, 100).every((k) => k === 'warn')).toBe(true)
    await lease.release()
    expect(await store.spent('warn', 'tokens')).toBe(800n)
  })

  it('two holders: the other\'s reservation counts; the holder granted before reports it from its next store call', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('warn2', [{ dim: 'tokens', limit: 1_000, warn: 150 }])
    const a = store.lease('warn2', { chunk: 100 })
    const b = store.lease('warn2', { chunk: 100 })
    // A: spent 0 + its grant 101 is within 150.
    expect(await a.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    expect(a.remaining('tokens')).toBe(100)
    // B: its own grant (101) is within 150 too, and spent is 0: only A's reservation takes it past.
    expect(await b.charge('tokens', 1)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(b.remaining('tokens')).toBe(100)
    expect(await store.spent('warn2', 'tokens')).toBe(0n)
    expect(b.tryCharge('tokens', 1)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    // A was granted before: it does not know until its next store call.
    expect(a.tryCharge('tokens', 1)?.kind).toBe('continue')
    expect(a.tryCharge('tokens', 98)?.kind).toBe('continue')
    expect(a.refills).toBe(1)
    // Beyond its reservation: the store decides, and says warn; from then on A's local verdicts are warn.
    expect(await a.charge('tokens', 2)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(a.refills).toBe(2)
    expect(a.tryCharge('tokens', 1)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(a.tryCharge('tokens', 0)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    await a.release()
    await b.release()
    expect(await store.spent('warn2', 'tokens')).toBe(BigInt(a.spent('tokens') + b.spent('tokens')))
    expect(a.spent('tokens')).toBe(103)
  })

  it('lost counts: a dead holder\'s written-off reservation takes the next grant past the threshold', async () => {
    const store = new RedisBudgets(redis.io)
    await store.create('warn-lost', [{ dim: 'tokens', limit: 1_000, warn: 150 }])
    // A holder reserves 101, approves 1 and dies.
    const dead = store.lease('warn-lost', { chunk: 100, ttlMs: 100 })
    expect(await dead.charge('tokens', 1)).toMatchObject({ kind: 'continue' })
    await sleep(200)
    // The next holder's call writes it off: lost 101, spent 0, its own grant 61; 101 + 61 > 150.
    const next = store.lease('warn-lost', { chunk: 60 })
    expect(await next.charge('tokens', 1)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    expect(await redis.io.hmget('bk:{warn-lost}', 'tokens', 'tokens:lost')).toEqual(['0', '101'])
    expect(next.remaining('tokens')).toBe(60)
    expect(next.tryCharge('tokens', 1)).toMatchObject({ kind: 'warn', dim: 'tokens' })
    await next.release()
    expect(await store.spent('warn-lost', 'tokens')).toBe(2n)
  })
})
