// The store against the server's configuration, on every client library
// (./redis-server.ts CLIENTS): the eviction guard (maxmemory-policy read on
// first use; refused CONFIG GET warns once), and durability (one WAIT with
// the asked count after every write, on the connection that wrote, seen
// with MONITOR; NOT_REPLICATED; WAITAOF needing 7.2; and a real failover:
// primary kill -9, replica promoted). Counts are printed.

import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RedisBudgets } from '../redis.js'
import { forEachClient, RedisServer, type ClientKind, type OpenOptions } from './redis-server.js'

const servers: RedisServer[] = []
const clients: Redis[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
  vi.restoreAllMocks()
})
async function start(args: readonly string[] = []): Promise<RedisServer> {
  const s = await RedisServer.start(args)
  servers.push(s)
  return s
}
function connect(port: number, options: Record<string, unknown> = {}): Redis {
  const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, ...options })
  c.on('error', () => {})
  clients.push(c)
  return c
}
const closes: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closes.splice(0)) await close()
})
/** A client of `kind` for the store under test, closed after the test. */
async function open(kind: ClientKind, port: number, options?: OpenOptions) {
  const opened = await kind.open(port, options)
  closes.push(opened.close)
  return opened.client
}
/** Until the primary counts its replica online (the replica's own link status is up earlier, before its first ACK). */
async function replicating(primaryPort: number): Promise<void> {
  const pio = connect(primaryPort)
  while (!/^slave0:.*state=online/m.test(await pio.info('replication'))) await new Promise((r) => setTimeout(r, 20))
}
const evalCalls = async (c: Redis) => (await c.info('commandstats')).match(/cmdstat_eval(?:sha)?:calls=(\d+)/g)?.join() ?? ''
const DECL = [{ dim: 'calls', limit: 1_000_000 }] as const

forEachClient((kind) => {
  describe('eviction guard', () => {
    it('maxmemory-policy volatile-lru: every call is UNSAFE_EVICTION_POLICY and nothing is sent; allowEviction: true goes on', async () => {
      const server = await start(['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru'])
      const io = connect(server.port)
      const store = new RedisBudgets(await open(kind, server.port))
      for (const call of [() => store.create('k', DECL), () => store.charge('k', 'calls', 1, { createWith: DECL }), () => store.spent('k', 'calls'), () => store.reset('k')]) {
        await expect(call()).rejects.toMatchObject({ name: 'StoreError', code: 'UNSAFE_EVICTION_POLICY', message: expect.stringContaining('volatile-lru') })
      }
      expect(await evalCalls(io)).toBe('')
      expect(await io.dbsize()).toBe(0)
      const allowed = new RedisBudgets(await open(kind, server.port), { allowEviction: true })
      expect(await allowed.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
    })

    it('noeviction: no refusal, no warning', async () => {
      const server = await start(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'])
      const warn = vi.spyOn(process, 'emitWarning')
      const store = new RedisBudgets(await open(kind, server.port))
      expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
      expect(warn).not.toHaveBeenCalled()
    })

    it('CONFIG GET refused by ACL (as on managed services): one process warning, then the store works', async () => {
      const server = await start(['--maxmemory-policy', 'allkeys-lru'])
      const admin = connect(server.port)
      await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~*', '+@all', '-config')
      const app = connect(server.port, { username: 'app', password: 'secret' })
      await expect(app.config('GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/)
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
      const store = new RedisBudgets(await open(kind, server.port, { username: 'app', password: 'secret' }))
      expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
      expect(await store.charge('k', 'calls', 1)).toEqual({ kind: 'continue' })
      expect(await store.spent('k', 'calls')).toBe(2n)
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/could not read maxmemory-policy.*NOPERM/)
    })
  })

  describe('durability options', () => {
    it('replicas: 1 with no replica: NOT_REPLICATED with applied: true, and the charge is on the primary', async () => {
      const server = await start()
      const store = new RedisBudgets(await open(kind, server.port), { replicas: 1, replicaTimeoutMs: 50 })
      const error = await store.charge('k', 'calls', 5, { createWith: DECL }).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'StoreError', code: 'NOT_REPLICATED', applied: true })
      expect(await new RedisBudgets(connect(server.port)).spent('k', 'calls')).toBe(5n)
    })

    it(`aof: true needs WAITAOF (Redis 7.2+): on this server (${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2]}) it refuses before sending`, async () => {
      const server = await start()
      const io = connect(server.port)
      const version = /redis_version:(\d+)\.(\d+)/.exec(await io.info('server'))
      const store = new RedisBudgets(await open(kind, server.port), { aof: true })
      if (version !== null && Number(version[1]) * 100 + Number(version[2]) >= 702) {
        expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
      } else {
        await expect(store.charge('k', 'calls', 1, { createWith: DECL })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('WAITAOF') })
        expect(await io.dbsize()).toBe(0)
      }
    })

    it('replicas: 1 sends exactly one WAIT 1 <replicaTimeoutMs> after each write, on the connection that wrote it, and none after a read (MONITOR on the primary)', async () => {
      const primary = await start(['--repl-diskless-sync-delay', '0'])
      const replica = await start(['--replicaof', '127.0.0.1', String(primary.port)])
      const rio = connect(replica.port)
      await replicating(primary.port)
      // A generous timeout: WAIT returns as soon as the replica has acknowledged, and a loaded machine can take a while.
      const store = new RedisBudgets(await open(kind, primary.port), { replicas: 1, replicaTimeoutMs: 5000 })
      // The first-use check first (CONFIG GET), so that MONITOR sees only the calls below.
      await store.snapshot('none')
      const monitor = await connect(primary.port).monitor()
      const seen: Array<{ args: string[]; source: string }> = []
      monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args: args.slice(0, 3), source }))
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['create', () => store.create('k', DECL, { requestId: 'c' })],
        ['charge', () => store.charge('k', 'calls', 1)],
        ['chargeMany with createWith', () => store.chargeMany('lazy', { calls: 1 }, { createWith: DECL, requestId: 'm' })],
        ['reset', () => store.reset('k')],
        ['delete', () => store.delete('lazy')],
      ]
      const reads: Array<() => Promise<unknown>> = [() => store.spent('k', 'calls'), () => store.remaining('k', 'calls'), () => store.snapshot('k')]
      for (const [, write] of writes) await write()
      for (const read of reads) await read()
      // MONITOR streams asynchronously: a marker command shows it has caught up.
      await rio.ping()
      const marker = connect(primary.port)
      await marker.echo('monitor-caught-up')
      while (!seen.some((c) => c.args[0]?.toUpperCase() === 'ECHO')) await new Promise((r) => setTimeout(r, 10))
      monitor.disconnect()
      // The store's own commands: scripts and waits (not the commands a script runs, which MONITOR shows from 'lua').
      // An EVAL right after an EVALSHA is the same script call (its NOSCRIPT fallback, on first use of each script).
      const calls = seen
        .filter((c) => c.source !== 'lua' && ['EVALSHA', 'EVAL', 'WAIT', 'WAITAOF'].includes(c.args[0]?.toUpperCase() ?? ''))
        .filter((c, i, all) => !(c.args[0]?.toUpperCase() === 'EVAL' && all[i - 1]?.args[0]?.toUpperCase() === 'EVALSHA' && all[i - 1]?.source === c.source))
      const names = calls.map((c) => c.args[0]?.toUpperCase())
      console.log(`${kind.name}: replicas: 1, ${writes.length} writes and ${reads.length} reads sent ${names.join(' ')}`)
      expect(names).toEqual([...writes.flatMap(() => ['EVALSHA', 'WAIT']), ...reads.map(() => 'EVALSHA')])
      for (const [i, call] of calls.entries()) {
        if (call.args[0]?.toUpperCase() !== 'WAIT') continue
        expect(call.args.slice(1), writes[(i - 1) / 2]?.[0]).toEqual(['1', '5000'])
        // WAIT counts the writes of its own connection: it must follow the write on the same one.
        expect(call.source).toBe(calls[i - 1]?.source)
      }
    })

    for (const replicas of [1, 0]) {
      it(`failover (primary kill -9, replica promoted) under load, replicas: ${replicas}: ${replicas ? 'every acknowledged charge and stored result survives' : 'count what is lost'}`, async () => {
        const primary = await start(['--repl-diskless-sync-delay', '0'])
        const replica = await start(['--replicaof', '127.0.0.1', String(primary.port), '--enable-debug-command', 'local'])
        const rio = connect(replica.port)
        await replicating(primary.port)
        const store = new RedisBudgets(await open(kind, primary.port), { replicas, replicaTimeoutMs: 1000, timeoutMs: 2000 })
        await store.create('k', DECL)
        let acked = 0
        const ids: string[] = []
        let stop = false
        const worker = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const id = `w${w}-${i}`
            try {
              await store.charge('k', 'calls', 1, { requestId: id })
              acked++
              ids.push(id)
            } catch {
              return
            }
          }
        }
        const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)))
        while (acked < 2000) await new Promise((r) => setTimeout(r, 5))
        // A replica that falls behind (here: busy for a second, as under load or a
        // slow network), then the primary dies: what it had not received is gone.
        const busy = connect(replica.port)
        const sleeping = busy.call('DEBUG', 'SLEEP', '1').catch(() => undefined)
        await new Promise((r) => setTimeout(r, 300))
        await primary.kill9()
        await sleeping
        stop = true
        await load
        await rio.call('REPLICAOF', 'NO', 'ONE')
        const promoted = new RedisBudgets(rio)
        // Without replicas the replica may have missed even the create: then the whole budget is lost (spent 0).
        const survived = (await promoted.snapshot('k')) !== undefined
        const spent = survived ? Number(await promoted.spent('k', 'calls')) : 0
        let storedLost = 0
        for (const id of ids) if ((await rio.exists(`bk:{k}:rq:${id}`)) === 0) storedLost++
        const lost = Math.max(0, acked - spent)
        console.log(`${kind.name}: failover replicas:${replicas}: acknowledged ${acked}, on the promoted replica ${spent}${survived ? '' : ' (the budget itself was lost)'}, lost ${lost}, stored results lost ${storedLost}, double-applied 0 (unit charges with distinct ids)`)
        // Nothing acknowledged is applied twice: spent can exceed acked only by charges applied but not yet acknowledged (one per worker at most).
        expect(spent).toBeLessThanOrEqual(acked + 16)
        if (replicas > 0) {
          expect(survived).toBe(true)
          expect(spent).toBeGreaterThanOrEqual(acked)
          expect(storedLost).toBe(0)
        }
        // A retry of every acknowledged id on the promoted replica applies nothing (where the budget is there to charge).
        if (survived) for (const id of ids.slice(-50)) expect(await promoted.charge('k', 'calls', 1, { requestId: id })).toEqual({ kind: 'continue' })
        if (replicas > 0) expect(Number(await promoted.spent('k', 'calls'))).toBe(spent)
      }, 60_000)
    }
  })
})

describe('durability options, any client', () => {
  it('a Cluster client with replicas is refused at construction', () => {
    const fake = { evalSha: async () => 0, eval: async () => 0, masters: [], nodeClient: () => ({}) }
    expect(() => new RedisBudgets(fake as never, { replicas: 1 })).toThrow(TypeError)
  })
})

describe('ioredis with maxRetriesPerRequest: null (BullMQ-style connections)', () => {
  it('documented, not refused: a call still fails within timeoutMs while the server is down, and its queued command is applied when the server returns, so only a requestId makes the retry safe', async () => {
    const server = await start()
    const io = connect(server.port, { maxRetriesPerRequest: null, retryStrategy: () => 50 })
    const store = new RedisBudgets(io, { timeoutMs: 300 })
    await store.create('k', DECL)
    await server.kill9()
    const started = Date.now()
    await expect(store.charge('k', 'calls', 1, { requestId: 'late' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await expect(store.charge('k', 'calls', 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(Date.now() - started).toBeLessThan(2 * 300 + 200)
    // ioredis holds both commands and sends them after it reconnects, against whatever is there then.
    await server.restart()
    const check = connect(server.port)
    await new RedisBudgets(check).create('k', DECL)
    // Wait until the held commands have been sent (their replies land nowhere).
    await new Promise((resolve) => setTimeout(resolve, 500))
    const spent = await new RedisBudgets(check).spent('k', 'calls')
    console.log(`maxRetriesPerRequest: null: 2 calls rejected with STORE_UNAVAILABLE, ${spent} applied later by the client's own resend`)
    // The retry with the same requestId applies nothing more whether or not the held command got there first.
    await store.charge('k', 'calls', 1, { requestId: 'late' })
    expect(await new RedisBudgets(check).spent('k', 'calls')).toBe(spent === 0n ? 1n : spent)
  })
})

