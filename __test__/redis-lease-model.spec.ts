// Model-based test of the lease script (GRANT) against a real redis-server:
// fast-check drives holders that grant, charge locally within their grant,
// renew with a pending charge, die (their expiry is set into the past; a
// later holder in their slot has a new id, as a new lease has), come back
// late (expired, alive, reporting at their next call), release, and whose
// tombstones outlive their keep time (set into the past: the next other
// call purges them).
//
// An exact oracle: the model keeps the store's state (spent, lost, every
// holder entry: live, expired, tombstone, purgeable), and before each call
// computes from it, as ts/lib/redis/lease-scripts.ts defines the rule, the
// verdict (continue, warn or exhausted), the grant and the warn flag; the
// reply must be exactly those, and the store's spent and lost exactly the
// model's after every call, and its holder entries at the end of each run.
// On top, the three guarantees of ts/lib/redis/lease.ts are checked in their
// own terms after every step (safety also of what live holders may still
// approve locally within their grants).

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GRANT } from '../lib/redis/lease-scripts.js'
import { useRedis } from './redis-server.js'

const HOLDERS = 4
const MAX_WANT = 20
const MAX_PENDING = 15
const STEPS = 60
const RUNS = 1_000

type Step =
  | { op: 'local'; h: number; amount: number }
  | { op: 'call'; h: number; pending: number; want: number }
  | { op: 'expire'; h: number }
  | { op: 'late'; h: number }
  | { op: 'release'; h: number }
  | { op: 'purge' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('local' as const), h: fc.nat(HOLDERS - 1), amount: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ op: fc.constant('call' as const), h: fc.nat(HOLDERS - 1), pending: fc.integer({ min: 0, max: MAX_PENDING }), want: fc.integer({ min: 1, max: MAX_WANT }) }),
  fc.record({ op: fc.constant('expire' as const), h: fc.nat(HOLDERS - 1) }),
  fc.record({ op: fc.constant('late' as const), h: fc.nat(HOLDERS - 1) }),
  fc.record({ op: fc.constant('release' as const), h: fc.nat(HOLDERS - 1) }),
  fc.constant({ op: 'purge' as const }),
)

/**
 * A holder entry at the store (field `ID` and `ID:tokens` of the leases
 * hash): live (expiry ahead), expired (expiry past, not yet seen by a call),
 * tomb (written off to lost, kept until a time ahead), purge (a tombstone
 * whose keep time passed: the next call of another holder drops it).
 */
interface Entry {
  amount: number
  state: 'live' | 'expired' | 'tomb' | 'purge'
}

/** What the script must answer to one call, and the store after it. */
interface Expected {
  verdict: number
  grant: number
  warn: number
}

/** The store as the script keeps it, and the script's rule on it (lease-scripts.ts GRANT). */
class StoreModel {
  spent = 0
  lost = 0
  readonly entries = new Map<string, Entry>()

  constructor(
    readonly limit: number,
    readonly warn: number | undefined,
  ) {}

  call(id: string, used: number, pending: number, want: number, release: boolean): Expected {
    // The caller's usage since its last call is spent now.
    this.spent += used
    // Others: live reservations count against the room; expired ones are written off to lost
    // (tombstones); tombstones past their keep time are dropped (what they wrote off stays lost).
    let reserved = 0
    let others = 0
    for (const [other, entry] of this.entries) {
      if (other === id) continue
      if (entry.state === 'live') {
        reserved += entry.amount
        others++
      } else if (entry.state === 'expired') {
        this.lost += entry.amount
        entry.state = 'tomb'
      } else if (entry.state === 'purge') this.entries.delete(other)
    }
    // The caller's own old reservation goes back whole (its usage is in `used`): out of lost if it
    // was written off (a tombstone, even one past its keep time that no other call dropped yet).
    const own = this.entries.get(id)
    if (own !== undefined && (own.state === 'tomb' || own.state === 'purge')) this.lost -= own.amount
    this.entries.delete(id)
    let grant = 0
    const fits = this.spent + this.lost + reserved + pending <= this.limit
    if (fits) {
      // At most an equal share of the room among the live holders, this one included.
      const share = Math.floor((this.limit - this.spent - this.lost - reserved - pending) / (others + 1))
      grant = (release ? 0 : Math.min(want, share)) + pending
      if (grant > 0) this.entries.set(id, { amount: grant, state: 'live' })
    } else {
      // A refused charge is applied to spent (the kernel counts exhausting charges).
      this.spent += pending
    }
    const warn = this.warn !== undefined && this.spent + this.lost + reserved + grant > this.warn ? 1 : 0
    return { verdict: fits ? warn : 2, grant, warn }
  }

  /** A holder's expiry set into the past (it died, or it is partitioned past its TTL). */
  expire(id: string): boolean {
    const entry = this.entries.get(id)
    if (entry === undefined || entry.state !== 'live') return false
    entry.state = 'expired'
    return true
  }
}

describe('lease script, model-based', () => {
  const redis = useRedis()

  it('grants, verdicts, warn flags, spent and lost are exactly the model\'s; the three guarantees hold', async () => {
    let run = 0
    let steps = 0
    let calls = 0
    let refusals = 0
    let tight = 0
    let longest = 0
    const started = Date.now()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.option(fc.nat(119), { nil: undefined }),
        fc.array(step, { minLength: 1, maxLength: STEPS, size: 'max' }),
        async (limit, warnAt, script) => {
          const key = `bk:{model-${run++}}`
          const leases = `${key}:ls`
          const warn = warnAt === undefined ? undefined : warnAt % limit
          await redis.io.hset(key, 'tokens', '0', 'tokens:limit', String(limit), ...(warn === undefined ? [] : ['tokens:warn', String(warn)]))
          const store = new StoreModel(limit, warn)
          const granted = Array<number>(HOLDERS).fill(0)
          const used = Array<number>(HOLDERS).fill(0)
          const live = Array<boolean>(HOLDERS).fill(false)
          // Expired but alive: decides nothing locally, reports its usage at its next call.
          const late = Array<boolean>(HOLDERS).fill(false)
          const generation = Array<number>(HOLDERS + 1).fill(0)
          const id = (h: number): string => `h${h}.${generation[h]}`
          let approved = 0
          let charged = 0
          let deadUsed = 0
          // Written off for good: the dead holders' reservations, and those of late holders whose
          // tombstone was dropped (purged) before they came back.
          let deadReserved = 0
          let strandedLate = 0
          /** One script call, checked against the model; returns the script's own verdict and grant. */
          const call = async (h: number, release: boolean, pending: number, want: number): Promise<[number, number]> => {
            const u = h < HOLDERS ? (used[h] as number) : 0
            if (h < HOLDERS && late[h] === true && (granted[h] as number) > 0 && !store.entries.has(id(h))) strandedLate += granted[h] as number
            const expected = store.call(id(h), u, pending, want, release)
            const reply = String(await redis.io.eval(GRANT, 2, key, leases, '60000', id(h), '60000', release ? '1' : '0', String(want), 'tokens', String(u), String(pending)))
            calls++
            expect(reply).toBe(`${expected.verdict} ${expected.grant} ${expected.warn}`)
            const [spent, lost] = await redis.io.hmget(key, 'tokens', 'tokens:lost')
            expect([Number(spent), Number(lost ?? '0')]).toEqual([store.spent, store.lost])
            if (h < HOLDERS) {
              late[h] = false
              used[h] = 0
            }
            return [Number(reply.split(' ')[0]), Number(reply.split(' ')[1])]
          }
          for (const s of script) {
            steps++
            if (s.op === 'local') {
              // A holder charges locally only within its live grant.
              if (live[s.h] && !late[s.h] && (used[s.h] as number) + s.amount <= (granted[s.h] as number)) {
                used[s.h] = (used[s.h] as number) + s.amount
                approved += s.amount
                charged += s.amount
              }
            } else if (s.op === 'call') {
              // What the other holders hold (late ones included), by the holders' own count.
              const othersGranted = granted.reduce((sum, g, h) => sum + (live[h] === true && h !== s.h ? g : 0), 0)
              const othersLive = live.filter((l, h) => l && h !== s.h).length
              const before = charged
              const [verdict, grant] = await call(s.h, false, s.pending, s.want)
              charged += s.pending
              if (verdict !== 2) {
                approved += s.pending
                granted[s.h] = grant
                used[s.h] = s.pending
                live[s.h] = true
              } else {
                refusals++
                // 3. Bounded early refusal, in the holders' terms: refused with room left (the limit
                // minus every charge so far) only when what is written off for good and the other
                // holders' reservations (each at most a chunk, 20, plus the charge that asked, 15) cover it.
                expect(limit - before - s.pending).toBeLessThan(deadReserved + strandedLate + othersGranted)
                expect(othersGranted).toBeLessThanOrEqual(othersLive * (MAX_WANT + MAX_PENDING))
                if (limit - before - s.pending >= 0) tight++
                granted[s.h] = 0
                live[s.h] = false
              }
            } else if (s.op === 'expire') {
              if (live[s.h]) {
                // The holder dies: its unreported usage is never reported; its reservation expires (a late one's already has).
                if (store.expire(id(s.h))) await redis.io.hset(leases, id(s.h), '1')
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
                if (store.expire(id(s.h))) await redis.io.hset(leases, id(s.h), '1')
                late[s.h] = true
              }
            } else if (s.op === 'purge') {
              // Every tombstone's keep time (minus the time until which it is kept) is now past.
              for (const [holder, entry] of store.entries) {
                if (entry.state !== 'tomb') continue
                entry.state = 'purge'
                await redis.io.hset(leases, holder, '-1')
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
          longest = Math.max(longest, script.length)
          // Everyone still live releases; one more call writes off the expired and drops purgeable tombstones.
          for (let h = 0; h < HOLDERS; h++) if (live[h]) await call(h, true, 0, 1)
          await call(HOLDERS, true, 0, 1)
          // The holder entries are exactly the model's: tombstones only (negative holder fields,
          // with their written-off amounts), and the last caller's none.
          const left = await redis.io.hgetall(leases)
          const expected: Record<string, string> = {}
          for (const [holder, entry] of store.entries) {
            expect(entry.state).toBe('tomb')
            expected[`${holder}:tokens`] = String(entry.amount)
          }
          const amounts = Object.fromEntries(Object.entries(left).filter(([field]) => field.includes(':')))
          expect(amounts).toEqual(expected)
          const holders = Object.entries(left).filter(([field]) => !field.includes(':'))
          expect(holders.map(([field]) => field).sort()).toEqual([...store.entries.keys()].sort())
          for (const [, value] of holders) expect(Number(value)).toBeLessThan(0)
          // 2. Accounting: spent is every charge but what dead holders used unreported; that is
          // inside `lost`, which is exactly the reservations of the dead and of late holders whose
          // tombstones were purged before they came back (late holders back in time took theirs back).
          const spent = Number(await redis.io.hget(key, 'tokens'))
          const lost = Number((await redis.io.hget(key, 'tokens:lost')) ?? '0')
          expect(spent).toBe(charged - deadUsed)
          expect(lost).toBe(deadReserved + strandedLate)
          expect(lost).toBeGreaterThanOrEqual(deadUsed)
          expect(approved).toBeLessThanOrEqual(limit)
        },
      ),
      { numRuns: RUNS },
    )
    console.log(
      `lease model: ${RUNS} runs (${run} property evaluations, shrinking included), ${steps} steps (longest run ${longest}), ${calls} script calls, ${refusals} refusals (${tight} of them within the limit by every charge so far), ${Date.now() - started} ms`,
    )
  }, 120_000)
})
