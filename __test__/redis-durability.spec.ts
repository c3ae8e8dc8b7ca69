// The store against the server's configuration, on every client library
// (./redis-server.ts CLIENTS): the eviction guard (maxmemory-policy read on
// first use; refused CONFIG GET warns once), and durability (one WAIT with
// the asked count after every write, on the connection that wrote, seen
// with MONITOR; NOT_REPLICATED; WAITAOF needing 7.2; and a real failover:
// the replica's link cut by a proxy that drops what the primary sends,
// primary kill -9, replica promoted, every charge counted by its stored
// result). Counts are printed. And the ACL of the store's Redis user
// (STORE_ACL, quoted by SECURITY.md): the whole surface runs under exactly
// it on every client, without any one of its rules it does not, and the
// ACL SECURITY.md used to recommend fails on the first script.

import { homedir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GRANT } from '../lib/redis/lease-scripts.js'
import { CHARGE, CREATE, DELETE, READ, RESET } from '../lib/redis/scripts.js'
import { RedisBudgets, StoreError } from '../redis.js'
import { CLIENTS, forEachClient, RedisServer, replicating, type ClientKind, type OpenOptions } from './redis-server.js'
import { TcpProxy } from './tcp-proxy.js'

const servers: RedisServer[] = []
const clients: Redis[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
  vi.restoreAllMocks()
})
async function start(args: readonly string[] = [], binary?: string): Promise<RedisServer> {
  const s = await RedisServer.start(args, binary)
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
/** A loopback proxy to `target`, closed after the test. */
async function proxy(target: number): Promise<TcpProxy> {
  const p = await TcpProxy.start(target)
  closes.push(() => p.close())
  return p
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Until `done()` holds; after `ms` without it, an error naming `what` (and what `state()` says). */
async function until(done: () => boolean | Promise<boolean>, what: string, state: () => string = () => '', ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what} (${state()})`)
    await sleep(5)
  }
}
/** A field of INFO replication as a number. */
function replicationOffset(info: string, field: 'master_repl_offset' | 'slave_repl_offset'): number {
  const match = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(info)
  if (match === null) throw new Error(`no ${field} in INFO replication: ${info}`)
  return Number(match[1])
}
/** The request ids with a stored result on budget `key` (SCAN over `bk:{key}:rq:*`). */
async function storedResults(io: Redis, key: string): Promise<Set<string>> {
  const prefix = `bk:{${key}}:rq:`
  const ids = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await io.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    for (const k of keys) ids.add(k.slice(prefix.length))
    cursor = next
  } while (cursor !== '0')
  return ids
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

    // The branch taken depends on the server the harness starts
    // (REDIS_SERVER, else redis-server on PATH: Debian 12's is 7.0, so the
    // refusal). REDIS_SERVER=~/.cache/budgetkernel/valkey-8.0.1/usr/bin/valkey-server
    // runs the other branch (Valkey 8 reports redis_version 7.2.4).
    it('aof: true needs WAITAOF (Redis 7.2+): before 7.2 every call is refused before anything is sent; from 7.2, with appendonly yes, a write is followed by WAITAOF', async () => {
      const server = await start(['--appendonly', 'yes'])
      const io = connect(server.port)
      const version = /^redis_version:(\d+)\.(\d+)\.\d+\r?$/m.exec(await io.info('server'))
      expect(version).not.toBeNull()
      const [major, minor] = [Number(version?.[1]), Number(version?.[2])]
      const waitaof = major * 100 + minor >= 702
      console.log(`${kind.name}: aof: true on a server with redis_version ${version?.[0].split(':')[1]?.trim()}: ${waitaof ? 'a write, then WAITAOF' : 'refused before sending'}`)
      const store = new RedisBudgets(await open(kind, server.port), { aof: true })
      if (waitaof) {
        expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
        expect(/^cmdstat_waitaof:calls=(\d+)/m.exec(await io.info('commandstats'))?.[1]).toBe('1')
        expect(await new RedisBudgets(io).spent('k', 'calls')).toBe(1n)
      } else {
        await expect(store.charge('k', 'calls', 1, { createWith: DECL })).rejects.toMatchObject({
          code: 'STORE_UNAVAILABLE',
          message: expect.stringContaining(`options.aof needs WAITAOF (Redis 7.2 or later); the server is ${major}.${minor}; nothing was sent`),
        })
        expect(await evalCalls(io)).toBe('')
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
      it(`failover under load (the replica's link to the primary dropped by a proxy, the primary kill -9, the replica promoted), replicas: ${replicas}: ${replicas ? 'every acknowledged charge and its stored result survive' : 'acknowledged charges are lost'}; none is applied twice`, async () => {
        const primary = await start(['--repl-diskless-sync-delay', '0'])
        // The replica reaches its primary only through the proxy: once it
        // drops, what the primary writes never arrives (not late: never),
        // nor do the replica's acknowledgements.
        const link = await proxy(primary.port)
        const replica = await start(['--replicaof', '127.0.0.1', String(link.port)])
        const pio = connect(primary.port)
        const rio = connect(replica.port)
        await replicating(primary.port)
        // WAIT blocks its connection, and the client has one: a write queued
        // behind the other workers' WAITs waits up to (workers - 1) x
        // replicaTimeoutMs, so timeoutMs is above that (else it fails with
        // STORE_UNAVAILABLE while the primary is still there).
        const workers = 4
        const replicaTimeoutMs = 500
        const store = new RedisBudgets(await open(kind, primary.port), { replicas, replicaTimeoutMs, timeoutMs: workers * replicaTimeoutMs + 2000 })
        await store.create('k', DECL)
        // Without replicas the create is not waited for: the replica has it before the fault.
        await until(async () => (await rio.exists('bk:{k}')) === 1, 'the replica has the budget')
        const acked: string[] = []
        const notReplicated: string[] = []
        const unavailable: string[] = []
        // Charges sent once the proxy dropped: each runs on the primary after
        // that, so its replication reaches the proxy after it: none can be on the replica.
        const afterDrop = new Set<string>()
        const errors: Array<{ code: string; at: number; applied: unknown }> = []
        let stop = false
        let killAt: number | undefined
        const worker = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const id = `w${w}-${i}`
            if (link.dropping) afterDrop.add(id)
            try {
              await store.charge('k', 'calls', 1, { requestId: id })
              acked.push(id)
            } catch (error) {
              const code = error instanceof StoreError ? error.code : `not a StoreError: ${String(error)}`
              errors.push({ code, at: performance.now(), applied: (error as { applied?: unknown }).applied })
              // NOT_REPLICATED: applied on the primary, not acknowledged. Any
              // other error (asserted below: STORE_UNAVAILABLE, the primary
              // gone) may or may not have been applied. The worker goes on.
              if (code === 'NOT_REPLICATED') notReplicated.push(id)
              else unavailable.push(id)
              // Once the primary is killed, a worker stops at its first error (the application's retries come later, below).
              if (killAt !== undefined) return
            }
          }
        }
        const loadAt = performance.now()
        const load = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)))
        await until(() => acked.length >= 2000, 'the first 2000 acknowledged charges', () => `${acked.length} acknowledged, errors ${errors.map((e) => e.code).join()}`)
        const dropAt = performance.now()
        link.drop()
        // Until the fault has done its work: charges sent after the drop have
        // completed, whatever their outcome (asserted below): with replicas
        // one (it waits for the WAITs queued before it to time out), without 500.
        const sentAfterDrop = (list: readonly string[]) => list.filter((id) => afterDrop.has(id))
        const completedAfterDrop = () => sentAfterDrop(acked).length + sentAfterDrop(notReplicated).length + sentAfterDrop(unavailable).length
        const enough = replicas > 0 ? 1 : 500
        await until(() => completedAfterDrop() >= enough, `${enough} charges sent after the drop completed`, () =>
          errors.map((e) => `${e.code} ${(e.at - dropAt).toFixed(0)} ms after the drop`).join(', '),
        )
        const primaryOffset = replicationOffset(await pio.info('replication'), 'master_repl_offset')
        killAt = performance.now()
        await primary.kill9()
        stop = true
        await load
        const loadDoneAt = performance.now()
        const replicaOffset = replicationOffset(await rio.info('replication'), 'slave_repl_offset')
        await rio.call('REPLICAOF', 'NO', 'ONE')
        const promoted = new RedisBudgets(await open(kind, replica.port))
        const stored = await storedResults(rio, 'k')
        const spent = Number(await promoted.spent('k', 'calls'))
        const lost = acked.filter((id) => !stored.has(id))
        const notReplicatedLost = notReplicated.filter((id) => !stored.has(id))
        // Each unit charge with a request id writes spent + 1 and its stored
        // result in one script, replicated as one transaction: a charge
        // applied twice would show as spent above the stored results.
        const doubleApplied = spent - stored.size
        // What an application does next: retry every charge that was not
        // acknowledged (and here every acknowledged one too) with its id.
        const sent = [...acked, ...notReplicated, ...unavailable]
        const absent = sent.filter((id) => !stored.has(id)).length
        for (let i = 0; i < sent.length; i += 256) {
          const verdicts = await Promise.all(sent.slice(i, i + 256).map((id) => promoted.charge('k', 'calls', 1, { requestId: id })))
          for (const verdict of verdicts) expect(verdict).toEqual({ kind: 'continue' })
        }
        const storedAfter = await storedResults(rio, 'k')
        const spentAfter = Number(await promoted.spent('k', 'calls'))
        console.log(
          `${kind.name}: failover replicas:${replicas}: acknowledged ${acked.length} (${sentAfterDrop(acked).length} sent after the drop), lost ${lost.length}, double-applied ${doubleApplied}, ` +
            `NOT_REPLICATED ${notReplicated.length} (${notReplicatedLost.length} of them lost), STORE_UNAVAILABLE ${unavailable.length}; ` +
            `replica offset ${replicaOffset} ${replicaOffset < primaryOffset ? '<' : '>='} primary ${primaryOffset} at the kill; promoted: spent ${spent} = stored results ${stored.size}; ` +
            `all ${sent.length} ids retried: ${spentAfter - spent} applied (the ${absent} without a stored result), spent ${spentAfter} = stored results ${storedAfter.size}; ` +
            `load ${(dropAt - loadAt).toFixed(0)} ms, drop to kill ${((killAt as number) - dropAt).toFixed(0)} ms, kill to the workers' end ${(loadDoneAt - (killAt as number)).toFixed(0)} ms`,
        )
        // The fault is real: the replica was behind when the primary died,
        // and nothing sent after the drop reached it.
        expect(replicaOffset, 'the replica behind the primary at the kill').toBeLessThan(primaryOffset)
        expect(sentAfterDrop(sent).filter((id) => stored.has(id)), 'charges sent after the drop on the replica').toEqual([])
        // Errors: only the two the fault explains, none before it; the primary's death, none before the kill.
        const described = (list: typeof errors) => list.map((e) => `${e.code} ${(e.at - dropAt).toFixed(0)} ms after the drop`)
        expect(described(errors.filter((e) => e.code !== 'STORE_UNAVAILABLE' && e.code !== 'NOT_REPLICATED')), 'other errors').toEqual([])
        expect(described(errors.filter((e) => e.at < dropAt)), 'errors before the drop').toEqual([])
        expect(described(errors.filter((e) => e.code === 'STORE_UNAVAILABLE' && e.at < (killAt as number))), 'STORE_UNAVAILABLE before the kill').toEqual([])
        if (replicas > 0) {
          // WAIT confirms nothing sent after the drop, and everything it confirmed is on the promoted replica.
          expect(sentAfterDrop(acked), 'acknowledged charges sent after the drop').toEqual([])
          expect(lost, 'acknowledged charges lost').toEqual([])
          // NOT_REPLICATED (applied: true) is what may be lost: here it was.
          expect(described(errors.filter((e) => e.code === 'NOT_REPLICATED' && e.applied !== true)), 'NOT_REPLICATED without applied: true').toEqual([])
          expect(sentAfterDrop(notReplicated).length, 'NOT_REPLICATED charges sent after the drop').toBeGreaterThan(0)
          expect(notReplicatedLost.length, 'NOT_REPLICATED charges lost').toBeGreaterThan(0)
        } else {
          // The primary acknowledged 500 charges sent after the drop: all of them are lost.
          expect(notReplicated, 'NOT_REPLICATED without replicas').toEqual([])
          expect(sentAfterDrop(acked).length, 'acknowledged charges sent after the drop').toBeGreaterThanOrEqual(500)
          expect(lost.length, 'acknowledged charges lost').toBeGreaterThanOrEqual(500)
        }
        // Only ids that were sent are there, none applied twice, before or after the retries.
        const ids = new Set(sent)
        expect([...stored].filter((id) => !ids.has(id)), 'stored results of ids never sent').toEqual([])
        expect(doubleApplied, 'double-applied: spent - stored results, before the retries').toBe(0)
        expect(spentAfter, 'spent after the retries: before + the ids without a stored result').toBe(spent + absent)
        expect(storedAfter.size, 'stored results after the retries: one per id sent').toBe(sent.length)
        expect(spentAfter, 'double-applied after the retries: spent - stored results').toBe(storedAfter.size)
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
  it('documented, not refused: calls fail within timeoutMs while the server is down, ioredis holds their commands and applies them when it reconnects, so a retry without a requestId charges twice', async () => {
    const server = await start()
    // The client reaches the server through a proxy that refuses connections
    // while the test sets the restarted server up: ioredis cannot reconnect
    // (it retries every 50 ms) before the budget is there again.
    const gate = await proxy(server.port)
    const io = connect(gate.port, { maxRetriesPerRequest: null, retryStrategy: () => 50 })
    const timeoutMs = 300
    const store = new RedisBudgets(io, { timeoutMs })
    await store.create('k', DECL)
    await gate.refuse()
    await server.kill9()
    const rejected: number[] = []
    for (const options of [{ requestId: 'late' }, undefined]) {
      const started = performance.now()
      await expect(store.charge('k', 'calls', 1, options)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      rejected.push(performance.now() - started)
    }
    for (const ms of rejected) expect(ms).toBeLessThan(timeoutMs + 100)
    // A fresh server (nothing persisted) and the budget created again on it,
    // seen by a second client, while ioredis is still reconnecting.
    await server.restart()
    const admin = connect(server.port)
    await new RedisBudgets(admin).create('k', DECL)
    const check = new RedisBudgets(connect(server.port))
    expect(await check.spent('k', 'calls')).toBe(0n)
    expect(io.status).toBe('reconnecting')
    await gate.accept()
    // ioredis reconnects and sends the held commands, then this PING (held
    // after them). The fresh server has not the charge script: each held
    // EVALSHA is answered NOSCRIPT, and the store's runner, whose handler
    // runs before this await resumes (settled earlier, same depth), sends it
    // again as EVAL. A second PING is answered after those EVALs.
    await io.ping()
    await io.ping()
    const held = await check.spent('k', 'calls')
    // The application retries both: with the requestId nothing more is applied, without it the charge is applied again.
    expect(await store.charge('k', 'calls', 1, { requestId: 'late' })).toEqual({ kind: 'continue' })
    const withId = await check.spent('k', 'calls')
    expect(await store.charge('k', 'calls', 1)).toEqual({ kind: 'continue' })
    const withoutId = await check.spent('k', 'calls')
    console.log(`maxRetriesPerRequest: null: 2 calls rejected with STORE_UNAVAILABLE after ${rejected.map((ms) => ms.toFixed(0)).join(' and ')} ms, then ioredis reconnected and sent the commands it held: spent ${held}; retried with the requestId: spent ${withId}; retried without one: spent ${withoutId}`)
    expect([held, withId, withoutId]).toEqual([2n, 2n, 3n])
  })
})

/**
 * The ACL rules of the store's Redis user (SECURITY.md quotes this string):
 * its keys (the default prefix `bk`), EVALSHA and the EVAL it falls back to
 * after NOSCRIPT, CONFIG GET for the eviction-policy check, and every command
 * its scripts run (ts/lib/redis/scripts.ts, lease-scripts.ts), which Redis
 * checks against the user too. Each one is needed (shown below).
 */
export const STORE_ACL = '~bk:* +evalsha +eval +config|get +exists +get +set +del +pexpire +pttl +persist +time +hset +hmget +hgetall +hkeys +hdel'
/** Added with `{ replicas: N }` (WAIT) and with `{ aof: true }` (WAITAOF, and INFO for its first-use check of the version and the AOF). */
export const STORE_ACL_DURABILITY = { replicas: '+wait', aof: '+waitaof +info' } as const
/** What SECURITY.md recommended (with `+info` for ioredis's ready check): none of the scripts' commands. */
const DOCUMENTED_ACL = '~bk:* +evalsha +eval +config|get +info'
/** What the clients send on connecting and go on without when refused: ioredis's INFO ready check, node-redis 5/6's CLIENT SETINFO (Redis 7.2+). */
const HANDSHAKE = ['info', 'client|setinfo']
const VALKEY = process.env.VALKEY_SERVER ?? path.join(homedir(), '.cache/budgetkernel/valkey-8.0.1/usr/bin/valkey-server')

/** A fresh ACL user `name` (password `secret`) with exactly `rules`. */
async function aclUser(admin: Redis, name: string, rules: string): Promise<void> {
  await admin.call('ACL', 'SETUSER', name, 'reset', 'on', '>secret', ...rules.split(' '))
}
/** ACL LOG, newest first: what was refused (the command, or `key` for a key outside the patterns), with its context. */
async function aclLog(admin: Redis): Promise<Array<{ denied: string; context: string }>> {
  const entries = (await admin.call('ACL', 'LOG')) as unknown[][]
  return entries.map((entry) => {
    const fields = new Map<string, string>()
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]))
    return { denied: fields.get('reason') === 'key' ? 'key' : (fields.get('object') ?? ''), context: fields.get('context') ?? '' }
  })
}
const CONTINUE = { kind: 'continue' }
/**
 * Every method of the store and of a lease, with the results the in-process
 * kernel gives, so that every command of every script runs: create (DEL,
 * HSET, PEXPIRE with a ttl, GET and SET with a request id), charge and
 * chargeMany (EXISTS, HMGET; a stored result read back), spent, remaining,
 * snapshot (PTTL, HGETALL), reset (HKEYS), two leases on a budget without
 * ttl (TIME, PERSIST), the first expiring unreported so that the second's
 * grant writes it off (HINCRBY) and both releases (HDEL), and delete.
 */
async function surface(store: RedisBudgets, admin: Redis): Promise<void> {
  const decl = [{ dim: 'calls', limit: 100, warn: 50 }, { dim: 'tokens', limit: 1000 }] as const
  expect(await store.create('acl', decl, { requestId: 'create' })).toBe(true)
  expect(await store.create('acl', decl, { requestId: 'create' })).toBe(true)
  expect(await store.create('acl', decl, { ifAbsent: true })).toBe(false)
  expect(await store.create('acl-ttl', decl, { ttlMs: 60_000 })).toBe(true)
  expect(await store.charge('acl', 'calls', 1, { requestId: 'c1' })).toEqual(CONTINUE)
  expect(await store.charge('acl', 'calls', 1, { requestId: 'c1' })).toEqual(CONTINUE)
  expect(await store.chargeMany('acl', { calls: 60, tokens: 10 })).toEqual({ kind: 'warn', dim: 'calls' })
  expect(await store.chargeMany('lazy', { tokens: 1000 }, { createWith: decl, ttlMs: 60_000, requestId: 'm1' })).toEqual(CONTINUE)
  expect(await store.spent('acl', 'calls')).toBe(61n)
  expect(await store.remaining('acl', 'tokens')).toBe(990n)
  expect((await store.snapshot('acl'))?.dims.calls).toEqual({ limit: 100n, warn: 50n, spent: 61n, remaining: 39n })
  expect((await store.snapshot('lazy-none'))).toBeUndefined()
  expect((await store.snapshot('acl-ttl'))?.ttlMs).toBeGreaterThan(0)
  await store.reset('acl', { requestId: 'r1' })
  expect(await store.spent('acl', 'calls')).toBe(0n)
  const a = store.lease('acl', { holder: 'a', ttlMs: 50, chunk: 10 })
  expect(await a.charge('calls', 1)).toEqual(CONTINUE)
  await sleep(100)
  const b = store.lease('acl', { holder: 'b', chunk: 10 })
  expect(await b.charge('calls', 1)).toEqual(CONTINUE)
  // a's grant (10 and its pending 1) is written off as lost; a's late release gives it back.
  expect(await admin.hget('bk:{acl}', 'calls:lost')).toBe('11')
  await b.release()
  await a.release()
  expect(await admin.hget('bk:{acl}', 'calls:lost')).toBe('0')
  expect(await store.spent('acl', 'calls')).toBe(2n)
  expect(await store.delete('acl', { requestId: 'd1' })).toBe(true)
  expect(await store.delete('acl')).toBe(false)
  expect(await store.snapshot('acl')).toBeUndefined()
}

describe("the store's ACL (STORE_ACL)", () => {
  it("lists exactly the commands the scripts call (ts/lib/redis/scripts.ts, lease-scripts.ts)", () => {
    const sources = [CHARGE, CREATE, RESET, DELETE, READ, GRANT].join('\n')
    // Every call names its command as a literal: nothing the ACL could miss.
    const calls = sources.match(/redis\.p?call\(/g) ?? []
    const named = [...sources.matchAll(/redis\.p?call\('([A-Z]+)'/g)].map((m) => (m[1] as string).toLowerCase())
    expect(named.length).toBe(calls.length)
    const scripts = STORE_ACL.split(' ').filter((rule) => !['~bk:*', '+evalsha', '+eval', '+config|get'].includes(rule)).map((rule) => rule.slice(1))
    expect([...new Set(named)].sort()).toEqual([...scripts].sort())
  })

  it('each rule is needed: without it the surface fails, refused on that very command (ACL LOG), or, for config|get, warns', async () => {
    const kind = CLIENTS[0] as ClientKind
    const server = await start()
    const admin = connect(server.port)
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const rules = STORE_ACL.split(' ')
    const outcomes: string[] = []
    for (const [i, rule] of rules.entries()) {
      // A fresh start: no keys, no scripts cached (so that EVAL is needed), an empty ACL LOG.
      await admin.flushall()
      await admin.call('SCRIPT', 'FLUSH')
      await admin.call('ACL', 'LOG', 'RESET')
      emit.mockClear()
      await aclUser(admin, `without-${i}`, rules.filter((r) => r !== rule).join(' '))
      const store = new RedisBudgets(await open(kind, server.port, { username: `without-${i}`, password: 'secret', io: { enableReadyCheck: false } }))
      const outcome = await surface(store, admin).then(() => 'ran', (error: unknown) => (error instanceof StoreError ? error.code : String(error)))
      const denied = (await aclLog(admin)).map((e) => e.denied)
      outcomes.push(`${rule}: ${outcome}, refused ${denied.join()}`)
      expect(denied, rule).toContain(rule === '~bk:*' ? 'key' : rule.slice(1))
      if (rule === '+config|get') {
        expect(outcome).toBe('ran')
        expect(emit.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/could not read maxmemory-policy.*NOPERM/)])
      } else {
        expect(outcome, rule).toBe('STORE_UNAVAILABLE')
      }
    }
    console.log(`${kind.name}: STORE_ACL without each rule: ${outcomes.join('; ')}`)
  }, 60_000)
})

forEachClient((kind) => {
  describe("the store's ACL (STORE_ACL)", () => {
    it('a user with exactly STORE_ACL runs the whole surface (create, charge, chargeMany, spent, remaining, snapshot, reset, delete, lease charge and release)', async () => {
      const server = await start()
      const admin = connect(server.port)
      await aclUser(admin, 'app', STORE_ACL)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const emit = vi.spyOn(process, 'emitWarning')
      await surface(new RedisBudgets(await open(kind, server.port, { username: 'app', password: 'secret' })), admin)
      expect(emit).not.toHaveBeenCalled()
      // Refused: only what the client sends on connecting (and goes on without).
      const denied = (await aclLog(admin)).map((e) => e.denied)
      console.log(`${kind.name}: STORE_ACL: the surface ran; refused: ${denied.join() || 'nothing'}`)
      expect(denied.filter((d) => !HANDSHAKE.includes(d))).toEqual([])
      // ioredis logs that it skips its ready check (INFO): +info silences it.
      const ioredis = kind.name.startsWith('ioredis ')
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(ioredis ? [expect.stringMatching(/Skipping the ready check because INFO command fails.*NOPERM/)] : [])
    })

    it("the ACL SECURITY.md recommended fails on the first script: its commands are refused inside it ('can't run this command')", async () => {
      const server = await start()
      const admin = connect(server.port)
      await aclUser(admin, 'old', DOCUMENTED_ACL)
      const store = new RedisBudgets(await open(kind, server.port, { username: 'old', password: 'secret' }))
      await expect(store.create('k', DECL)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining("The user executing the script can't run this command") })
      await expect(store.charge('k', 'calls', 1, { createWith: DECL, requestId: 'x' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      expect(await aclLog(admin)).toEqual([
        { denied: 'get', context: 'lua' },
        { denied: 'exists', context: 'lua' },
      ])
      expect(await admin.dbsize()).toBe(0)
    })

    it(`replicas: 1 needs ${STORE_ACL_DURABILITY.replicas}: with it WAIT runs (NOT_REPLICATED, no replica here); without it STORE_UNAVAILABLE after the write`, async () => {
      const server = await start()
      const admin = connect(server.port)
      await aclUser(admin, 'app', `${STORE_ACL} ${STORE_ACL_DURABILITY.replicas}`)
      await aclUser(admin, 'nowait', STORE_ACL)
      const options = { replicas: 1, replicaTimeoutMs: 20 }
      // (Without +info ioredis skips its ready check, logging it: not under test here.)
      const io = { enableReadyCheck: false }
      const store = new RedisBudgets(await open(kind, server.port, { username: 'app', password: 'secret', io }), options)
      await expect(store.charge('k', 'calls', 1, { createWith: DECL })).rejects.toMatchObject({ code: 'NOT_REPLICATED', applied: true })
      const without = new RedisBudgets(await open(kind, server.port, { username: 'nowait', password: 'secret', io }), options)
      await expect(without.charge('k', 'calls', 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/NOPERM.*'wait'/) })
      expect((await aclLog(admin)).filter((e) => !HANDSHAKE.includes(e.denied))).toEqual([{ denied: 'wait', context: 'toplevel' }])
      expect(await new RedisBudgets(admin).spent('k', 'calls')).toBe(2n)
    })

    it(`aof: true needs ${STORE_ACL_DURABILITY.aof} (Valkey 8, WAITAOF): with them a charge continues; without +info or +waitaof, STORE_UNAVAILABLE`, async () => {
      const server = await start(['--appendonly', 'yes'], VALKEY)
      const admin = connect(server.port)
      await aclUser(admin, 'app', `${STORE_ACL} ${STORE_ACL_DURABILITY.aof}`)
      const store = new RedisBudgets(await open(kind, server.port, { username: 'app', password: 'secret' }), { aof: true })
      expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual(CONTINUE)
      expect((await aclLog(admin)).filter((e) => !HANDSHAKE.includes(e.denied))).toEqual([])
      for (const missing of STORE_ACL_DURABILITY.aof.split(' ')) {
        await admin.call('ACL', 'LOG', 'RESET')
        const name = `no-${missing.slice(1)}`
        await aclUser(admin, name, `${STORE_ACL} ${STORE_ACL_DURABILITY.aof.split(' ').filter((r) => r !== missing).join(' ')}`)
        const without = new RedisBudgets(await open(kind, server.port, { username: name, password: 'secret', io: { enableReadyCheck: false } }), { aof: true })
        await expect(without.charge('k', 'calls', 1), missing).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(new RegExp(`NOPERM.*'${missing.slice(1)}'`)) })
        expect((await aclLog(admin)).map((e) => e.denied).filter((d) => d !== 'client|setinfo'), missing).toEqual([missing.slice(1)])
      }
      // Without +info the refusal comes before the write; without +waitaof, after it.
      expect(await new RedisBudgets(admin).spent('k', 'calls')).toBe(2n)
    })
  })
})
