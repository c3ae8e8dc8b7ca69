// Leased shared budgets: a holder reserves a chunk of a Redis budget and
// decides charges against it in-process, synchronously, with no I/O.
//
// API shape.
//   `tryCharge(dim, amount)` / `tryChargeMany(charges)` are synchronous: they
//   return a verdict when the local reservation decides it, or `undefined`
//   ("need the store") when it does not fit, the lease has no reservation for
//   a dimension, or the lease's local deadline has passed. They never do I/O.
//   `charge` / `chargeMany` are async: the local decision when there is one,
//   else one script call that reports usage, decides the charge at the store
//   and grants a new reservation. Concurrent refills of one lease are batched:
//   while one is in flight, the others wait for it and retry locally first.
//   `release()` / `[Symbol.asyncDispose]` report usage and return the rest.
//
// Store side (./lease-scripts GRANT, one atomic script): per key, `spent`
// plus each holder's reservation with an expiry. A grant is at most
// limit - spent - lost - reserved(others), and at most an equal share of that
// room among the live holders, so grants shrink toward exact per-charge
// decisions as the budget runs out. Usage is reported on every call.
//
// Guarantees (tested in __test__/redis-lease*.spec.ts):
//   1. Safety: the amounts of all continue/warn charges of a dimension, across
//      holders, never exceed its limit, with holders dying and leases expiring.
//      A holder's reservation that expires unreported is counted as `lost`
//      (it may have been spent) and is never granted again.
//   2. Accounting: after every holder released, the store's spent equals the
//      exact sum of all charges, exhausting ones included.
//   3. Bounded early refusal: a charge is refused while the budget has room
//      only when other holders' reservations (each at most `chunk` plus the
//      charge that asked for it) cover it, plus lost reservations of dead
//      holders: within holders x (chunk + largest charge).
// Warn: a holder reports warn from the first call at which the store's
// spent + lost + reserved (its new grant included) passes the threshold.
// A partitioned holder: its local deadline is its request's send time + ttlMs,
// before the store's expiry; past it every charge goes to the store, which
// fails with STORE_UNAVAILABLE: it never returns continue.

import { checkedAmount, type Amount } from '../amounts'
import { DIMS, dimIndex, type Dim } from '../dims'
import { StoreError } from '../errors'
import { describe } from '../values'
import { EXHAUSTED, VERDICTS, WARN, type Verdict } from '../verdicts'
import { script, type Script } from './client'
import { GRANT } from './lease-scripts'
import { checkpointArgs, unknownDimension } from './store'

export const GRANT_SCRIPT: Script = script(GRANT)

/** What the store hands a lease: its script runner (with the store's timeout and errors). */
export type LeaseCall = (s: Script, keys: readonly string[], args: readonly string[]) => Promise<unknown>

/** Options of `RedisBudgets.lease`. */
export interface LeaseOptions {
  /** Largest reservation asked for per dimension and refill (default 100). */
  readonly chunk?: number | undefined
  /** A reservation's time to live in milliseconds (default 10,000). */
  readonly ttlMs?: number | undefined
  /** This holder's id (default random); no ':'. */
  readonly holder?: string | undefined
  /** Called once before the first grant: creates the budget if absent. */
  readonly ensure?: (() => Promise<unknown>) | undefined
}

const MAX_LEASED = Number.MAX_SAFE_INTEGER
const CONTINUE = VERDICTS[0] as Verdict

interface Local {
  granted: number
  used: number
  warn: boolean
}

function leasedAmount(amount: unknown, entry: number | string, name?: (entry: number | string) => string): number {
  const value = checkedAmount(amount, entry, name)
  if (typeof value !== 'number' || value > MAX_LEASED) {
    throw new RangeError(`a leased budget's amounts must be at most 2^53 - 1, got ${describe(amount)}`)
  }
  return value
}
const AMOUNT = (): string => 'amount'

function positiveInt(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

/** Checkpoint entries as [dim index, amount] pairs, validated by the store's own `checkpointArgs` (as `Budget.chargeMany`). */
function entries(charges: unknown): Array<[number, number]> {
  const args: string[] = []
  const dims = checkpointArgs(charges, args)
  return dims.map((dim, i) => {
    const text = args[2 * i + 1] ?? ''
    const value = Number(text)
    if (!Number.isSafeInteger(value)) throw new RangeError(`a leased budget's amounts must be at most 2^53 - 1, got ${text}`)
    return [dim, value]
  })
}

// `Symbol.asyncDispose` as esnext.disposable and @types/node declare it
// (the same declaration, so they merge), for projects whose `lib` has
// neither, as ../budget does for `Symbol.dispose`.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol
  }
}

/**
 * A holder's lease on a shared budget: the charging surface of `Budget`,
 * decided locally while the reservation lasts. Create with `store.lease()`.
 */
export class LeasedBudget {
  readonly key: string
  readonly holder: string
  readonly #keys: readonly string[]
  readonly #call: LeaseCall
  readonly #chunk: number
  readonly #ttl: number
  #ensure: (() => Promise<unknown>) | undefined
  readonly #local = new Map<number, Local>()
  readonly #charged = new Map<number, number>()
  #deadline = 0
  #inflight: Promise<unknown> | undefined
  #released = false
  /** Script calls made (round trips to the store). */
  refills = 0

  constructor(key: string, redisKey: string, call: LeaseCall, options?: LeaseOptions) {
    this.key = key
    this.#keys = [redisKey, `${redisKey}:ls`]
    this.#call = call
    const o = (options ?? {}) as Record<string, unknown>
    this.#chunk = positiveInt(o.chunk, 'options.chunk', 100)
    this.#ttl = positiveInt(o.ttlMs, 'options.ttlMs', 10_000)
    const holder = o.holder === undefined ? `h${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` : o.holder
    if (typeof holder !== 'string' || holder.length === 0 || holder.includes(':')) {
      throw new TypeError(`options.holder must be a non-empty string without ':', got ${describe(holder)}`)
    }
    this.holder = holder
    this.#ensure = o.ensure as (() => Promise<unknown>) | undefined
  }

  /** Decides locally, or `undefined` when the store must decide (no I/O either way). */
  tryCharge(dim: Dim, amount: Amount): Verdict | undefined {
    const index = dimIndex(dim, 'dim')
    const value = leasedAmount(amount, 0, AMOUNT)
    return this.#try([[index, value]])
  }

  /** Decides a checkpoint locally (all entries fit), or `undefined`. */
  tryChargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | undefined {
    return this.#try(entries(charges))
  }

  /** The local verdict, or one store call that decides it and refills. */
  charge(dim: Dim, amount: Amount): Verdict | Promise<Verdict> {
    const index = dimIndex(dim, 'dim')
    const list: Array<[number, number]> = [[index, leasedAmount(amount, 0, AMOUNT)]]
    return this.#try(list) ?? this.#refill(list)
  }

  chargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | Promise<Verdict> {
    const list = entries(charges)
    return this.#try(list) ?? this.#refill(list)
  }

  /** What this holder has charged to `dim` (every verdict counted), `0` if never. */
  spent(dim: Dim): number {
    return this.#charged.get(dimIndex(dim, 'dim')) ?? 0
  }

  /** What is left of this holder's local reservation on `dim`. */
  remaining(dim: Dim): number {
    const local = this.#local.get(dimIndex(dim, 'dim'))
    return local === undefined || Date.now() >= this.#deadline ? 0 : local.granted - local.used
  }

  #try(list: ReadonlyArray<readonly [number, number]>): Verdict | undefined {
    if (this.#released) throw new StoreError('NO_BUDGET', `the lease on ${describe(this.key)} was released`)
    if (Date.now() >= this.#deadline) return undefined
    let warn = -1
    for (const [dim, amount] of list) {
      const local = this.#local.get(dim)
      if (local === undefined || local.used + amount > local.granted) return undefined
      if (local.warn && warn < 0) warn = dim
    }
    for (const [dim, amount] of list) {
      const local = this.#local.get(dim) as Local
      local.used += amount
      this.#charged.set(dim, (this.#charged.get(dim) ?? 0) + amount)
    }
    return warn < 0 ? CONTINUE : (VERDICTS[WARN + warn] as Verdict)
  }

  async #refill(list: ReadonlyArray<readonly [number, number]>): Promise<Verdict> {
    while (this.#inflight !== undefined) {
      await this.#inflight.catch(() => undefined)
      const local = this.#try(list)
      if (local !== undefined) return local
    }
    const call = this.#grant(list, false)
    this.#inflight = call
    try {
      return await call
    } finally {
      this.#inflight = undefined
    }
  }

  async #grant(list: ReadonlyArray<readonly [number, number]>, release: boolean): Promise<Verdict> {
    if (this.#ensure !== undefined) {
      await this.#ensure()
      this.#ensure = undefined
    }
    // One triple per dimension: every held one (its usage is reported) and the pending ones.
    const order: number[] = []
    const pending = new Map<number, number>()
    for (const [dim, amount] of list) {
      if (!pending.has(dim)) order.push(dim)
      pending.set(dim, (pending.get(dim) ?? 0) + amount)
    }
    for (const dim of this.#local.keys()) if (!pending.has(dim)) order.push(dim)
    const args = [this.holder, String(this.#ttl), release ? '1' : '0', String(this.#chunk)]
    for (const dim of order) {
      args.push(DIMS[dim] as Dim, String(this.#local.get(dim)?.used ?? 0), String(pending.get(dim) ?? 0))
    }
    const sentAt = Date.now()
    this.refills++
    const reply = await this.#call(GRANT_SCRIPT, this.#keys, args)
    // An error reply changed nothing at the store: local usage stays to be reported.
    if (reply === -1) throw new StoreError('NO_BUDGET', `no budget exists at key ${describe(this.key)} (never created, deleted or expired)`)
    if (reply === -2) throw new RangeError(`the budget at ${describe(this.key)} has a limit above 2^53 - 1: it cannot be leased`)
    if (typeof reply === 'number' && reply <= -3) throw unknownDimension(order[-3 - reply] ?? 0)
    if (!Array.isArray(reply) || reply.length !== 1 + 2 * order.length) {
      throw new Error(`budgetkernel: unexpected reply from the lease script (${describe(reply)})`)
    }
    // The reply is in: the usage it reported is the store's now.
    for (const dim of order) {
      const local = this.#local.get(dim)
      if (local !== undefined) local.used = 0
    }
    const code = Number(reply[0])
    for (let i = 0; i < order.length; i++) {
      const dim = order[i] as number
      const granted = Number(reply[1 + i])
      const p = pending.get(dim) ?? 0
      this.#charged.set(dim, (this.#charged.get(dim) ?? 0) + p)
      if (release) continue
      // A fitting pending charge is taken out of the new grant.
      this.#local.set(dim, { granted, used: code > 0 && code % 2 === 0 ? 0 : p, warn: Number(reply[1 + order.length + i]) === 1 })
    }
    this.#deadline = sentAt + this.#ttl
    if (code === 0) return CONTINUE
    const dim = order[(code - 1) >> 1] as number
    return VERDICTS[(code & 1) === 1 ? WARN + dim : EXHAUSTED + dim] as Verdict
  }

  /** Reports usage and returns the unused reservation; the lease refuses afterwards. */
  async release(): Promise<void> {
    if (this.#released) return
    while (this.#inflight !== undefined) await this.#inflight.catch(() => undefined)
    if (this.#local.size > 0) await this.#grant([], true)
    this.#local.clear()
    this.#released = true
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }
}
