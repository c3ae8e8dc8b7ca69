// Faults of leased budgets with a real redis-server: a holder partitioned
// past its reservation's TTL (CLIENT PAUSE) stops returning continue; Redis
// killed with SIGKILL and restarted mid-lease (AOF, appendfsync always) loses
// no reported usage and the lease goes on.

import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisBudgets, StoreError } from '../redis.js'
import { useRedis } from './redis-server.js'

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
})
