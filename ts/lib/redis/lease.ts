// Leased shared budgets: a holder reserves a chunk of a Redis budget and
// decides charges against it in-process, synchronously, with no I/O.
//
// API shape.
//   `tryCharge(dim, amount)` / `tryChargeMany(charges)` are synchronous: they
//   return a verdict when the local reservation decides it, or `undefined`
//   ("need the store") when it does not fit, the lease has no reservation for
//   a dimension, a store call is in flight or in doubt, or the lease's local
//   deadline has passed. They never do I/O.
//   `charge` / `chargeMany` are async: the local decision when there is one,
//   else one script call that reports usage, decides the charge at the store
//   and grants a new reservation. Concurrent refills of one lease are batched:
//   while one is in flight, the others wait for it and retry locally first.
//   `release()` / `[Symbol.asyncDispose]` report usage and return the rest.
//
// Local decisions are the kernel's. Each grant builds an in-process kernel
// `Budget` (on whichever engine is loaded, ../engine) that declares every
// dimension the lease holds with limit 1 + reservation and, when the grant
// reported the warn threshold passed, warn 0; one unit is charged at once.
// So the kernel's headroom is exactly the reservation, its warn rule
// (spent > warn) fires on every charge, zero polls included, from such a
// grant on, and the verdict of a local charge or checkpoint (which entry
// warns, the worst of several, saturation) is the kernel's own. A local
// `exhausted` only means "beyond this reservation", never "beyond the
// budget": the lease then asks the store, which decides the charge with
// every holder's reservation in view, and until the next grant the lease
// decides nothing locally (the kernel counted the refused charge, which is
// not this holder's usage: usage is the sum of the charges it approved or
// sent to the store). After the store answered exhausted (it grants nothing
// then) or NO_BUDGET, nothing is decided locally either, not even a poll of
// 0: the next charge goes to the store, whose answer is the kernel's.
// Usage totals are exact bigints (exhausting charges count; a checkpoint's
// sum may pass 2^53); what is sent saturates at 2^64 - 1, as spent does.
//
// Store side (./lease-scripts GRANT, one atomic script): per key, `spent`
// plus each holder's reservation with an expiry. A grant is at most
// limit - spent - lost - reserved(others), and at most an equal share of that
// room among the live holders, so grants shrink toward exact per-charge
// decisions as the budget runs out. Usage is reported on every call.
//
// Holders: the store keys a reservation by holder id and this lease's random
// instance (`HOLDER#INSTANCE`), so a process restarted under the same holder
// id never takes over (returns as its own) the reservation its predecessor
// may have used before it died: that one expires and is written off.
//
// Request ids: every script call carries a fresh request id (the store's
// mechanism, ./scripts `request`): its result is kept for the store's
// `requestTtlMs`. A call that fails without an answer (STORE_UNAVAILABLE:
// it may or may not have run) leaves the lease in doubt: it decides nothing
// locally and its next store call first resends the same request, whose
// usage report and pending charge are therefore applied once.
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
// A partitioned holder: its local deadline is its request's first send time
// + ttlMs, before the store's expiry; past it every charge goes to the store,
// which fails with STORE_UNAVAILABLE: it never returns continue.

import { randomBytes } from 'node:crypto'
import { checkedAmount, MAX_U64, type Amount } from '../amounts'
import { bindEngine, type Budget } from '../budget'
import { DIMS, dimIndex, type Dim } from '../dims'
import { anyEngine } from '../engine'
import { StoreError } from '../errors'
import { describe } from '../values'
import { EXHAUSTED, VERDICTS, WARN, isExhausted, type Verdict } from '../verdicts'
import { script, type Script } from './client'
import { ExhaustionSignal } from '../signal'
import { GRANT } from './lease-scripts'
import { checkpointArgs, unknownDimension, type Declaration } from './store'

export const GRANT_SCRIPT: Script = script(GRANT)

/** What the store hands a lease: its script runner (with the store's timeout and errors) and its request ids. */
export interface LeaseStore {
  readonly call: (s: Script, keys: readonly string[], args: readonly string[]) => Promise<unknown>
  /** The Redis key of request id `id` in the budget's slot. */
  readonly requestKey: (id: string) => string
  /** How long a request's result is kept (ms, decimal): the store's `requestTtlMs`. */
  readonly requestTtl: string
  /** Called once before the first grant: creates the budget if absent. */
  readonly ensure?: (() => Promise<unknown>) | undefined
}

/** Options of `RedisBudgets.lease`. */
export interface LeaseOptions {
  /** Largest reservation asked for per dimension and refill (default 100). */
  readonly chunk?: number | undefined
  /** A reservation's time to live in milliseconds (default 10,000). */
  readonly ttlMs?: number | undefined
  /** This holder's id (default random); no ':'. */
  readonly holder?: string | undefined
  /** Creates the budget with this declaration (if absent) before the first grant; an existing budget is used as it is. */
  readonly createWith?: Declaration | undefined
  /** The time to live of a budget `createWith` creates (default none). */
  readonly createTtlMs?: number | undefined
}

const MAX_LEASED = Number.MAX_SAFE_INTEGER
const CONTINUE = VERDICTS[0] as Verdict

/** An amount as the lease script takes it: a decimal of at most 2^64 - 1 (a larger sum saturates there, as spent does). */
function u64(value: bigint): string {
  return String(value > MAX_U64 ? MAX_U64 : value)
}

/** The kernel's Budget class on the loaded engine, bound once (the local decisions' kernel). */
let kernelBudget: typeof Budget | undefined
function localKernel(): typeof Budget {
  kernelBudget ??= bindEngine(anyEngine()).Budget
  return kernelBudget
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

/** One script call of a lease, kept whole so that a call in doubt is resent exactly. */
interface Request {
  readonly keys: readonly string[]
  readonly args: readonly string[]
  readonly order: readonly number[]
  readonly used: readonly bigint[]
  readonly pending: ReadonlyMap<number, bigint>
  readonly release: boolean
  readonly sentAt: number
}

// `Symbol.asyncDispose` as esnext.disposable and @types/node declare it
// (the same declaration, so they merge), for projects whose `lib` has
// neither, as ../budget does for `Symbol.dispose`. `AbortSignal` (the type
// of `signal`) likewise: an empty declaration merges with the DOM library's
// or @types/node's, and names the type where a project has neither.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol
  }
  interface AbortSignal {}
}

/**
 * A holder's lease on a shared budget: the charging surface of `Budget`,
 * decided locally by the in-process kernel while the reservation lasts.
 * Create with `store.lease()`.
 */
export class LeasedBudget {
  readonly key: string
  readonly holder: string
  readonly #keys: readonly string[]
  readonly #store: LeaseStore
  readonly #chunk: number
  readonly #ttl: number
  /** This lease's instance: with the holder id, its name at the store (`HOLDER#INSTANCE`) and its request ids' prefix. */
  readonly #nonce = randomBytes(9).toString('base64url')
  #sequence = 0
  #ensure: (() => Promise<unknown>) | undefined
  /** The kernel budget of the current reservation (see the header), or none. */
  #budget: Budget | undefined
  /** Bit `d` set: the reservation holds dimension `d`. */
  #held = 0
  /**
   * Local decisions allowed: a reservation, no store call in flight or in
   * doubt, no local refusal since the grant, and the store's last answer was
   * a grant (not exhausted, not NO_BUDGET).
   */
  #open = false
  /**
   * Everything this holder charged per dimension (every verdict), and what of
   * it the store has: exact bigints, since exhausting charges count and a
   * checkpoint's sum may pass 2^53.
   */
  readonly #charged: bigint[] = DIMS.map(() => 0n)
  readonly #reported: bigint[] = DIMS.map(() => 0n)
  #deadline = 0
  #inflight: Promise<unknown> | undefined
  /** A call that failed without an answer: resent before any other. */
  #doubt: Request | undefined
  #released = false
  /** `signal` (../signal): its AbortController is made only when `signal` is read. */
  readonly #exhaustion = new ExhaustionSignal()
  /** Script calls made (round trips to the store). */
  refills = 0

  /** @internal Use `store.lease()`. */
  constructor(key: string, redisKey: string, store: LeaseStore, options?: Pick<LeaseOptions, 'chunk' | 'ttlMs' | 'holder'>) {
    this.key = key
    this.#keys = [redisKey, `${redisKey}:ls`]
    this.#store = store
    const o = (options ?? {}) as Record<string, unknown>
    this.#chunk = positiveInt(o.chunk, 'options.chunk', 100)
    this.#ttl = positiveInt(o.ttlMs, 'options.ttlMs', 10_000)
    const holder = o.holder === undefined ? `h${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` : o.holder
    if (typeof holder !== 'string' || holder.length === 0 || holder.includes(':')) {
      throw new TypeError(`options.holder must be a non-empty string without ':', got ${describe(holder)}`)
    }
    this.holder = holder
    this.#ensure = store.ensure
  }

  /** Decides locally, or `undefined` when the store must decide (no I/O either way). */
  tryCharge(dim: Dim, amount: Amount): Verdict | undefined {
    const index = dimIndex(dim, 'dim')
    const value = leasedAmount(amount, 0, AMOUNT)
    return this.#tryOne(index, value)
  }

  /** Decides a checkpoint locally (the kernel approves it within the reservation), or `undefined`. */
  tryChargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | undefined {
    return this.#tryMany(entries(charges))
  }

  /** The local verdict, or one store call that decides it and refills. */
  charge(dim: Dim, amount: Amount): Verdict | Promise<Verdict> {
    const index = dimIndex(dim, 'dim')
    const value = leasedAmount(amount, 0, AMOUNT)
    return this.#tryOne(index, value) ?? this.#refill([[index, value]])
  }

  chargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | Promise<Verdict> {
    const list = entries(charges)
    return this.#tryMany(list) ?? this.#refill(list)
  }

  /** What this holder has charged to `dim` (every verdict counted), `0` if never; a number, exact up to 2^53 - 1. */
  spent(dim: Dim): number {
    return Number(this.#charged[dimIndex(dim, 'dim')] ?? 0n)
  }

  /** What is left of this holder's local reservation on `dim` (the local kernel's headroom). */
  remaining(dim: Dim): number {
    const index = dimIndex(dim, 'dim')
    if (!this.#open || (this.#held & (1 << index)) === 0 || Date.now() >= this.#deadline) return 0
    return Number((this.#budget as Budget).remaining(DIMS[index] as Dim) ?? 0n)
  }

  /** Whether the kernel may decide now (released leases throw). */
  #local(): boolean {
    if (this.#released) throw new StoreError('NO_BUDGET', `the lease on ${describe(this.key)} was released`)
    return this.#open && Date.now() < this.#deadline
  }

  #tryOne(index: number, value: number): Verdict | undefined {
    if (!this.#local() || (this.#held & (1 << index)) === 0) return undefined
    const verdict = (this.#budget as Budget).charge(DIMS[index] as Dim, value)
    if (isExhausted(verdict)) {
      // Beyond the reservation: the store decides; nothing more locally until the next grant.
      this.#open = false
      return undefined
    }
    this.#charged[index] = (this.#charged[index] as bigint) + BigInt(value)
    return verdict
  }

  #tryMany(list: ReadonlyArray<readonly [number, number]>): Verdict | undefined {
    if (!this.#local()) return undefined
    const pairs: Array<[Dim, number]> = []
    for (const [dim, amount] of list) {
      if ((this.#held & (1 << dim)) === 0) return undefined
      pairs.push([DIMS[dim] as Dim, amount])
    }
    const verdict = (this.#budget as Budget).chargeMany(pairs)
    if (isExhausted(verdict)) {
      this.#open = false
      return undefined
    }
    for (const [dim, amount] of list) this.#charged[dim] = (this.#charged[dim] as bigint) + BigInt(amount)
    return verdict
  }

  async #refill(list: ReadonlyArray<readonly [number, number]>): Promise<Verdict> {
    while (this.#inflight !== undefined) {
      await this.#inflight.catch(() => undefined)
      const local = this.#tryMany(list)
      if (local !== undefined) return local
    }
    const call = this.#grant(list, false)
    this.#inflight = call
    let verdict: Verdict
    try {
      verdict = await call
    } finally {
      this.#inflight = undefined
    }
    // Only the store says exhausted (a local refusal is a question to it): that aborts `signal`.
    if (verdict.kind === 'exhausted') this.#exhaustion.trip(verdict.dim)
    return verdict
  }

  /**
   * An AbortSignal that aborts, with a `BudgetExhaustedError` naming the
   * dimension, the first time a charge of this lease returns `exhausted`
   * (as `Budget.signal`; made on first read). Local refusals beyond the
   * reservation are not verdicts and do not abort it.
   */
  get signal(): AbortSignal {
    return this.#exhaustion.signal
  }

  async #grant(list: ReadonlyArray<readonly [number, number]>, release: boolean): Promise<Verdict> {
    if (this.#ensure !== undefined) {
      await this.#ensure()
      this.#ensure = undefined
    }
    // A call in doubt first: its usage report and pending charge apply once.
    if (this.#doubt !== undefined) {
      await this.#send(this.#doubt)
      const local = release ? undefined : this.#tryMany(list)
      if (local !== undefined) return local
    }
    // One triple per dimension: every held one (its usage is reported) and the pending ones.
    const order: number[] = []
    const pending = new Map<number, bigint>()
    for (const [dim, amount] of list) {
      if (!pending.has(dim)) order.push(dim)
      pending.set(dim, (pending.get(dim) ?? 0n) + BigInt(amount))
    }
    for (let dim = 0; dim < DIMS.length; dim++) {
      if ((this.#held & (1 << dim)) !== 0 && !pending.has(dim)) order.push(dim)
    }
    const id = `${this.#nonce}.${(this.#sequence++).toString(36)}`
    const args = [this.#store.requestTtl, `${this.holder}#${this.#nonce}`, String(this.#ttl), release ? '1' : '0', String(this.#chunk)]
    const used: bigint[] = []
    for (const dim of order) {
      const u = (this.#charged[dim] as bigint) - (this.#reported[dim] as bigint)
      used.push(u)
      args.push(DIMS[dim] as Dim, u64(u), u64(pending.get(dim) ?? 0n))
    }
    const keys = [...this.#keys, this.#store.requestKey(id)]
    return this.#send({ keys, args, order, used, pending, release, sentAt: Date.now() })
  }

  /** Sends (or resends) one call and applies its answer; without an answer, the call stays in doubt. */
  async #send(request: Request): Promise<Verdict> {
    // The store drops this holder's reservation when the call runs: nothing more is decided against it.
    this.#open = false
    this.refills++
    let reply: unknown
    try {
      reply = await this.#store.call(GRANT_SCRIPT, request.keys, request.args)
    } catch (error) {
      this.#doubt = request
      throw error
    }
    this.#doubt = undefined
    const { order, pending, used, release } = request
    // An error reply changed nothing at the store: the reservation and the usage to report stay.
    if (typeof reply === 'number') {
      if (reply === -1) {
        // No budget at the key: nothing is decided locally any more (the next charge asks the store,
        // as a plain charge would); the usage stays to report if a budget is created there again.
        throw new StoreError('NO_BUDGET', `no budget exists at key ${describe(this.key)} (never created, deleted or expired)`)
      }
      this.#open = this.#budget !== undefined && !release
      if (reply === -2) throw new StoreError('REQUEST_ID_CONFLICT', `the lease's request id was already used for another call on ${describe(this.key)}; nothing was applied`)
      if (reply <= -20) throw new RangeError(`the budget at ${describe(this.key)} has a ${DIMS[order[-20 - reply] ?? 0] ?? ''} limit above 2^53 - 1: it cannot be leased`)
      if (reply <= -3) throw unknownDimension(order[-3 - reply] ?? 0)
    }
    const fields = typeof reply === 'string' ? reply.split(' ') : []
    if (fields.length !== 1 + 2 * order.length) {
      throw new Error(`budgetkernel: unexpected reply from the lease script (${describe(reply)})`)
    }
    const code = Number(fields[0])
    const fits = code === 0 || code % 2 === 1
    // The reply is in: the usage it reported is the store's now, and so is a refused pending charge
    // (applied to spent); a fitting one is inside the new reservation, reported by the next call.
    const Kernel = localKernel()
    const builder = Kernel.builder()
    const charges: Array<[Dim, bigint]> = []
    let held = 0
    for (let i = 0; i < order.length; i++) {
      const dim = order[i] as number
      const p = pending.get(dim) ?? 0n
      this.#reported[dim] = (this.#reported[dim] as bigint) + (used[i] as bigint) + (fits ? 0n : p)
      this.#charged[dim] = (this.#charged[dim] as bigint) + p
      const name = DIMS[dim] as Dim
      const limit = BigInt(fields[1 + i] as string) + 1n
      if (fields[1 + order.length + i] === '1') builder.limitWithWarn(name, limit, 0)
      else builder.limit(name, limit)
      charges.push([name, 1n + (fits ? p : 0n)])
      held |= 1 << dim
    }
    this.#budget?.release()
    this.#budget = undefined
    this.#held = 0
    // After the store's exhausted nothing is decided locally (it granted nothing, and a poll of 0
    // must be exhausted, as the kernel and the plain store say): the next charge asks the store.
    if (!release && fits && held !== 0) {
      const budget = builder.build()
      budget.chargeMany(charges)
      this.#budget = budget
      this.#held = held
      this.#deadline = request.sentAt + this.#ttl
      this.#open = true
    }
    if (code === 0) return CONTINUE
    const dim = order[(code - 1) >> 1] as number
    return VERDICTS[(code & 1) === 1 ? WARN + dim : EXHAUSTED + dim] as Verdict
  }

  /** Reports usage and returns the unused reservation; the lease refuses afterwards. */
  async release(): Promise<void> {
    if (this.#released) return
    while (this.#inflight !== undefined) await this.#inflight.catch(() => undefined)
    if (this.#held !== 0 || this.#doubt !== undefined) {
      const call = this.#grant([], true)
      this.#inflight = call
      try {
        await call
      } finally {
        this.#inflight = undefined
      }
    }
    this.#budget?.release()
    this.#budget = undefined
    this.#held = 0
    this.#open = false
    this.#released = true
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }
}
