// Faults: what a shared budget must survive, on every client library
// (./redis-server.ts CLIENTS). Each test prints its counts (acknowledged,
// lost, double-applied) for the record.
//
//   - kill -9 and a restart with appendfsync always, under a load of
//     checkpoints retried with their request ids;
//   - a TCP proxy (./tcp-proxy) that forwards commands, drops the replies,
//     then cuts the socket: ioredis resends what the server already executed, node-redis
//     rejects it (and the application retries);
//   - an outage longer than timeoutMs: STORE_UNAVAILABLE within timeoutMs + 100 ms;
//   - maxmemory with noeviction: a checkpoint applies whole or is refused;
//   - eviction under volatile-lru (allowEviction: true): which budgets and
//     stored results it dropped, and what retries then do (each evicted
//     budget re-created at zero, each evicted stored result charged again).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisBudgets, StoreError } from '../redis.js'
import { answeringPid, forEachClient, RedisServer } from './redis-server.js'
import { TcpProxy } from './tcp-proxy.js'

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

/** A loopback TCP proxy in front of a server (./tcp-proxy), closed after the test. */
async function proxyTo(target: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(target)
  cleanups.push(() => proxy.close())
  return proxy
}

forEachClient((kind) => {
  for (const fsync of ['always', 'everysec'] as const) describe(`kill -9 and restart (AOF, appendfsync ${fsync}) under load with retries`, () => {
    it(fsync === 'always' ? 'every acknowledged checkpoint is present, none is applied twice' : 'count what is lost (everysec may acknowledge a write before it is written to the AOF, so only double-applies are asserted), none is applied twice', async () => {
      const server = await start(['--appendonly', 'yes', '--appendfsync', fsync])
      const open = await kind.open(server.port, { io: { maxRetriesPerRequest: null, retryStrategy: () => 20 } })
      cleanups.push(open.close)
      const store = new RedisBudgets(open.client, { timeoutMs: 500 })
      await store.create('durable', [
        { dim: 'calls', limit: 1_000_000 },
        { dim: 'tokens', limit: 1_000_000_000 },
      ])
      const total = 1500
      let next = 0
      let acknowledged = 0
      let retries = 0
      let lastError = 'none'
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
              lastError = String(error)
              expect(error).toBeInstanceOf(StoreError)
              expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
              retries++
              await sleep(20)
            }
          }
        }
      }
      // A lane that fails (an unexpected error) ends the test at once, with its error, instead of stalling the progress wait below.
      let failure: unknown
      const load = Promise.all(Array.from({ length: 32 }, lane)).catch((error: unknown) => {
        failure ??= error
      })
      // Kills are triggered by progress, not by a timer, so that each one
      // lands while 32 checkpoints are in flight however fast the machine is:
      // at a quarter, a half and three quarters of the load. No progress for
      // 30 s fails with what the lanes saw.
      let kills = 0
      let last = acknowledged
      let since = Date.now()
      /** Resolves when `done()` holds; throws a lane's failure, or after 30 s without an acknowledgement, with what the lanes saw. */
      const progress = async (done: () => boolean, phase: string) => {
        while (!done()) {
          if (failure !== undefined) throw failure
          if (acknowledged !== last) [last, since] = [acknowledged, Date.now()]
          if (Date.now() - since > 30_000) {
            const owner = await answeringPid(server.port).then((pid) => `as pid ${pid}`, (error: unknown) => `no: ${String(error)}`)
            throw new Error(`no progress for 30 s ${phase}: ${acknowledged} acknowledged, ${retries} retries, last error: ${lastError}; a server on the port answers ${owner} (ours: pid ${server.pid})`)
          }
          await sleep(1)
        }
      }
      let finished = false
      void load.then(() => {
        finished = true
      })
      while (kills < 3) {
        await progress(() => next >= ((kills + 1) * total) / 4, `before kill ${kills + 1}`)
        await server.kill9()
        kills++
        // Down for longer than timeoutMs: the callers' timeouts fire and they
        // retry with the same ids while ioredis also resends the originals.
        await sleep(800)
        await server.restart()
        since = Date.now()
      }
      await progress(() => finished, 'after the last restart')
      await load
      if (failure !== undefined) throw failure
      const calls = await store.spent('durable', 'calls')
      const tokens = await store.spent('durable', 'tokens')
      console.log(`${kind.name}: kill -9 x${kills}, appendfsync ${fsync}: ${acknowledged} acknowledged, ${retries} retries, spent calls ${calls}, lost ${BigInt(acknowledged) - (calls ?? 0n)}, tokens ${tokens} (expected ${expectedTokens})`)
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

  describe(`replies dropped after execution, then the socket cut (${kind.resendsWritten ? 'the client resends what it had written' : 'the client rejects what it had written'})`, () => {
    async function run(withRequestIds: boolean): Promise<{ sent: number; spent: bigint; errors: number; retried: bigint }> {
      const server = await start()
      const proxy = await proxyTo(server.port)
      const open = await kind.open(proxy.port, { io: { retryStrategy: () => 10 } })
      cleanups.push(open.close)
      const store = new RedisBudgets(open.client, { timeoutMs: 5000 })
      await store.create('resend', [{ dim: 'calls', limit: 1_000_000 }])
      // A poll first: it loads the script (EVALSHA answers NOSCRIPT once, and
      // a dropped NOSCRIPT reply would hold the charges back from the server).
      await store.charge('resend', 'calls', 0)
      const sent = 32
      proxy.drop('replies')
      const options = (i: number) => (withRequestIds ? { requestId: `drop-${i}` } : undefined)
      const pending = Array.from({ length: sent }, (_, i) =>
        store.charge('resend', 'calls', 1, options(i)).then(
          () => 0,
          (error: unknown) => {
            expect(error).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE' })
            return 1
          },
        ),
      )
      // Let the server execute all of them (its replies go nowhere), then cut.
      const direct = new Redis(server.port, '127.0.0.1')
      cleanups.push(() => direct.disconnect())
      for (let i = 0; i < 100 && (await direct.hget('bk:{resend}', 'calls')) !== String(sent); i++) await sleep(10)
      expect(await direct.hget('bk:{resend}', 'calls')).toBe(String(sent))
      proxy.forward()
      proxy.cut()
      const failed = await Promise.all(pending)
      const errors = failed.reduce((a: number, b) => a + b, 0)
      const spent = (await store.spent('resend', 'calls')) ?? 0n
      // What the application does with a failed charge: retry it (with its request id, if it had one).
      for (const [i, f] of failed.entries()) if (f === 1) await store.charge('resend', 'calls', 1, options(i))
      const retried = (await store.spent('resend', 'calls')) ?? 0n
      return { sent, spent, errors, retried }
    }

    it('with requestId: every charge is applied once, whether the client resends it or the application retries it', async () => {
      const { sent, spent, errors, retried } = await run(true)
      console.log(`${kind.name}: drop+cut with requestId: ${sent} sent, ${sent - errors} acknowledged, ${errors} failed and retried, spent ${retried}, double-applied ${retried - BigInt(sent)}`)
      expect(errors).toBe(kind.resendsWritten ? 0 : sent)
      expect(spent).toBe(BigInt(sent))
      expect(retried).toBe(BigInt(sent))
    }, 60_000)

    it(kind.resendsWritten
      ? 'without requestId: the resend double-charges and the application sees no error (what the docs warn about)'
      : 'without requestId: every charge fails although the server applied it, so the retry double-charges (what the docs warn about)', async () => {
      const { sent, spent, errors, retried } = await run(false)
      console.log(`${kind.name}: drop+cut without requestId: ${sent} sent, ${sent - errors} acknowledged, ${errors} failed and retried, spent ${retried}, double-applied ${retried - BigInt(sent)}`)
      expect(errors).toBe(kind.resendsWritten ? 0 : sent)
      expect(spent).toBe(BigInt(kind.resendsWritten ? 2 * sent : sent))
      expect(retried).toBe(BigInt(2 * sent))
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

    it('a server that stops answering (connections accepted, nothing replied): STORE_UNAVAILABLE within timeoutMs + 100 ms', async () => {
      const server = await start()
      const proxy = await proxyTo(server.port)
      const open = await kind.open(proxy.port)
      cleanups.push(open.close)
      {
        const store = new RedisBudgets(open.client, { timeoutMs })
        await store.create('outage', [{ dim: 'calls', limit: 10 }])
      }
      // Connections accepted (the old ones cut, the client's new ones too), nothing answered.
      proxy.drop()
      proxy.cut()
      {
        const store = new RedisBudgets(open.client, { timeoutMs })
        for (const call of [() => store.charge('outage', 'calls', 1, { requestId: 'o' }), () => store.snapshot('outage')]) {
          const { ms, error } = await timed(call())
          console.log(`${kind.name} outage: STORE_UNAVAILABLE after ${ms.toFixed(0)} ms (timeoutMs ${timeoutMs})`)
          expect(error).toBeInstanceOf(StoreError)
          expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
          expect(ms).toBeLessThan(timeoutMs + 100)
        }
      }
    }, 60_000)

    it('a killed server: STORE_UNAVAILABLE within timeoutMs + 100 ms although the client would hold the command (ioredis: about 70 s)', async () => {
      const server = await start()
      const open = await kind.open(server.port)
      cleanups.push(open.close)
      const store = new RedisBudgets(open.client, { timeoutMs })
      await store.create('down', [{ dim: 'calls', limit: 10 }])
      await server.kill9()
      const { ms, error } = await timed(store.charge('down', 'calls', 1))
      console.log(`${kind.name}: killed server: STORE_UNAVAILABLE after ${ms.toFixed(0)} ms`)
      expect((error as StoreError).code).toBe('STORE_UNAVAILABLE')
      expect(ms).toBeLessThan(timeoutMs + 100)
    }, 60_000)
  })

  describe('maxmemory with noeviction', () => {
    it('every checkpoint applies whole or is refused (STORE_UNAVAILABLE, OOM), never half', async () => {
      const server = await start(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'])
      const io = new Redis(server.port, '127.0.0.1')
      cleanups.push(() => io.disconnect())
      const open = await kind.open(server.port)
      cleanups.push(open.close)
      const store = new RedisBudgets(open.client)
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
      console.log(`${kind.name}: maxmemory: ${applied} applied, ${refused} refused, ${whole} lazy budgets whole, 0 half; existing calls ${existing?.dims.calls?.spent} tokens ${existing?.dims.tokens?.spent}`)
      expect(applied).toBeGreaterThan(0)
      expect(refused).toBeGreaterThan(0)
      expect(whole).toBeGreaterThanOrEqual(applied)
      expect(existing?.dims.tokens?.spent).toBe(2n * (existing?.dims.calls?.spent ?? -1n))
    }, 120_000)
  })

  describe('eviction (maxmemory-policy volatile-lru, allowEviction: true): what the guard protects against', () => {
    it('counts what eviction drops and what that does: each evicted budget is re-created at zero, each evicted stored result is charged again', async () => {
      const server = await start(['--maxmemory', '2mb', '--maxmemory-policy', 'volatile-lru'])
      const io = new Redis(server.port, '127.0.0.1')
      cleanups.push(() => io.disconnect())
      const open = await kind.open(server.port)
      cleanups.push(open.close)
      await expect(new RedisBudgets(open.client).chargeMany('w0', { calls: 1 })).rejects.toMatchObject({ code: 'UNSAFE_EVICTION_POLICY' })
      const store = new RedisBudgets(open.client, { allowEviction: true })
      const createWith = [{ dim: 'calls', limit: 1 }] as const
      const ttlMs = 3_600_000
      const windows = 200
      // Even windows have a ttl; odd ones have none, as a permanent budget:
      // volatile-lru cannot evict those, but their stored results (which
      // always have a ttl) it can.
      const options = (i: number) => ({ createWith, ...(i % 2 === 0 ? { ttlMs } : {}) })
      const budgetKey = (i: number) => store.redisKey(`w${i}`)
      const resultKey = (i: number) => `${budgetKey(i)}:rq:first-${i}`
      const evictedKeys = async () => Number(/evicted_keys:(\d+)/.exec(await io.info('stats'))?.[1])
      // 200 exhausted windows: a first charge with its request id, then one
      // more that is refused (and counted: spent 2 of limit 1).
      for (let i = 0; i < windows; i++) {
        expect(await store.chargeMany(`w${i}`, { calls: 1 }, { ...options(i), requestId: `first-${i}` })).toEqual({ kind: 'continue' })
        expect(await store.chargeMany(`w${i}`, { calls: 1 }, options(i))).toEqual({ kind: 'exhausted', dim: 'calls' })
      }
      // Each budget and its stored result are there, and nothing else: a key missing later was evicted.
      for (let i = 0; i < windows; i++) {
        expect(await io.hget(budgetKey(i), 'calls')).toBe('2')
        expect(await io.pttl(budgetKey(i)) > 0).toBe(i % 2 === 0)
        expect(await io.pttl(resultKey(i))).toBeGreaterThan(0)
      }
      expect(await io.dbsize()).toBe(2 * windows)
      expect(await evictedKeys()).toBe(0)
      // Other keys with a ttl fill the memory: volatile-lru evicts among every key with a ttl, budgets and stored results included.
      const filler = 'x'.repeat(10_000)
      const fillers = 600
      for (let i = 0; i < fillers; i++) await io.set(`cache:${i}`, filler, 'PX', ttlMs)
      // Then no more eviction, so that the retries below meet exactly the state counted here.
      await io.config('SET', 'maxmemory', '0')
      const before: Array<{ spent: string | null; stored: boolean }> = []
      for (let i = 0; i < windows; i++) before.push({ spent: await io.hget(budgetKey(i), 'calls'), stored: (await io.exists(resultKey(i))) === 1 })
      let fillersKept = 0
      for (let i = 0; i < fillers; i++) fillersKept += await io.exists(`cache:${i}`)
      const budgetsEvicted = before.filter((b) => b.spent === null).length
      const resultsEvicted = before.filter((b) => !b.stored).length
      const evicted = await evictedKeys()
      // Every missing key was evicted (none expired, none deleted), and budgets and stored results really were, not only the fillers.
      expect(evicted).toBe(budgetsEvicted + resultsEvicted + (fillers - fillersKept))
      expect(budgetsEvicted).toBeGreaterThan(0)
      expect(resultsEvicted).toBeGreaterThan(0)
      // A budget without a ttl is never evicted under volatile-lru; a surviving budget keeps its spent 2.
      before.forEach((b, i) => {
        if (i % 2 === 1 || b.spent !== null) expect(b.spent).toBe('2')
      })
      // Every window retried with its request id (as after a timeout), then polled (a charge of 0, as the next caller).
      const seen: Array<{ retry: string; afterRetry: string | null; poll: string; afterPoll: string | null }> = []
      for (let i = 0; i < windows; i++) {
        const retry = await store.chargeMany(`w${i}`, { calls: 1 }, { ...options(i), requestId: `first-${i}` })
        const afterRetry = await io.hget(budgetKey(i), 'calls')
        const poll = await store.chargeMany(`w${i}`, { calls: 0 }, options(i))
        seen.push({ retry: retry.kind, afterRetry, poll: poll.kind, afterPoll: await io.hget(budgetKey(i), 'calls') })
      }
      expect(await evictedKeys()).toBe(evicted)
      // Applied again: the retry raised spent (an evicted budget counts from the zero it is re-created at).
      const again = seen.map((s, i) => Number(s.afterRetry ?? 0) - Number(before[i]?.spent ?? 0) === 1)
      const appliedAgain = again.filter(Boolean).length
      const againOnSurvivor = again.filter((a, i) => a && before[i]?.spent !== null).length
      // Re-created at zero: an evicted budget whose spent after the retry and the poll is what they charged (0 or 1), the 2 before eviction gone.
      const recreated = seen.filter((s, i) => before[i]?.spent === null && s.afterPoll === (before[i]?.stored ? '0' : '1')).length
      // Let through: an exhausted window whose poll continues.
      const letThrough = seen.filter((s) => s.poll === 'continue').length
      const cell = (budget: boolean, stored: boolean) => before.filter((b) => (b.spent !== null) === budget && b.stored === stored).length
      console.log(`${kind.name}: eviction (volatile-lru, 2 MB): ${windows} exhausted windows (${windows / 2} without a ttl); evicted ${budgetsEvicted} budgets, ${resultsEvicted} stored results, ${fillers - fillersKept} of ${fillers} fillers (evicted_keys ${evicted}); budget and result kept ${cell(true, true)}, budget kept and result evicted ${cell(true, false)}, budget evicted and result kept ${cell(false, true)}, both evicted ${cell(false, false)}; after a retry with the requestId and a poll: ${recreated} windows re-created at zero (${letThrough} let a charge through again), ${appliedAgain} retries applied again (${againOnSurvivor} of them on a surviving exhausted budget: verdict exhausted, charged all the same)`)
      // Each window did exactly what its evicted keys imply.
      const expected = before.map((b) => {
        if (b.spent !== null && b.stored) return { retry: 'continue', afterRetry: '2', poll: 'exhausted', afterPoll: '2' }
        if (b.spent !== null) return { retry: 'exhausted', afterRetry: '3', poll: 'exhausted', afterPoll: '3' }
        if (b.stored) return { retry: 'continue', afterRetry: null, poll: 'continue', afterPoll: '0' }
        return { retry: 'continue', afterRetry: '1', poll: 'continue', afterPoll: '1' }
      })
      expect(seen).toEqual(expected)
      expect(recreated).toBe(budgetsEvicted)
      expect(letThrough).toBe(budgetsEvicted)
      expect(appliedAgain).toBe(resultsEvicted)
    }, 60_000)
  })
})

// The harness's kill and start-up, which the tests above rely on: a kill -9
// of a server that had already died would prove nothing, and a server that
// dies while starting must say so at once.
describe('the harness (redis-server.ts)', () => {
  it('kill9() of a server that crashed on its own throws, naming the signal; of one already killed, too', async () => {
    const server = await start(['--enable-debug-command', 'local'])
    // DEBUG SEGFAULT: the server crashes (SIGSEGV) and closes the connection without a reply.
    await new Promise<void>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: server.port }, () => socket.write('DEBUG SEGFAULT\r\n'))
      socket.on('data', (chunk) => reject(new Error(`DEBUG SEGFAULT answered ${String(chunk)}`)))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve())
    })
    await expect(server.kill9()).rejects.toThrow(/not running: it was killed by SIGSEGV on its own|was killed by SIGSEGV on its own before the SIGKILL/)
    const other = await start()
    await other.kill9()
    await expect(other.kill9()).rejects.toThrow(/not running \(already killed or stopped\)/)
    // And after a restart it is running again: kill9() works.
    await other.restart()
    await other.kill9()
  }, 30_000)

  it('a server killed by a signal while starting is reported at once with the signal, not as a PING timeout', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bk-fake-redis-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const binary = path.join(dir, 'redis-server')
    // Answers --version (the harness's probe), then kills itself as a crash on start-up would.
    writeFileSync(binary, '#!/bin/sh\n[ "$1" = --version ] && exec echo fake 1.0\nkill -KILL $$\n', { mode: 0o755 })
    const started = performance.now()
    await expect(RedisServer.start([], binary)).rejects.toThrow(/was killed by SIGKILL while starting/)
    expect(performance.now() - started).toBeLessThan(5_000)
  }, 30_000)
})
