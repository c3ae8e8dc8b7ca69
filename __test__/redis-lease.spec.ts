// Leased budgets against a real redis-server: 8 holder processes charge one
// key at local speed; the three guarantees of ts/lib/redis/lease.ts are
// asserted (safety, accounting, bounded early refusal), and warn, also with
// two holders killed with SIGKILL mid-run while the budget still has room,
// each right after approving the whole rest of its reservation unreported
// (the worst a dead holder can do), before the survivors alone run it out.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ENGINE } from '../index.js'
import { RedisBudgets } from '../redis.js'
import { useRedis } from './redis-server.js'

const WORKER = path.join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'lease-charger.cjs')
const HOLDERS = 8
const COUNT = 10_000
const CHUNK = 100
/** The largest charge the worker sends. */
const LARGEST = 5
/** What one holder charges in all: 10,000 charges cycling through 1..5. */
const DEMAND = (COUNT / 5) * 15
/** The engine the holders' local kernels must run on: the one BUDGETKERNEL_ENGINE names, else the main entry's own choice (same files, same environment). */
const EXPECTED_ENGINE = process.env.BUDGETKERNEL_ENGINE === 'wasm' || process.env.BUDGETKERNEL_ENGINE === 'native' ? process.env.BUDGETKERNEL_ENGINE : ENGINE

interface Outcome {
  approved: number
  all: number
  refused: number
  warned: number
  warnedAmount: number
  refills: number
  native: boolean
  wasm: boolean
}

/** What a killed holder had written: its approved (and of that, continue) and its charged running totals. */
interface Killed {
  killed: true
  approved: number
  continued: number
  charged: number
}

/**
 * Runs one holder. With `killAt`, it writes its running totals, and once it
 * has charged `killAt` it approves the rest of its reservation locally and
 * is killed (SIGKILL): resolves the last totals it wrote. Otherwise
 * resolves its final outcome.
 */
function holder(port: number, key: string, seed: number, killAt?: number): Promise<Outcome | Killed> {
  return new Promise((resolve, reject) => {
    const args = killAt === undefined ? ['0'] : ['1', String(killAt)]
    const child = spawn(process.execPath, [WORKER, String(port), key, String(COUNT), String(CHUNK), String(seed), ...args])
    let out = ''
    let err = ''
    let partial = ''
    let approved = 0
    let continued = 0
    let charged = 0
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      out += text
      if (killAt === undefined) return
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('a ')) [approved, continued] = line.slice(2).split(' ').map(Number) as [number, number]
        else if (line.startsWith('c ')) charged = Number(line.slice(2))
        else if (line === 'k' && child.exitCode === null && !child.killed) child.kill('SIGKILL')
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const lines = out.trim().split('\n')
      if (signal === 'SIGKILL') resolve({ killed: true, approved, continued, charged })
      else if (code === 0) resolve(JSON.parse(lines[lines.length - 1] ?? '') as Outcome)
      else reject(new Error(`holder ${seed} exited ${code} (${signal}): ${err}`))
    })
  })
}

const sum = <T>(list: readonly T[], of: (item: T) => number): number => list.reduce((s, item) => s + of(item), 0)

describe('leased budget: 8 processes x 10,000 charges on one key', () => {
  const redis = useRedis()
  let store: RedisBudgets
  beforeAll(() => {
    store = new RedisBudgets(redis.io)
  })

  // killed = 0: the limit is below the 8 holders' demand (240,000).
  // killed = 2: the two run first, to a quarter of their run (the budget far
  // from its limit), use up their last reservations unreported and are
  // killed; then the 6 survivors, who alone charge more than the limit
  // (180,000), run it out with the dead holders' reservations in play. (Run
  // all at once, a late start of the two could let the survivors exhaust the
  // budget first, leaving them nothing to die holding.)
  for (const { killed, limit, warn } of [
    { killed: 0, limit: 200_000, warn: 150_000 },
    { killed: 2, limit: 150_000, warn: 110_000 },
  ]) {
    it(`safety, accounting, bounded early refusal and warn with ${killed} holders killed`, async () => {
      const key = `lease-${killed}`
      const killAt = DEMAND / 4
      expect((HOLDERS - killed) * DEMAND).toBeGreaterThan(limit)
      await store.create(key, [{ dim: 'tokens', limit, warn }])
      const port = redis.server.port
      const first = await Promise.all(Array.from({ length: killed }, (_, i) => holder(port, key, i, killAt)))
      const results = [...first, ...(await Promise.all(Array.from({ length: HOLDERS - killed }, (_, i) => holder(port, key, killed + i))))]
      const done = results.filter((r): r is Outcome => !('killed' in r))
      const dead = results.filter((r): r is Killed => 'killed' in r)
      expect(dead).toHaveLength(killed)
      // Killed mid-run: after the kill point, long before the end of their run, and (they ran first)
      // while the budget had room for every charge they made.
      for (const d of dead) {
        expect(d.charged).toBeGreaterThanOrEqual(killAt)
        expect(d.charged).toBeLessThan(DEMAND)
        expect(d.approved).toBe(d.charged)
      }
      // Every local kernel ran on the engine BUDGETKERNEL_ENGINE picks, and only that one was loaded.
      for (const r of done) expect({ native: r.native, wasm: r.wasm }).toEqual({ native: EXPECTED_ENGINE === 'native', wasm: EXPECTED_ENGINE === 'wasm' })
      expect(done.every((r) => r.all === DEMAND)).toBe(true)
      if (killed > 0) {
        // Past the TTL, a call writes the dead holders' reservations off to `lost`, keeping their
        // holder fields as tombstones (negative: minus the time until which they are kept).
        await new Promise((resolve) => setTimeout(resolve, 2_100))
        const probe = store.lease(key, { chunk: 1 })
        await probe.charge('tokens', 0)
        await probe.release()
      }
      const left = Object.entries(await redis.io.hgetall(`bk:{${key}}:ls`)).filter(([field]) => !field.includes(':'))
      const approved = sum(done, (r) => r.approved) + sum(dead, (r) => r.approved)
      const charged = sum(done, (r) => r.all)
      const refused = sum(done, (r) => r.refused)
      const spent = Number(await store.spent(key, 'tokens'))
      const lost = Number((await redis.io.hget(`bk:{${key}}`, 'tokens:lost')) ?? '0')
      const continued = sum(done, (r) => r.approved - r.warnedAmount) + sum(dead, (d) => d.continued)
      const refills = sum(done, (r) => r.refills)
      // What other holders may hold when a charge is refused: each a chunk plus the charge that asked for it.
      const bound = (HOLDERS - 1) * (CHUNK + LARGEST) + LARGEST
      console.log(
        `lease 8x10k, ${killed} killed (engine ${EXPECTED_ENGINE}): approved ${approved} of limit ${limit}, early room left ${limit - approved} (bound lost ${lost} + ${bound}), ` +
          `spent ${spent} (survivors charged ${charged}, dead charged ${sum(dead, (d) => d.charged)}, dead approved ${sum(dead, (d) => d.approved)}), continue ${continued} of warn ${warn}, refills ${refills} of which ${refused} decided refusals`,
      )
      // (Soft from here: a run that breaks several of these shows every one of them.)
      // The survivors ran the budget out: the store refused some of their charges.
      expect.soft(charged).toBeGreaterThan(limit)
      expect.soft(refused).toBeGreaterThan(0)
      // 1. Safety: approvals (the killed holders' included) never pass the limit.
      expect.soft(approved).toBeLessThanOrEqual(limit)
      // 2. Accounting: every survivor's charge is in spent, exhausting ones included; the dead
      // holders' reported usage too, never more than they charged (their unreported usage is in `lost`).
      const deadCharged = sum(dead, (d) => d.charged)
      expect.soft(spent).toBeGreaterThanOrEqual(charged)
      expect.soft(spent).toBeLessThanOrEqual(charged + deadCharged)
      // The dead holders' last reservations, each at most a chunk plus the charge that asked for it,
      // are written off whole; they used all of them and reported everything before: so spent is
      // exactly all charges but those.
      if (killed === 0) expect.soft(lost).toBe(0)
      else {
        expect.soft(lost).toBeGreaterThan(0)
        expect.soft(lost).toBeLessThanOrEqual(killed * (CHUNK + LARGEST))
      }
      expect.soft(spent).toBe(charged + deadCharged - lost)
      // 3. Bounded early refusal: at the first refusal, spent (approved charges only, all of them
      // written by their holders) + lost + others' reservations + the refused charge passed the limit.
      expect.soft(approved).toBeGreaterThanOrEqual(limit - lost - bound)
      // Here the dead holders approved all of their reservations, lost or still reserved at that
      // refusal: the room left is within the live others' reservations alone.
      expect.soft(approved).toBeGreaterThanOrEqual(limit - bound)
      // Warn: a charge approved as continue lies in a reservation granted while spent + lost +
      // reserved (that grant included) was within the threshold, so all of them together are too.
      // And every approval reported before the first warn-flagged grant is continue: they come
      // within a grant (at most a chunk plus the asking charge), the others' reservations, lost
      // and a refused charge of the threshold.
      expect.soft(continued).toBeLessThanOrEqual(warn)
      expect.soft(continued).toBeGreaterThanOrEqual(warn - lost - bound - CHUNK - LARGEST)
      // The dead holders' entries are tombstones now (negative: minus the time until which they
      // are kept, in case their holder reports late); the survivors' were released.
      expect.soft(left).toHaveLength(killed)
      for (const [, value] of left) expect.soft(Number(value)).toBeLessThan(0)
      // Leases cut round trips: far fewer script calls than charges (a refused charge is decided at the store, one call each).
      expect.soft(refills - refused).toBeLessThan(((HOLDERS - killed) * COUNT) / 10)
    }, 120_000)
  }
})
