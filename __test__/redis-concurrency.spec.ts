// Checkpoints are serialized: many processes (two on each client library)
// charging one Redis budget at once get exactly `limit` charges through, and
// nothing is lost. Then the same store on a real Redis Cluster (ioredis
// Cluster and node-redis 4, 5 and 6 createCluster).

import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cluster, Redis } from 'ioredis'
import { createCluster as createCluster4 } from 'redis4'
import { createCluster as createCluster5 } from 'redis5'
import { createCluster as createCluster6 } from 'redis6'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBudgets } from '../redis.js'
import { CLIENTS, RedisCluster, RedisServer } from './redis-server.js'

const WORKER = path.join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'redis-charger.cjs')

/** Runs the charging worker (port, key, count, client library); resolves its JSON line, rejects with its exit code and stderr. */
function charger(args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WORKER, ...args], (error, stdout, stderr) =>
      error ? reject(new Error(`worker ${args.join(' ')}: exit ${error.code}: ${stderr}`)) : resolve(JSON.parse(stdout) as Record<string, unknown>),
    )
  })
}

describe('8 processes × 5,000 unit charges on one budget with limit 20,000', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await RedisServer.start()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('exactly 20,000 charges continue or warn, and spent is the sum of all charges; two processes ran on each client library', async () => {
    const io = new Redis(server.port, '127.0.0.1')
    try {
      const store = new RedisBudgets(io)
      await store.create('shared', [
        { dim: 'calls', limit: 20_000, warn: 15_000 },
        { dim: 'tokens', limit: 20_000 },
      ])
      // Two processes on each client library: worker i on CLIENTS[i % 4].
      const kinds = Array.from({ length: 8 }, (_, i) => CLIENTS[i % CLIENTS.length] as (typeof CLIENTS)[number])
      const results = await Promise.all(kinds.map((kind) => charger([String(server.port), 'shared', '5000', kind.module])))
      console.log(`8 processes ran on: ${results.map((r) => r.library).join(', ')}`)
      // Each worker says which library it ran (its package.json's version): the one it was asked for.
      expect(results.map((r) => r.library)).toEqual(kinds.map((kind) => kind.name))
      for (const kind of CLIENTS) expect(results.filter((r) => r.library === kind.name)).toHaveLength(2)
      const total = (kind: string) => results.reduce((sum, r) => sum + Number(r[kind] ?? 0), 0)
      expect(total('continue') + total('warn') + total('exhausted')).toBe(40_000)
      expect(total('continue') + total('warn')).toBe(20_000)
      expect(total('continue')).toBe(15_000)
      expect(total('warn')).toBe(5_000)
      expect(total('many')).toBe(20_000)
      expect(await store.spent('shared', 'calls')).toBe(40_000n)
      expect(await store.spent('shared', 'tokens')).toBe(20_000n)
    } finally {
      io.disconnect()
    }
  }, 180_000)

  it('the worker refuses an unknown client library instead of running on another one', async () => {
    await expect(charger([String(server.port), 'absent', '1', 'redis7'])).rejects.toThrow(/exit 1: Error: unknown client library "redis7": expected one of ioredis, redis4, redis5, redis6\n/)
  })
})

describe('Redis Cluster (3 masters on loopback)', () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    cluster = await RedisCluster.start(3)
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  /** MOVED errors answered so far by all masters (INFO errorstats). */
  const movedErrors = async () => {
    let moved = 0
    for (const n of cluster.nodes) {
      const io = new Redis(n.port, '127.0.0.1')
      moved += Number((await io.info('errorstats')).match(/errorstat_MOVED:count=(\d+)/)?.[1] ?? 0)
      io.disconnect()
    }
    return moved
  }

  it('ioredis Cluster: budgets on every node, request ids in their budget slot, lazy creation, exact results', async () => {
    const first = cluster.nodes[0] as RedisServer
    const client = new Cluster([{ host: '127.0.0.1', port: first.port }])
    try {
      const store = new RedisBudgets(client)
      const keys = Array.from({ length: 60 }, (_, i) => `tenant:${i}:{odd}key ${i}`)
      for (const key of keys) {
        const options = { requestId: `r-${key}`, createWith: [{ dim: 'calls', limit: 2 }, { dim: 'tokens', limit: 10 }], ttlMs: 60_000 } as const
        expect(await store.chargeMany(key, { calls: 1, tokens: 7 }, options)).toEqual({ kind: 'continue' })
        expect(await store.chargeMany(key, { calls: 1, tokens: 7 }, options)).toEqual({ kind: 'continue' })
        expect(await store.chargeMany(key, { calls: 1, tokens: 7 })).toEqual({ kind: 'exhausted', dim: 'tokens' })
        expect(await store.spent(key, 'tokens')).toBe(14n)
        const redisKey = store.redisKey(key)
        const slot = await client.cluster('KEYSLOT', redisKey)
        expect(await client.cluster('KEYSLOT', `${redisKey}:rq:r-${key}`)).toBe(slot)
        expect(await client.exists(`${redisKey}:rq:r-${key}`)).toBe(1)
      }
      // The keys really are spread over the three masters.
      const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()))
      expect(perNode.filter((n) => n > 0).length).toBe(3)
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(2 * keys.length)
      await store.reset(keys[0] as string)
      expect((await store.snapshot(keys[0] as string))?.dims.tokens?.spent).toBe(0n)
      expect(await store.delete(keys[0] as string)).toBe(true)
    } finally {
      client.disconnect()
    }
  }, 60_000)

  // Every cluster client runs the same operations, counting the MOVED
  // answers the masters gave (0: every script went straight to its slot's
  // master), and the same eviction check. node-redis 4's cluster routes
  // evalSha by a random master (its key function is handed the SHA:
  // redis/node-redis#2811) and gives up after its MOVED redirections; the
  // store sends its scripts through that cluster's sendCommand with the
  // budget key as the routing key instead (client.ts).
  type Open = () => Promise<{ readonly client: unknown; readonly close: () => Promise<void> }>
  const nodeRedis = (create: (options: { rootNodes: Array<{ url: string }> }) => { connect(): Promise<unknown>; disconnect(): Promise<void> }): Open => async () => {
    const client = create({ rootNodes: cluster.nodes.map((n) => ({ url: n.url })) })
    await client.connect()
    return { client, close: () => client.disconnect() }
  }
  const clusters: ReadonlyArray<readonly [name: string, prefix: string, open: Open]> = [
    ['ioredis Cluster', 'io', async () => {
      const client = new Cluster([{ host: '127.0.0.1', port: (cluster.nodes[0] as RedisServer).port }])
      return { client, close: async () => void client.disconnect() }
    }],
    ['node-redis 4 cluster', 'nr4', nodeRedis(createCluster4 as never)],
    ['node-redis 5 cluster', 'nr5', nodeRedis(createCluster5 as never)],
    ['node-redis 6 cluster', 'nr6', nodeRedis(createCluster6 as never)],
  ]
  for (const [name, prefix, open] of clusters) {
  it(`${name}: the same operations route to the budget slot (0 MOVED); the eviction check reads every master`, async () => {
    const { client, close } = await open()
    try {
      const store = new RedisBudgets(client as never, { prefix })
      const before = await movedErrors()
      for (let i = 0; i < 60; i++) {
        const key = `k${i}`
        await store.create(key, [{ dim: 'bytes', limit: 100, warn: 50 }])
        expect(await store.charge(key, 'bytes', 60, { requestId: 'a' })).toEqual({ kind: 'warn', dim: 'bytes' })
        expect(await store.charge(key, 'bytes', 60, { requestId: 'a' })).toEqual({ kind: 'warn', dim: 'bytes' })
        expect(await store.remaining(key, 'bytes')).toBe(40n)
        expect(await store.snapshot(key)).toEqual({ dims: { bytes: { limit: 100n, warn: 50n, spent: 60n, remaining: 40n } }, ttlMs: undefined })
      }
      // The keys really are spread over the three masters, and no script was sent to a master that does not own its slot.
      const perNode = await Promise.all(cluster.nodes.map(async (n) => {
        const io = new Redis(n.port, '127.0.0.1')
        const count = (await io.keys(`${prefix}:*`)).length
        io.disconnect()
        return count
      }))
      expect(perNode.filter((n) => n > 0).length).toBe(3)
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(2 * 60)
      const moved = (await movedErrors()) - before
      console.log(`${name}: 60 budgets on ${perNode.join('/')} keys per master, MOVED answers ${moved}`)
      expect(moved).toBe(0)
      // Any one master with an evicting policy is enough to refuse: each in turn, so that the check must read every one.
      for (const node of cluster.nodes) {
        const admin = new Redis(node.port, '127.0.0.1')
        await admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
        try {
          await expect(new RedisBudgets(client as never, { prefix }).spent('k0', 'bytes'), `allkeys-lru on the master at port ${node.port}`).rejects.toMatchObject({ code: 'UNSAFE_EVICTION_POLICY' })
        } finally {
          await admin.config('SET', 'maxmemory-policy', 'noeviction')
          admin.disconnect()
        }
      }
      // And with noeviction everywhere a new store reads again.
      expect(await new RedisBudgets(client as never, { prefix }).spent('k0', 'bytes')).toBe(60n)
    } finally {
      await close()
    }
  }, 60_000)
  }
})
