// Model-based test of the lease script (GRANT) against a real redis-server:
// fast-check drives holders that grant, charge locally within their grant,
// renew with a pending charge, die (their expiry is set into the past; a
// later holder in their slot has a new id, as a new lease has), come back
// late (expired, alive, reporting at their next call) and release; after
// every step the three guarantees of ts/lib/redis/lease.ts are checked
// against the model's exact totals (safety also for what live holders may
// still approve locally within their grants), and `lost` is exactly the
// reservations of the dead.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GRANT } from '../lib/redis/lease-scripts.js'
import { useRedis } from './redis-server.js'

const HOLDERS = 4

type Step =
  | { op: 'local'; h: number; amount: number }
  | { op: 'call'; h: number; pending: number; want: number }
  | { op: 'expire'; h: number }
  | { op: 'late'; h: number }
  | { op: 'release'; h: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('local' as const), h: fc.nat(HOLDERS - 1), amount: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ op: fc.constant('call' as const), h: fc.nat(HOLDERS - 1), pending: fc.integer({ min: 0, max: 15 }), want: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('expire' as const), h: fc.nat(HOLDERS - 1) }),
  fc.record({ op: fc.constant('late' as const), h: fc.nat(HOLDERS - 1) }),
  fc.record({ op: fc.constant('release' as const), h: fc.nat(HOLDERS - 1) }),
)

describe('lease script, model-based', () => {
  const redis = useRedis()

  it('never approves past the limit, accounts exactly, refuses early by at most holders x chunk', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.array(step, { minLength: 1, maxLength: 60 }), async (limit, steps) => {
        const key = `bk:{model-${run++}}`
        const leases = `${key}:ls`
        await redis.io.hset(key, 'tokens', '0', 'tokens:limit', String(limit))
        const granted = Array<number>(HOLDERS).fill(0)
        const used = Array<number>(HOLDERS).fill(0)
        const live = Array<boolean>(HOLDERS).fill(false)
        // Expired but alive: decides nothing locally, reports its usage at its next call.
        const late = Array<boolean>(HOLDERS).fill(false)
        const generation = Array<number>(HOLDERS + 1).fill(0)
        let approved = 0
        let charged = 0
        let deadUsed = 0
        let deadReserved = 0
        const call = async (h: number, release: boolean, pending: number, want: number): Promise<[number, number]> => {
          const reply = String(await redis.io.eval(GRANT, 2, key, leases, '60000', `h${h}.${generation[h]}`, '60000', release ? '1' : '0', String(want), 'tokens', String(used[h] ?? 0), String(pending))).split(' ')
          if (h < HOLDERS) late[h] = false
          if (h < HOLDERS) used[h] = 0
          return [Number(reply[0]), Number(reply[1])]
        }
        for (const s of steps) {
          if (s.op === 'local') {
            // A holder charges locally only within its live grant.
            if (live[s.h] && !late[s.h] && (used[s.h] as number) + s.amount <= (granted[s.h] as number)) {
              used[s.h] = (used[s.h] as number) + s.amount
              approved += s.amount
              charged += s.amount
            }
          } else if (s.op === 'call') {
            // Before the call, what the budget still has by the kernel's count, and the others' outstanding reservations.
            const [verdict, grant] = await call(s.h, false, s.pending, s.want)
            // (Every expired holder is purged by any call: lost minus their usage is the reservations written off unused.)
            const lostUnused = Number((await redis.io.hget(key, 'tokens:lost')) ?? '0') - deadUsed
            // Written off: exactly the reservations of the dead and of the late (this caller, if late, took its own back).
            const lateReserved = granted.reduce((sum, g, h) => sum + (late[h] === true && h !== s.h ? g : 0), 0)
            expect(Number((await redis.io.hget(key, 'tokens:lost')) ?? '0')).toBe(deadReserved + lateReserved)
            const room = limit - charged - lostUnused
            charged += s.pending
            if (verdict === 0) {
              approved += s.pending
              expect(grant).toBeGreaterThanOrEqual(s.pending)
              expect(grant - s.pending).toBeLessThanOrEqual(s.want)
              granted[s.h] = grant
              used[s.h] = s.pending
              live[s.h] = true
            } else {
              expect(verdict).toBe(2)
              expect(grant).toBe(0)
              // 3. Bounded early refusal: refused with room left only by the others' reservations (each at most a chunk, 20, plus the charge that asked, 15).
              if (s.pending <= room) expect(room - s.pending).toBeLessThan((HOLDERS - 1) * (20 + 15) + 1)
              granted[s.h] = 0
              live[s.h] = false
            }
          } else if (s.op === 'expire') {
            if (live[s.h]) {
              // The holder dies: its unreported usage is never reported; its reservation expires (a late one's already has).
              if (!late[s.h]) await redis.io.hset(leases, `h${s.h}.${generation[s.h]}`, '1')
              deadUsed += used[s.h] as number
              deadReserved += granted[s.h] as number
              generation[s.h] = (generation[s.h] as number) + 1
              live[s.h] = false
              late[s.h] = false
              granted[s.h] = 0
              used[s.h] = 0
            }
          } else if (s.op === 'late') {
            if (live[s.h] && !late[s.h]) {
              // Partitioned past its TTL but alive: its reservation expires; it keeps its usage to report.
              await redis.io.hset(leases, `h${s.h}.${generation[s.h]}`, '1')
              late[s.h] = true
            }
          } else if (live[s.h]) {
            await call(s.h, true, 0, 1)
            live[s.h] = false
            granted[s.h] = 0
          }
          // 1. Safety after every step, of what was approved and of what was granted: a live
          // holder (not late) may still approve the rest of its grant locally, without asking.
          expect(approved).toBeLessThanOrEqual(limit)
          const approvable = granted.reduce((sum, g, h) => sum + (live[h] === true && late[h] !== true ? g - (used[h] as number) : 0), 0)
          expect(approved + approvable).toBeLessThanOrEqual(limit)
        }
        // Everyone still live releases; one more call purges the expired.
        for (let h = 0; h < HOLDERS; h++) if (live[h]) await call(h, true, 0, 1)
        await call(HOLDERS, true, 0, 1)
        const spent = Number(await redis.io.hget(key, 'tokens'))
        const lost = Number((await redis.io.hget(key, 'tokens:lost')) ?? '0')
        // Left: only the dead holders' tombstones (negative holder fields and their written-off amounts).
        const left = await redis.io.hgetall(leases)
        for (const [field, value] of Object.entries(left)) if (!field.includes(':')) expect(Number(value)).toBeLessThan(0)
        // 2. Accounting: spent is every reported charge; what dead holders used unreported is inside `lost`,
        // which is exactly their reservations (late holders took back what they did not use).
        expect(spent).toBe(charged - deadUsed)
        expect(lost).toBe(deadReserved)
        expect(lost).toBeGreaterThanOrEqual(deadUsed)
        expect(approved).toBeLessThanOrEqual(limit)
      }),
      { numRuns: 300 },
    )
  }, 120_000)
})
