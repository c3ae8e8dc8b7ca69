// Faults: what a shared budget must survive. Each test prints its counts
// (acknowledged, lost, double-applied) for the record.
//
//   - kill -9 and a restart with appendfsync always, under a load of
//     checkpoints retried with their request ids;
//   - a TCP proxy that forwards commands, drops the replies, then cuts the
//     socket, so ioredis resends what the server already executed;
//   - an outage longer than timeoutMs: STORE_UNAVAILABLE within timeoutMs + 100 ms;
//   - maxmemory with noeviction: a checkpoint applies whole or is refused.

import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import { createClient as createClient5 } from 'redis5'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisBudgets, StoreError } from '../redis.js'
import { freePort, RedisServer } from './redis-server.js'

const servers: RedisServer[] = []
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

async function start(args: readonly string[] = []): Promise<RedisServer> {
  const server = await RedisServer.start(args)
  servers.push(server)
  return server
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A loopback TCP proxy in front of a server that can drop replies, cut its connections, or swallow everything. */
class Proxy {
  port = 0
  dropReplies = false
  blackhole = false
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined

  static async start(target: number): Promise<Proxy> {
    const proxy = new Proxy()
    proxy.port = await freePort()
    proxy.#server = createServer((client) => {
      if (proxy.blackhole) {
        proxy.#sockets.add(client)
        client.on('error', () => {})
        client.on('data', () => {})
        return
      }
      const upstream = createConnection({ host: '127.0.0.1', port: target })
      proxy.#sockets.add(client).add(upstream)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
      client.on('data', (chunk) => upstream.write(chunk))
      upstream.on('data', (chunk) => {
        if (!proxy.dropReplies && !proxy.blackhole) client.write(chunk)
      })
    })
    await new Promise<void>((resolve) => proxy.#server?.listen(proxy.port, '127.0.0.1', resolve))
    cleanups.push(() => proxy.close())
    return proxy
  }

  /** Cuts every open connection; new ones are forwarded normally again. */
  cut(): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    this.dropReplies = false
  }

  close(): Promise<void> {
    this.cut()
    return new Promise((resolve) => this.#server?.close(() => resolve()))
  }
}

for (const fsync of ['always', 'everysec'] as const) describe(`kill -9 and restart (AOF, appendfsync ${fsync}) under load with retries`, () => {
  it(fsync === 'always' ? 'every acknowledged checkpoint is present, none is applied twice' : 'count what is lost (a process kill keeps the page cache, so expect none, but only double-applies are asserted), none is applied twice', async () => {
    const server = await start(['--appendonly', 'yes', '--appendfsync', fsync])
    const io = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null, retryStrategy: () => 20 })
    io.on('error', () => {})
    cleanups.push(() => io.disconnect())
    const store = new RedisBudgets(io, { timeoutMs: 500 })
    await store.create('durable', [
      { dim: 'calls', limit: 1_000_000 },
      { dim: 'tokens', limit: 1_000_000_000 },
    ])
    const total = 1500
    let next = 0
    let acknowledged = 0
    let retries = 0
    let expectedTokens = 0n
    const lane = async () => {
      while (next < total) {
        const i = next++
        for (;;) {
          try {
            await store.chargeMany('durable', { calls: 1, tokens: i + 1 }, { requestId: `load-${i}` })
            acknowledged++
            expectedTokens += BigInt(i + 1)
            break
          } catch (error) {
            expect(error).toBeInstanceOf(StoreError)
            expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
            retries++
            await sleep(20)
          }
        }
      }
    }
    const load = Promise.all(Array.from({ length: 32 }, lane))
    // Kills are triggered by progress, not by a timer, so that each one
    // lands while 32 checkpoints are in flight however fast the machine is:
    // at a quarter, a half and three quarters of the load.
    let kills = 0
    while (kills < 3) {
      while (next < ((kills + 1) * total) / 4) await sleep(1)
      await server.kill9()
      kills++
      // Down for longer than timeoutMs: the callers' timeouts fire and they
      // retry with the same ids while ioredis also resends the originals.
      await sleep(800)
      await server.restart()
    }
    await load
    const calls = await store.spent('durable', 'calls')
    const tokens = await store.spent('durable', 'tokens')
    console.log(`kill -9 x${kills}, appendfsync ${fsync}: ${acknowledged} acknowledged, ${retries} retries, spent calls ${calls}, lost ${BigInt(acknowledged) - (calls ?? 0n)}, tokens ${tokens} (expected ${expectedTokens})`)
    expect(kills).toBe(3)
    expect(retries).toBeGreaterThan(0)
    expect(acknowledged).toBe(total)
    // Never more than acknowledged: no checkpoint applied twice.
    expect(calls ?? 0n).toBeLessThanOrEqual(BigInt(total))
    expect(tokens ?? 0n).toBeLessThanOrEqual(expectedTokens)
    if (fsync === 'always') {
      expect(calls).toBe(BigInt(total))
      expect(tokens).toBe(expectedTokens)
    }
  }, 120_000)
})

describe('replies dropped after execution, then the socket cut (ioredis resends unfulfilled commands)', () => {
  async function run(withRequestIds: boolean): Promise<{ sent: number; spent: bigint; errors: number }> {
    const server = await start()
    const proxy = await Proxy.start(server.port)
    const io = new Redis(proxy.port, '127.0.0.1', { retryStrategy: () => 10 })
    io.on('error', () => {})
    cleanups.push(() => io.disconnect())
    const store = new RedisBudgets(io, { timeoutMs: 5000 })
    await store.create('resend', [{ dim: 'calls', limit: 1_000_000 }])
    // A poll first: it loads the script (EVALSHA answers NOSCRIPT once, and
    // a dropped NOSCRIPT reply would hold the charges back from the server).
    await store.charge('resend', 'calls', 0)
    const sent = 32
    proxy.dropReplies = true
    const pending = Array.from({ length: sent }, (_, i) =>
      store.charge('resend', 'calls', 1, withRequestIds ? { requestId: `drop-${i}` } : undefined).then(
        () => 0,
        () => 1,
      ),
    )
    // Let the server execute all of them (its replies go nowhere), then cut.
    const direct = new Redis(server.port, '127.0.0.1')
    cleanups.push(() => direct.disconnect())
    for (let i = 0; i < 100 && (await direct.hget('bk:{resend}', 'calls')) !== String(sent); i++) await sleep(10)
    expect(await direct.hget('bk:{resend}', 'calls')).toBe(String(sent))
    proxy.cut()
    const errors = (await Promise.all(pending)).reduce((a: number, b) => a + b, 0)
    return { sent, spent: (await store.spent('resend', 'calls')) ?? 0n, errors }
  }

  it('with requestId: every charge resolves and none is applied twice', async () => {
    const { sent, spent, errors } = await run(true)
    console.log(`drop+cut with requestId: ${sent} sent, ${sent - errors} acknowledged, spent ${spent}, double-applied ${spent - BigInt(sent)}`)
    expect(errors).toBe(0)
    expect(spent).toBe(BigInt(sent))
  }, 60_000)

  it('without requestId: the resend double-charges and the application sees no error (what the docs warn about)', async () => {
    const { sent, spent, errors } = await run(false)
    console.log(`drop+cut without requestId: ${sent} sent, ${sent - errors} acknowledged, spent ${spent}, double-applied ${spent - BigInt(sent)}`)
    expect(errors).toBe(0)
    expect(spent).toBe(BigInt(2 * sent))
  }, 60_000)
})

describe('an outage longer than timeoutMs', () => {
  const timeoutMs = 300

  async function timed(p: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
    const started = performance.now()
    try {
      await p
      return { ms: performance.now() - started, error: undefined }
    } catch (error) {
      return { ms: performance.now() - started, error }
    }
  }

  it('a server that stops answering (connections accepted, nothing replied): STORE_UNAVAILABLE within timeoutMs + 100 ms, ioredis and node-redis', async () => {
    const server = await start()
    const proxy = await Proxy.start(server.port)
    const io = new Redis(proxy.port, '127.0.0.1')
    io.on('error', () => {})
    cleanups.push(() => io.disconnect())
    const nr = createClient5({ url: `redis://127.0.0.1:${proxy.port}` })
    nr.on('error', () => {})
    await nr.connect()
    cleanups.push(() => nr.disconnect().catch(() => {}))
    for (const client of [io, nr]) {
      const store = new RedisBudgets(client as never, { timeoutMs })
      await store.create('outage', [{ dim: 'calls', limit: 10 }])
    }
    proxy.blackhole = true
    proxy.cut()
    proxy.blackhole = true
    for (const [name, client] of [['ioredis', io], ['redis 5', nr]] as const) {
      const store = new RedisBudgets(client as never, { timeoutMs })
      for (const call of [() => store.charge('outage', 'calls', 1, { requestId: 'o' }), () => store.snapshot('outage')]) {
        const { ms, error } = await timed(call())
        console.log(`${name} outage: STORE_UNAVAILABLE after ${ms.toFixed(0)} ms (timeoutMs ${timeoutMs})`)
        expect(error).toBeInstanceOf(StoreError)
        expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
        expect(ms).toBeLessThan(timeoutMs + 100)
      }
    }
  }, 60_000)

  it('a killed server: STORE_UNAVAILABLE within timeoutMs + 100 ms although ioredis would retry for about 70 s', async () => {
    const server = await start()
    const io = new Redis(server.port, '127.0.0.1')
    io.on('error', () => {})
    cleanups.push(() => io.disconnect())
    const store = new RedisBudgets(io, { timeoutMs })
    await store.create('down', [{ dim: 'calls', limit: 10 }])
    await server.kill9()
    const { ms, error } = await timed(store.charge('down', 'calls', 1))
    console.log(`killed server: STORE_UNAVAILABLE after ${ms.toFixed(0)} ms`)
    expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
    expect(ms).toBeLessThan(timeoutMs + 100)
  }, 60_000)
})

describe('maxmemory with noeviction', () => {
  it('every checkpoint applies whole or is refused (STORE_UNAVAILABLE, OOM), never half', async () => {
    const server = await start(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'])
    const io = new Redis(server.port, '127.0.0.1')
    cleanups.push(() => io.disconnect())
    const store = new RedisBudgets(io)
    await store.create('existing', [{ dim: 'calls', limit: 1_000_000 }, { dim: 'tokens', limit: 1_000_000 }])
    // Fill memory with ballast until the server refuses writes.
    const ballast = 'x'.repeat(16 * 1024)
    let filled = 0
    for (;;) {
      try {
        await io.set(`ballast:${filled}`, ballast)
        filled++
      } catch (error) {
        expect(String(error)).toMatch(/OOM/)
        break
      }
    }
    // Free a little, so that some lazily created budgets still fit.
    for (let i = 0; i < 4; i++) await io.del(`ballast:${i}`)
    let applied = 0
    let refused = 0
    for (let i = 0; i < 2000; i++) {
      try {
        await store.chargeMany(`lazy:${i}`, { calls: 1, tokens: 2 }, { requestId: `m-${i}`, createWith: [{ dim: 'calls', limit: 10 }, { dim: 'tokens', limit: 10 }] })
        await store.chargeMany('existing', [['calls', 1], ['tokens', 2]])
        applied++
      } catch (error) {
        expect(error).toBeInstanceOf(StoreError)
        expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
        expect(String((error as Error & { cause?: unknown }).cause)).toMatch(/OOM/)
        refused++
      }
    }
    let whole = 0
    for (let i = 0; i < 2000; i++) {
      const snap = await store.snapshot(`lazy:${i}`)
      if (snap === undefined) continue
      expect([snap.dims.calls?.spent, snap.dims.tokens?.spent]).toEqual([1n, 2n])
      whole++
    }
    const existing = await store.snapshot('existing')
    console.log(`maxmemory: ${applied} applied, ${refused} refused, ${whole} lazy budgets whole, 0 half; existing calls ${existing?.dims.calls?.spent} tokens ${existing?.dims.tokens?.spent}`)
    expect(applied).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(whole).toBeGreaterThanOrEqual(applied)
    expect(existing?.dims.tokens?.spent).toBe(2n * (existing?.dims.calls?.spent ?? -1n))
  }, 120_000)
})

describe('eviction (maxmemory-policy volatile-lru, allowEviction: true): what the guard protects against', () => {
  it('counts exhausted windows that eviction lets through again and stored results it drops', async () => {
    const server = await start(['--maxmemory', '2mb', '--maxmemory-policy', 'volatile-lru'])
    const io = new Redis(server.port, '127.0.0.1')
    cleanups.push(() => io.disconnect())
    await expect(new RedisBudgets(io).chargeMany('w0', { calls: 1 })).rejects.toMatchObject({ code: 'UNSAFE_EVICTION_POLICY' })
    const store = new RedisBudgets(io, { allowEviction: true })
    const createWith = [{ dim: 'calls', limit: 1 }] as const
    const windows = 200
    for (let i = 0; i < windows; i++) {
      await store.chargeMany(`w${i}`, { calls: 1 }, { createWith, ttlMs: 3_600_000, requestId: `first-${i}` })
      expect(await store.chargeMany(`w${i}`, { calls: 1 }, { createWith, ttlMs: 3_600_000 })).toEqual({ kind: 'exhausted', dim: 'calls' })
    }
    // Other keys with a ttl fill the memory: volatile-lru evicts among every key with a ttl, budgets included.
    const filler = 'x'.repeat(10_000)
    for (let i = 0; i < 600; i++) await io.set(`cache:${i}`, filler, 'PX', 3_600_000).catch(() => undefined)
    let bypassed = 0
    let doubled = 0
    for (let i = 0; i < windows; i++) {
      const retry = await store.chargeMany(`w${i}`, { calls: 1 }, { createWith, ttlMs: 3_600_000, requestId: `first-${i}` })
      if (retry.kind === 'continue') doubled++
      else if ((await store.chargeMany(`w${i}`, { calls: 0 }, { createWith, ttlMs: 3_600_000 })).kind === 'continue') bypassed++
    }
    const evicted = Number((await io.info('stats')).match(/evicted_keys:(\d+)/)?.[1])
    console.log(`eviction (volatile-lru, 2 MB): ${windows} exhausted windows; retried with their requestId after eviction: ${doubled} applied again on a window re-created at zero; ${bypassed} more windows re-created at zero; evicted keys ${evicted}`)
    // The scenario really happened (keys were evicted), and what eviction let through is counted above.
    expect(evicted).toBeGreaterThan(0)
    expect(doubled + bypassed).toBeLessThanOrEqual(windows)
  }, 60_000)
})
