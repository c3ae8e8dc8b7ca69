// Leased budgets against a real redis-server: 8 holder processes charge one
// key at local speed; the three guarantees of ts/lib/redis/lease.ts are
// asserted exactly (safety, accounting, bounded early refusal), also with two
// holders killed with SIGKILL mid-run.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { RedisBudgets } from '../redis.js'
import { useRedis } from './redis-server.js'

const WORKER = path.join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'lease-charger.cjs')
const HOLDERS = 8
const COUNT = 10_000
const CHUNK = 100

interface Outcome {
  approved: number
  all: number
  refused: number
  warned: number
  refills: number
}

/** Runs one holder; resolves its final outcome, or (killed) the last approved running total it printed. */
function holder(port: number, key: string, seed: number, killAfterReady: boolean): Promise<Outcome | { killed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, String(port), key, String(COUNT), String(CHUNK), String(seed), killAfterReady ? '1' : '0'])
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      if (killAfterReady && out.includes('ready\n') && child.exitCode === null) {
        setTimeout(() => child.kill('SIGKILL'), 20)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const lines = out.trim().split('\n')
      if (signal === 'SIGKILL') {
        const last = lines.filter((l) => l.startsWith('a ')).pop()
        resolve({ killed: last === undefined ? 0 : Number(last.slice(2)) })
      } else if (code === 0) resolve(JSON.parse(lines[lines.length - 1] ?? '') as Outcome)
      else reject(new Error(`holder ${seed} exited ${code}: ${err}`))
    })
  })
}

describe('leased budget: 8 processes x 10,000 charges on one key', () => {
  const redis = useRedis()
  let store: RedisBudgets
  beforeAll(() => {
    store = new RedisBudgets(redis.io)
  })

  for (const killed of [0, 2]) {
    it(`safety, accounting and bounded early refusal with ${killed} holders killed`, async () => {
      const key = `lease-${killed}`
      const limit = 200_000
      await store.create(key, [{ dim: 'tokens', limit, warn: 150_000 }])
      const results = await Promise.all(Array.from({ length: HOLDERS }, (_, i) => holder(redis.server.port, key, i, i < killed)))
      const done = results.filter((r): r is Outcome => !('killed' in r))
      const dead = results.filter((r): r is { killed: number } => 'killed' in r)
      expect(dead).toHaveLength(killed)
      const approved = done.reduce((s, r) => s + r.approved, 0) + dead.reduce((s, r) => s + r.killed, 0)
      const charged = done.reduce((s, r) => s + r.all, 0)
      const spent = Number(await store.spent(key, 'tokens'))
      // 1. Safety: approvals (the killed holders' included) never pass the limit.
      expect(approved).toBeLessThanOrEqual(limit)
      if (killed === 0) {
        // 2. Accounting: the store's spent is every charge applied, exhausting ones included.
        expect(spent).toBe(charged)
        // 3. Bounded early refusal: the room left unused is at most the others' reservations
        // (a chunk plus the asking charge, at most 5, each) plus the refused charge itself.
        expect(limit - approved).toBeLessThanOrEqual((HOLDERS - 1) * (CHUNK + 5) + 5)
        expect(charged).toBeGreaterThan(limit)
        // Leases cut round trips: far fewer script calls than charges.
        // (A refused charge is decided at the store, one call each.)
        const refills = done.reduce((s, r) => s + r.refills, 0)
        const refused = done.reduce((s, r) => s + r.refused, 0)
        expect(refills - refused).toBeLessThan((HOLDERS * COUNT) / 10)
        console.log(`lease 8x10k: approved ${approved} of limit ${limit}, early room left ${limit - approved} (bound ${(HOLDERS - 1) * (CHUNK + 5) + 5}), refills ${refills} of which ${refused} decided refusals`)
      } else {
        // Survivors' charges are all in spent; the dead holders' reported usage too, never more than they charged plus a chunk.
        expect(spent).toBeGreaterThanOrEqual(charged)
        // Past the TTL, any call purges the dead holders' reservations: written off, bounded by a chunk each,
        // and kept as tombstones (a negative holder field) in case their holder reports late.
        await new Promise((resolve) => setTimeout(resolve, 2_100))
        const probe = store.lease(key, { chunk: 1 })
        await probe.charge('tokens', 0)
        await probe.release()
        const left = Object.entries(await redis.io.hgetall(`bk:{${key}}:ls`)).filter(([field]) => !field.includes(':'))
        expect(left).toHaveLength(killed)
        for (const [, value] of left) expect(Number(value)).toBeLessThan(0)
        const lost = Number(await redis.io.hget(`bk:{${key}}`, 'tokens:lost') ?? '0')
        expect(lost).toBeGreaterThan(0)
        // (A reservation is at most a chunk plus the charge that asked for it: 5 at most here.)
        expect(lost).toBeLessThanOrEqual(killed * (CHUNK + 5))
        console.log(`lease 8x10k, ${killed} killed: approved ${approved} of ${limit}, lost reservations ${lost}`)
      }
    }, 120_000)
  }
})
