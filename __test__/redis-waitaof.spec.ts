// `{ aof: true }` (WAITAOF, Redis 7.2+) against a real server that has it:
// Valkey 8.0.1 (INFO redis_version 7.2.4), which scripts/valkey.sh (run by
// `.ci/run`) unpacks from Debian bookworm-backports into
// ~/.cache/budgetkernel/valkey-8.0.1, or VALKEY_SERVER (Homebrew's, Alpine's
// in CI). Missing, the suite fails, never skips (Debian
// 12's redis-server is 7.0, where redis-durability.spec.ts shows the
// refusal). On ioredis and node-redis 6: exactly one `WAITAOF 1 <replicas>
// <replicaTimeoutMs>` after each write on the connection that wrote it and
// none after a read (MONITOR); a replica without AOF is NOT_REPLICATED with
// the charge on the primary; a server without AOF is a typed refusal before
// anything is sent, or NOT_REPLICATED with applied: true when its AOF is
// switched off later.

import { homedir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisBudgets } from '../redis.js'
import { CLIENTS, RedisServer, replicating, type ClientKind } from './redis-server.js'

const VALKEY = process.env.VALKEY_SERVER ?? path.join(homedir(), '.cache/budgetkernel/valkey-8.0.1/usr/bin/valkey-server')
const KINDS = CLIENTS.filter((k) => k.name.startsWith('ioredis ') || k.name.startsWith('node-redis 6.'))
const DECL = [{ dim: 'calls', limit: 1_000_000 }] as const

const servers: RedisServer[] = []
const clients: Redis[] = []
const closes: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closes.splice(0)) await close()
  for (const c of clients.splice(0)) c.disconnect()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})
async function start(args: readonly string[] = []): Promise<RedisServer> {
  const s = await RedisServer.start(args, VALKEY)
  servers.push(s)
  return s
}
function connect(port: number): Redis {
  const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  clients.push(c)
  return c
}
async function open(kind: ClientKind, port: number) {
  const opened = await kind.open(port)
  closes.push(opened.close)
  return opened.client
}
const waitaofCalls = async (c: Redis) => Number(/cmdstat_waitaof:calls=(\d+)/.exec(await c.info('commandstats'))?.[1] ?? 0)

it('KINDS holds ioredis and node-redis 6, and the server is Valkey reporting Redis 7.2+', async () => {
  expect(KINDS.map((k) => k.name.split(' ')[0])).toEqual(['ioredis', 'node-redis'])
  const server = await start()
  const info = await connect(server.port).info('server')
  const redis = /redis_version:(\d+)\.(\d+)/.exec(info)
  expect(Number(redis?.[1]) * 100 + Number(redis?.[2])).toBeGreaterThanOrEqual(702)
  expect(info).toMatch(/^valkey_version:\d+\./m)
  console.log(`waitaof: ${/valkey_version:(\S+)/.exec(info)?.[1]} (redis_version ${redis?.[1]}.${redis?.[2]})`)
})

for (const kind of KINDS) {
  describe(kind.name, () => {
    for (const fsync of ['always', 'everysec']) {
      it(`appendonly yes, appendfsync ${fsync}: writes succeed, each followed by exactly one WAITAOF 1 0 <replicaTimeoutMs> on its connection, reads by none`, async () => {
        const server = await start(['--appendonly', 'yes', '--appendfsync', fsync])
        const io = connect(server.port)
        // everysec fsyncs once a second: WAITAOF waits for it, so a generous timeout.
        const store = new RedisBudgets(await open(kind, server.port), { aof: true, replicaTimeoutMs: 3000 })
        await store.snapshot('none')
        const monitor = await connect(server.port).monitor()
        const seen: Array<{ args: string[]; source: string }> = []
        monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args: args.slice(0, 4), source }))
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['create', () => store.create('k', DECL, { requestId: 'c' })],
          ['charge', () => store.charge('k', 'calls', 2)],
          ['chargeMany with createWith', () => store.chargeMany('lazy', { calls: 3 }, { createWith: DECL, requestId: 'm' })],
          ['reset', () => store.reset('lazy')],
          ['delete', () => store.delete('lazy')],
        ]
        const results: unknown[] = []
        for (const [, write] of writes) results.push(await write())
        expect(results[1]).toEqual({ kind: 'continue' })
        expect(results[2]).toEqual({ kind: 'continue' })
        expect(await store.spent('k', 'calls')).toBe(2n)
        expect(await store.remaining('k', 'calls')).toBe(999_998n)
        expect(await store.snapshot('lazy')).toBeUndefined()
        await connect(server.port).echo('monitor-caught-up')
        while (!seen.some((c) => c.args[0]?.toUpperCase() === 'ECHO')) await new Promise((r) => setTimeout(r, 10))
        monitor.disconnect()
        const calls = seen
          .filter((c) => c.source !== 'lua' && ['EVALSHA', 'EVAL', 'WAIT', 'WAITAOF'].includes(c.args[0]?.toUpperCase() ?? ''))
          .filter((c, i, all) => !(c.args[0]?.toUpperCase() === 'EVAL' && all[i - 1]?.args[0]?.toUpperCase() === 'EVALSHA' && all[i - 1]?.source === c.source))
        const names = calls.map((c) => c.args[0]?.toUpperCase())
        expect(names).toEqual([...writes.flatMap(() => ['EVALSHA', 'WAITAOF']), 'EVALSHA', 'EVALSHA', 'EVALSHA'])
        for (const [i, call] of calls.entries()) {
          if (call.args[0]?.toUpperCase() !== 'WAITAOF') continue
          expect(call.args.slice(1), writes[(i - 1) / 2]?.[0]).toEqual(['1', '0', '3000'])
          expect(call.source).toBe(calls[i - 1]?.source)
        }
        expect(await waitaofCalls(io)).toBe(writes.length)
      })
    }

    it('replicas: 1 with a replica that has AOF: acknowledged; its AOF switched off: NOT_REPLICATED with applied: true, the charge on the primary', async () => {
      const primary = await start(['--appendonly', 'yes', '--appendfsync', 'always', '--repl-diskless-sync-delay', '0'])
      const replica = await start(['--replicaof', '127.0.0.1', String(primary.port), '--appendonly', 'yes', '--appendfsync', 'always'])
      const pio = connect(primary.port)
      const rio = connect(replica.port)
      await replicating(primary.port)
      const store = new RedisBudgets(await open(kind, primary.port), { replicas: 1, aof: true, replicaTimeoutMs: 3000 })
      expect(await store.charge('k', 'calls', 5, { createWith: DECL })).toEqual({ kind: 'continue' })
      expect(await new RedisBudgets(rio).spent('k', 'calls')).toBe(5n)
      await rio.config('SET', 'appendonly', 'no')
      const short = new RedisBudgets(await open(kind, primary.port), { replicas: 1, aof: true, replicaTimeoutMs: 200 })
      const error = await short.charge('k', 'calls', 7).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'StoreError', code: 'NOT_REPLICATED', applied: true, message: expect.stringContaining('1 local and 0 replica AOF fsyncs of 1') })
      expect(await new RedisBudgets(pio).spent('k', 'calls')).toBe(12n)
      expect(await waitaofCalls(pio)).toBe(2)
    })

    it('aof: true on a server with appendonly no: STORE_UNAVAILABLE naming appendonly on every call, nothing sent', async () => {
      const server = await start()
      const io = connect(server.port)
      const store = new RedisBudgets(await open(kind, server.port), { aof: true })
      for (const call of [() => store.charge('k', 'calls', 1, { createWith: DECL }), () => store.create('k', DECL)]) {
        await expect(call()).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', message: expect.stringContaining('appendonly yes') })
      }
      expect(await io.dbsize()).toBe(0)
      expect(await waitaofCalls(io)).toBe(0)
    })

    it('AOF switched off after the first-use check: the write is NOT_REPLICATED with applied: true and says the server has no AOF; the charge is there', async () => {
      const server = await start(['--appendonly', 'yes', '--appendfsync', 'always'])
      const io = connect(server.port)
      const store = new RedisBudgets(await open(kind, server.port), { aof: true })
      expect(await store.charge('k', 'calls', 1, { createWith: DECL })).toEqual({ kind: 'continue' })
      await io.config('SET', 'appendonly', 'no')
      const error = await store.charge('k', 'calls', 4).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'StoreError', code: 'NOT_REPLICATED', applied: true, message: expect.stringMatching(/no AOF \(appendonly no\).*appendonly is disabled/) })
      expect(await store.spent('k', 'calls')).toBe(5n)
    })
  })
}
