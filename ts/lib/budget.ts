// Budgets and their builder: the classes users hold, over the flat kernel
// API of an engine (./engine: the napi-rs addon or the WebAssembly kernel).
//
// The classes here are written once and run over either engine: each entry
// point binds them to its engine with `bindEngine`, which gives it its own
// `Budget` and `BudgetBuilder` (subclasses of these) and its own
// finalization registry. Verdicts and errors are the shared objects of
// ./verdicts and ./errors whatever the engine.

import { isBigUint64Array, isFloat64Array, isUint8Array } from 'node:util/types'
import { chargeAmountName, checkedAmount, amountRangeError, amountTypeError, toU64, type Amount } from './amounts'
import { DIMS, dimIndex, dimIndexOf, dimTypeError, type Dim } from './dims'
import { BuilderError, CapacityError, ChargeError, ReleasedError } from './errors'
import { ExhaustionSignal, exhaustedDim } from './signal'
import type { Engine } from './engine'
import { describe } from './values'
import { EXHAUSTED, VERDICTS, type Verdict } from './verdicts'

/**
 * The 17 shared verdicts in a plain (unfrozen) array, for the hot path
 * only: V8 reads an element of a frozen array about 5 ns slower than one of
 * an ordinary array (measured in bench/engines.mjs's run, on both engines),
 * which was a third of a wasm `charge()`. Its elements are the frozen
 * `VERDICTS` objects themselves, so a verdict is still `===` the exported
 * one; the array is private to this module and never changes.
 */
const VERDICT_OF: Verdict[] = [...VERDICTS]

/**
 * Turns the binding's last recorded failure into the documented error.
 * `amountName` names the offending amount (given its entry's position), and
 * `amounts`/`dims` let a range error quote the offending value.
 *
 * @internal
 */
export function failure(engine: Engine, amountName: (at: number) => string = () => 'amount', amounts?: ArrayLike<unknown>, dims?: ArrayLike<unknown>): Error {
  const failure = engine.takeError()
  if (failure === null) return new Error('budgetkernel: the engine call failed without a reason (internal error)')
  const dim = failure.dim === undefined || failure.dim === null ? undefined : DIMS[failure.dim]
  const at = failure.index ?? 0
  switch (failure.code) {
    case 'DUPLICATE_DIMENSION':
    case 'WARN_NOT_BELOW_LIMIT':
    case 'ZERO_LIMIT':
    case 'NO_DIMENSIONS':
      return new BuilderError(failure.code, dim, failure.message ?? failure.code)
    case 'UNKNOWN_DIMENSION':
      return new ChargeError(failure.code, dim, failure.message ?? failure.code)
    case 'INVALID_AMOUNT': {
      const value = amounts?.[at]
      return typeof value === 'number' || typeof value === 'bigint'
        ? amountRangeError(value, amountName(at))
        : new RangeError(`${amountName(at)} is not a valid amount`)
    }
    case 'INVALID_DIMENSION':
      return new RangeError(`dims[${at}] must be an index into DIMS (0 to ${DIMS.length - 1}), got ${describe(dims?.[at])}`)
    case 'LENGTH_MISMATCH':
      return new RangeError('dims and amounts must have the same length')
    case 'INVALID_HANDLE':
      // The facade passes only its budgets' own handles, and a released
      // budget's handle is RELEASED, which no slot matches.
      return new ReleasedError()
    case 'TABLE_FULL':
      return new CapacityError()
    default:
      return new Error(`budgetkernel: internal error in the engine (${failure.code})`)
  }
}

// ---------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------

/**
 * What a budget knows of its engine: the engine itself, the registry that
 * frees a budget's kernel state once its `Budget` object is collected
 * (unless `release()` did it first, which unregisters the object; the
 * object is its own unregister token), and the entry's classes, so that a
 * clone is of its original's class.
 */
interface Kernel {
  readonly engine: Engine
  readonly finalizers: FinalizationRegistry<number>
  readonly Budget: new (kernel: Kernel, handle: number, token: symbol) => Budget
  readonly BudgetBuilder: new () => BudgetBuilder
}

/** The kernel of each entry's classes (looked up by constructor, off the hot path). */
const kernels = new WeakMap<object, Kernel>()

function kernelOf(constructor: unknown): Kernel {
  for (let c = constructor; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    const kernel = kernels.get(c)
    if (kernel !== undefined) return kernel
  }
  throw new TypeError("BudgetBuilder must come from the package's entry point (require('budgetkernel') or 'budgetkernel/wasm')")
}

/**
 * The entry-point classes over `engine`: subclasses of {@link Budget} and
 * {@link BudgetBuilder} (each entry's `instanceof` holds only for its own
 * budgets), with their own finalization registry.
 *
 * @internal
 */
export function bindEngine(engine: Engine): { Budget: typeof Budget; BudgetBuilder: typeof BudgetBuilder } {
  const finalizers = new FinalizationRegistry<number>((held) => {
    engine.release(unpack(held))
  })
  // The constructor is private to users, not to the entries.
  const Base = Budget as unknown as new (kernel: Kernel, handle: number, token: symbol) => Budget
  const EngineBudget = class Budget extends Base {}
  const EngineBudgetBuilder = class BudgetBuilder extends BaseBudgetBuilder {}
  const kernel: Kernel = { engine, finalizers, Budget: EngineBudget, BudgetBuilder: EngineBudgetBuilder }
  kernels.set(EngineBudget, kernel)
  kernels.set(EngineBudgetBuilder, kernel)
  // `Budget.builder` works detached from its class, as it always has.
  Object.defineProperty(EngineBudget, 'builder', {
    value: function builder(): BudgetBuilder {
      return new EngineBudgetBuilder()
    },
    writable: true,
    configurable: true,
  })
  return { Budget: EngineBudget as unknown as typeof Budget, BudgetBuilder: EngineBudgetBuilder }
}

// What the registry holds for each budget: its handle, packed into a small
// integer when it fits. V8 keeps a registration's held value reachable from
// the old generation even after `unregister`, until the next full
// collection, so a handle that is a heap number (any handle past the first
// generation of its slot) survived every minor GC: 3M released clones grew
// RSS by ~41 MiB that way (10-18 MiB with small integers). A small integer is no object and keeps nothing
// alive. Packed: -1 - (generation * 2^9 + index) for slot indexes below 2^9
// (handles are generation * 2^32 + index, generation below 2^21, see
// crates/budgetkernel-node/src/table.rs), which stays above -2^30: a small
// integer even where V8 compresses pointers. Other handles are held as they are.
const SLOT = 2 ** 32
const PACKED_SLOTS = 2 ** 9

function pack(handle: number): number {
  const index = handle % SLOT
  return index < PACKED_SLOTS ? -1 - (((handle - index) / SLOT) * PACKED_SLOTS + index) : handle
}

function unpack(held: number): number {
  if (held >= 0) return held
  const packed = -1 - held
  const index = packed % PACKED_SLOTS
  return ((packed - index) / PACKED_SLOTS) * SLOT + index
}

/**
 * The handle of a released budget: no slot matches it (handles are
 * non-negative), so every native call on it fails its handle check and
 * reports INVALID_HANDLE, which `failure` turns into a ReleasedError. The
 * released handle itself is never passed again, so it can never name a
 * later budget that reuses its slot.
 */
const RELEASED = -1

// `Symbol.dispose` as TypeScript 5.2's esnext.disposable library and
// @types/node declare it (the same declaration, so they merge), for
// projects whose `lib` has neither: `Budget[Symbol.dispose]` must type-check
// everywhere. (`using` itself needs one of them for its `Disposable` type.)
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol
  }
}

/** Constructs a budget registered with its kernel's finalization registry. */
const ADOPT: unique symbol = Symbol('budgetkernel.adopt')
/** Constructs a budget of a `run()` scope: never registered, released when the scope ends. */
const SCOPED: unique symbol = Symbol('budgetkernel.scoped')

// ---------------------------------------------------------------------------
// Checkpoints (chargeMany)
// ---------------------------------------------------------------------------
//
// chargeMany reads every entry exactly once (getters run once), validates it
// as it goes, and hands the whole checkpoint to native code in one call,
// where nothing is applied unless every entry is declared. How it crosses
// depends on its size, because a number argument crosses for about 5 ns and
// a typed array for nearly 30:
//
// - up to FEW entries (the usual tokens/millis/calls checkpoint) are kept in
//   local variables and cross as plain arguments (`chargeFew`);
// - larger checkpoints are staged in typed arrays (`chargeBatch`).

/** Checkpoints of at most this many entries cross as plain arguments. */
const FEW = 3
/** A staging area grown past this many entries is not kept after use. */
const STAGING_KEEP = 1024

export function entryDim(name: unknown, entry: number | string): number {
  const index = dimIndexOf(name)
  if (index < 0) throw dimTypeError(name, typeof entry === 'number' ? `charges[${entry}][0]` : 'each key of charges')
  return index
}

export function pairOf(charges: readonly unknown[], i: number): readonly unknown[] {
  const entry: unknown = charges[i]
  if (!Array.isArray(entry) || entry.length !== 2) {
    throw new TypeError(`charges[${i}] must be a [dim, amount] pair, got ${describe(entry)}`)
  }
  return entry
}

/**
 * Sends a checkpoint of at most FEW entries: `packed` is the count in its
 * low 3 bits and entry i's dimension index in bits 3+3i to 5+3i.
 */
function chargeSmall(engine: Engine, handle: number, packed: number, a0: number | bigint, a1: number | bigint, a2: number | bigint): number {
  if (typeof a0 === 'number' && typeof a1 === 'number' && typeof a2 === 'number') {
    return engine.chargeFew(handle, packed, a0, a1, a2)
  }
  // An amount above 2^53-1: the 64-bit batch path, rare enough to allocate.
  const length = packed & 7
  const dims = new Uint8Array(length)
  const amounts = new BigUint64Array(length)
  const values = [a0, a1, a2]
  for (let i = 0; i < length; i++) {
    dims[i] = (packed >> (3 + 3 * i)) & 7
    amounts[i] = BigInt(values[i] as number | bigint)
  }
  return engine.chargeBatchBig(handle, dims, amounts, length)
}

/** A large checkpoint, staged in typed arrays. */
class Staging {
  dims = new Uint8Array(16)
  numbers = new Float64Array(16)
  bigints = new BigUint64Array(16)
  /** Whether an amount is above 2^53-1 (then `bigints` holds every amount). */
  wide = false
  length = 0

  /** Appends a validated entry. */
  add(dim: number, amount: number | bigint): void {
    const n = this.length
    if (n === this.dims.length) this.#grow()
    if (typeof amount === 'number') {
      if (this.wide) this.bigints[n] = BigInt(amount)
      else this.numbers[n] = amount
    } else {
      if (!this.wide) {
        for (let i = 0; i < n; i++) this.bigints[i] = BigInt(this.numbers[i] as number)
        this.wide = true
      }
      this.bigints[n] = amount
    }
    this.dims[n] = dim
    this.length = n + 1
  }

  send(engine: Engine, handle: number): number {
    return this.wide
      ? engine.chargeBatchBig(handle, this.dims, this.bigints, this.length)
      : engine.chargeBatch(handle, this.dims, this.numbers, this.length)
  }

  #grow(): void {
    const size = this.dims.length * 2
    const dims = new Uint8Array(size)
    const numbers = new Float64Array(size)
    const bigints = new BigUint64Array(size)
    dims.set(this.dims)
    numbers.set(this.numbers)
    bigints.set(this.bigints)
    this.dims = dims
    this.numbers = numbers
    this.bigints = bigints
  }
}

// One shared staging area, so that large checkpoints allocate nothing either.
// A call that finds it in use (a getter on an entry re-entering chargeMany)
// stages apart.
let sharedStaging = new Staging()
let stagingBusy = false

/** Takes the shared staging area, or a fresh one when it is in use. */
function acquireStaging(): Staging {
  if (stagingBusy) return new Staging()
  stagingBusy = true
  return sharedStaging
}

/** Gives a staging area back (emptied); an oversized shared one is replaced. */
function releaseStaging(staging: Staging): void {
  staging.length = 0
  staging.wide = false
  if (staging !== sharedStaging) return
  stagingBusy = false
  if (staging.dims.length > STAGING_KEEP) sharedStaging = new Staging()
}

function chargePairs(engine: Engine, handle: number, charges: readonly unknown[]): number {
  const length = charges.length
  if (length > FEW) return chargePairsStaged(engine, handle, charges)
  let packed = length
  let a0: number | bigint = 0
  let a1: number | bigint = 0
  let a2: number | bigint = 0
  for (let i = 0; i < length; i++) {
    // Indexing, not destructuring: array destructuring runs the iterator protocol.
    const pair = pairOf(charges, i)
    packed |= entryDim(pair[0], i) << (3 + 3 * i)
    const value = checkedAmount(pair[1], i)
    if (i === 0) a0 = value
    else if (i === 1) a1 = value
    else a2 = value
  }
  return chargeSmall(engine, handle, packed, a0, a1, a2)
}

function chargePairsStaged(engine: Engine, handle: number, charges: readonly unknown[]): number {
  const staging = acquireStaging()
  try {
    for (let i = 0; i < charges.length; i++) {
      const pair = pairOf(charges, i)
      staging.add(entryDim(pair[0], i), checkedAmount(pair[1], i))
    }
    return staging.send(engine, handle)
  } finally {
    releaseStaging(staging)
  }
}

/**
 * The amount a `for…in` key of an object checkpoint contributes, or
 * `undefined` when the key is not an entry: an inherited key, or an own key
 * whose value is `undefined`. The one rule of which keys count, for every
 * engine that takes the object form.
 */
export function recordEntry(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined
}

function chargeRecord(engine: Engine, handle: number, record: Readonly<Record<string, unknown>>): number {
  // Symbol keys are skipped, as Object.keys and JSON.stringify skip them:
  // no dimension is named by a symbol, and looking for them would allocate.
  // The first FEW entries are kept in locals; a further one moves them all
  // into a staging area, and the same walk goes on there.
  let n = 0
  let packed = 0
  let a0: number | bigint = 0
  let a1: number | bigint = 0
  let a2: number | bigint = 0
  let staging: Staging | undefined
  try {
    for (const key in record) {
      const value = recordEntry(record, key)
      if (value === undefined) continue
      const dim = entryDim(key, key)
      const amount = checkedAmount(value, key)
      if (staging === undefined && n === FEW) {
        staging = acquireStaging()
        staging.add(packed >> 3 & 7, a0)
        staging.add(packed >> 6 & 7, a1)
        staging.add(packed >> 9 & 7, a2)
      }
      if (staging !== undefined) {
        staging.add(dim, amount)
        continue
      }
      packed |= dim << (3 + 3 * n)
      if (n === 0) a0 = amount
      else if (n === 1) a1 = amount
      else a2 = amount
      n++
    }
    return staging === undefined ? chargeSmall(engine, handle, packed | n, a0, a1, a2) : staging.send(engine, handle)
  } finally {
    if (staging !== undefined) releaseStaging(staging)
  }
}

/**
 * A budget: declared limits over some of the eight dimensions, and what has
 * been spent on each.
 *
 * Create one with {@link Budget.builder}; for one budget per request, build a
 * template once and {@link Budget.clone} it per request (about twice as
 * fast). Budgets belong to the thread (main or worker) that made them.
 *
 * A budget's native memory is freed by {@link Budget.release}, or by
 * `using` (it implements `Symbol.dispose`), or else by the garbage collector
 * some time after the object becomes unreachable, which needs the event loop
 * to turn. Release budgets made in a synchronous loop; after release every
 * method throws a {@link ReleasedError}.
 *
 * @example
 * ```ts
 * const budget = Budget.builder()
 *   .limitWithWarn('tokens', 100_000, 80_000)
 *   .limit('calls', 50)
 *   .build()
 * const verdict = budget.charge('tokens', 12_500)
 * if (verdict.kind === 'exhausted') stop(verdict.dim)
 * ```
 */
export class Budget {
  #kernel: Kernel
  #handle: number
  /** Made by the first read of `signal` (./signal); tripped where a charge returns `exhausted`. */
  #signal: ExhaustionSignal | undefined = undefined

  /**
   * Budgets come from {@link Budget.builder}, {@link Budget.clone} and
   * {@link Budget.run}; calling `new Budget()` throws a `TypeError`.
   */
  private constructor(kernel: Kernel, handle: number, token: typeof ADOPT | typeof SCOPED) {
    if (token !== ADOPT && token !== SCOPED) {
      throw new TypeError('Budget cannot be constructed directly; use Budget.builder()…build() or budget.clone()')
    }
    this.#kernel = kernel
    this.#handle = handle
    if (token === ADOPT) kernel.finalizers.register(this, pack(handle), this)
  }

  /** Starts declaring a budget. */
  static builder(): BudgetBuilder {
    // Each entry's class defines its own (bindEngine); this is the unbound base.
    return new (kernelOf(this).BudgetBuilder)()
  }

  /**
   * Charges `amount` to `dim` and returns the verdict.
   *
   * Spent becomes `spent + amount`, saturating at `2n ** 64n - 1n`, and is
   * updated even when the charge exhausts the budget. Then: `exhausted` if
   * spent > limit, else `warn` if a warn threshold exists and spent > warn,
   * else `continue`. A zero amount is a poll: it reports the current state.
   *
   * @throws {TypeError} `dim` is not a dimension name, or `amount` is not a number or a bigint.
   * @throws {RangeError} `amount` is negative, fractional, NaN, infinite, above
   *   `Number.MAX_SAFE_INTEGER` as a number, or above `2n ** 64n - 1n`.
   * @throws {ChargeError} `UNKNOWN_DIMENSION`: the budget does not declare `dim`.
   *   Nothing is charged when anything is thrown.
   * @throws {ReleasedError} the budget was released (whatever the arguments).
   */
  charge(dim: Dim, amount: Amount): Verdict {
    // No release check here: a released budget's handle fails the native
    // handle check, and the failure path reports it. Only the argument
    // errors thrown before the native call look at it.
    const handle = this.#handle
    const engine = this.#kernel.engine
    const index = dimIndexOf(dim)
    if (index < 0) throw this.#unlessReleased(dimTypeError(dim, 'dim'))
    let code: number
    if (typeof amount === 'number') code = engine.charge(handle, index, amount)
    else if (typeof amount === 'bigint') code = engine.chargeBig(handle, index, amount)
    else throw this.#unlessReleased(amountTypeError(amount, 'amount'))
    if (code >= 0) return this.#verdict(code)
    throw failure(engine, undefined, [amount])
  }

  /**
   * Charges several dimensions as one atomic checkpoint and returns the
   * {@link worst} of their verdicts (`continue` for no charges).
   *
   * Accepts `[dim, amount]` pairs, applied in array order, or an object such
   * as `{ tokens: 1523, calls: 1 }`, applied in property order (a plain
   * object: every own enumerable string key must name a dimension; a key
   * whose value is `undefined` and symbol keys are skipped; a Map, a class
   * instance or an object with a prototype other than `Object.prototype` or
   * `null` is refused). Every
   * entry is validated before any is applied: if one is refused, nothing is
   * charged. Type and range errors are reported before a `ChargeError`.
   *
   * @throws {TypeError} an entry is not a `[dim, amount]` pair, names no dimension, or has a non-numeric amount.
   * @throws {RangeError} an amount is out of range (see {@link Amount}).
   * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension.
   * @throws {ReleasedError} the budget was released (checked first: no entry is read).
   */
  chargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict {
    const handle = this.#handle
    if (handle === RELEASED) throw new ReleasedError()
    const engine = this.#kernel.engine
    let code: number
    if (Array.isArray(charges)) {
      code = chargePairs(engine, handle, charges)
    } else if (isPlainObject(charges)) {
      code = chargeRecord(engine, handle, charges as Readonly<Record<string, unknown>>)
    } else {
      throw new TypeError(`charges must be an array of [dim, amount] pairs or a plain object of amounts by dimension, got ${describe(charges)}`)
    }
    if (code >= 0) return this.#verdict(code)
    throw failure(engine, chargeAmountName)
  }

  /**
   * Charges `amounts[i]` to dimension `DIMS[dims[i]]` for every `i`, as one
   * atomic checkpoint, in a single call into native code: the fastest way to
   * charge many things. Returns the {@link worst} verdict (`continue` when
   * empty). Every entry is validated before any is applied.
   *
   * @param dims - dimension indexes into {@link DIMS}.
   * @param amounts - amounts as numbers (safe integers) or as 64-bit unsigned bigints.
   * @throws {TypeError} `dims` is not a `Uint8Array`, `amounts` neither a `Float64Array` nor a
   *   `BigUint64Array`, or either is backed by a `SharedArrayBuffer` (another thread could change it mid-call).
   * @throws {RangeError} the lengths differ, an index is 8 or more, or a number amount is not a safe non-negative integer.
   * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension.
   * @throws {ReleasedError} the budget was released (checked first).
   * @throws {CapacityError} `TABLE_FULL`: the engine has no room to copy the arrays
   *   into (the wasm engine's memory is at its maximum); nothing was charged.
   */
  chargeBatch(dims: Uint8Array, amounts: Float64Array | BigUint64Array): Verdict {
    const handle = this.#handle
    if (handle === RELEASED) throw new ReleasedError()
    if (!isUint8Array(dims)) throw new TypeError(`dims must be a Uint8Array of indexes into DIMS, got ${describe(dims)}`)
    // Memory another thread can write while native code reads it would break
    // validate-then-apply (and is a data race); such batches must be copied.
    if (isShared(dims) || isShared(amounts)) {
      throw new TypeError('chargeBatch does not take typed arrays backed by a SharedArrayBuffer; copy them first (e.g. dims.slice())')
    }
    const engine = this.#kernel.engine
    let code: number
    if (isFloat64Array(amounts)) {
      if (amounts.length !== dims.length) throw lengthMismatch(dims, amounts)
      code = engine.chargeBatch(handle, dims, amounts, dims.length)
    } else if (isBigUint64Array(amounts)) {
      if (amounts.length !== dims.length) throw lengthMismatch(dims, amounts)
      code = engine.chargeBatchBig(handle, dims, amounts, dims.length)
    } else {
      throw new TypeError(`amounts must be a Float64Array or a BigUint64Array, got ${describe(amounts)}`)
    }
    if (code >= 0) return this.#verdict(code)
    throw failure(engine, (at) => `amounts[${at}]`, amounts, dims)
  }

  /**
   * What has been spent on `dim`: `0n` if declared but never charged,
   * `undefined` if `dim` is not declared.
   *
   * @throws {TypeError} `dim` is not a dimension name.
   * @throws {ReleasedError} the budget was released (checked first).
   */
  spent(dim: Dim): bigint | undefined {
    const handle = this.#handle
    if (handle === RELEASED) throw new ReleasedError()
    return this.#kernel.engine.spent(handle, dimIndex(dim, 'dim')) ?? undefined
  }

  /**
   * The headroom left on `dim`, `limit - spent` floored at `0n`;
   * `undefined` if `dim` is not declared.
   *
   * @throws {TypeError} `dim` is not a dimension name.
   * @throws {ReleasedError} the budget was released (checked first).
   */
  remaining(dim: Dim): bigint | undefined {
    const handle = this.#handle
    if (handle === RELEASED) throw new ReleasedError()
    return this.#kernel.engine.remaining(handle, dimIndex(dim, 'dim')) ?? undefined
  }

  /**
   * Zeroes every spent counter; limits and warn thresholds stay.
   *
   * @throws {ReleasedError} the budget was released.
   */
  reset(): void {
    const engine = this.#kernel.engine
    if (engine.reset(this.#handle) < 0) throw failure(engine)
    this.#signal?.reset()
  }

  /**
   * An `AbortSignal` that aborts the first time a charge on this budget
   * (`charge`, `chargeMany` or `chargeBatch`) returns `exhausted`, with a
   * {@link BudgetExhaustedError} of that verdict's `dim` as its `reason`.
   * Pass it to `fetch`, timers, streams or anything that takes a signal.
   *
   * - Made on first read: a budget that never reads it pays nothing.
   *   Read when the budget is already past a limit, it is already aborted
   *   (`reason.dim` is the first such dimension in {@link DIMS} order).
   * - It aborts once, during the exhausting charge (its `abort` listeners
   *   run before the charge returns its verdict); later charges, warnings
   *   and refused calls (which change nothing) never abort it.
   * - After {@link Budget.reset} an aborted signal stays aborted, and the
   *   next read returns a fresh one; a signal not yet aborted is kept.
   * - A clone (and a `run()` scope's budget) has its own signal, which
   *   starts aborted if the clone starts past a limit.
   * - {@link Budget.release} never aborts it.
   *
   * @throws {ReleasedError} the budget was released.
   */
  get signal(): AbortSignal {
    const handle = this.#handle
    if (handle === RELEASED) throw new ReleasedError()
    let signal = this.#signal
    if (signal === undefined) {
      signal = new ExhaustionSignal(exhaustedDim(this.#kernel.engine, handle))
      this.#signal = signal
    }
    return signal.signal
  }

  /**
   * An independent copy: same limits, warn thresholds and spent counters.
   * Charging one never affects the other. The copy has its own lifetime:
   * releasing either leaves the other usable.
   *
   * @throws {ReleasedError} the budget was released.
   * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget.
   */
  clone(): Budget {
    const kernel = this.#kernel
    const handle = kernel.engine.clone(this.#handle)
    if (handle < 0) throw failure(kernel.engine)
    return new kernel.Budget(kernel, handle, ADOPT)
  }

  /**
   * Calls `fn` with a fresh clone of this budget (see {@link Budget.clone})
   * and releases the clone when `fn` returns or throws, or, when `fn`
   * returns a promise (any thenable), when it settles. Returns what `fn`
   * returns: its value, or a promise of the same outcome, settled after the
   * release. The clone is never registered for garbage collection, which
   * makes a per-request budget several times cheaper than `clone()` and
   * `release()`.
   *
   * The clone belongs to the scope: kept past it, every method throws a
   * {@link ReleasedError}, as after {@link Budget.release}. A promise that
   * never settles keeps its clone until the process ends.
   *
   * @example
   * ```ts
   * const reply = await template.run(async (budget) => {
   *   budget.charge('calls', 1)
   *   return handle(request, budget)
   * })
   * ```
   * @throws {TypeError} `fn` is not a function (nothing is cloned).
   * @throws {ReleasedError} this budget was released.
   * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget (`fn` is not called).
   */
  run<T>(fn: (budget: Budget) => T): T {
    if (typeof fn !== 'function') throw new TypeError(`run takes a function of the budget, got ${describe(fn)}`)
    const kernel = this.#kernel
    const handle = kernel.engine.clone(this.#handle)
    if (handle < 0) throw failure(kernel.engine)
    const budget = new kernel.Budget(kernel, handle, SCOPED)
    let result: T
    try {
      result = fn(budget)
      if ((typeof result === 'object' && result !== null) || typeof result === 'function') {
        const then: unknown = (result as { then?: unknown }).then
        if (typeof then === 'function') {
          const settled = (value: unknown): unknown => {
            budget.#end()
            return value
          }
          const failed = (error: unknown): never => {
            budget.#end()
            throw error
          }
          return Reflect.apply(then, result, [settled, failed]) as T
        }
      }
    } catch (error) {
      budget.#end()
      throw error
    }
    budget.#end()
    return result
  }

  /** Releases a `run()` scope's budget (never registered, so nothing to unregister). */
  #end(): void {
    const handle = this.#handle
    if (handle === RELEASED) return
    this.#handle = RELEASED
    this.#kernel.engine.release(handle)
  }

  /**
   * Frees the budget's native memory now, instead of when the garbage
   * collector gets to it. Idempotent: a second call does nothing. Afterwards
   * every other method throws a {@link ReleasedError} and changes nothing.
   * `using budget = template.clone()` calls this at the end of the block.
   */
  release(): void {
    const handle = this.#handle
    if (handle === RELEASED) return
    this.#handle = RELEASED
    const kernel = this.#kernel
    kernel.finalizers.unregister(this)
    kernel.engine.release(handle)
  }

  /** {@link Budget.release}: what `using` calls when its block ends. */
  [Symbol.dispose](): void {
    this.release()
  }

  /** Whether {@link Budget.release} (or `using`) has released this budget. */
  get released(): boolean {
    return this.#handle === RELEASED
  }

  /**
   * The verdict object of a charge's code (0..17): the one place where
   * `charge`, `chargeMany` and `chargeBatch` turn what the engine returned
   * into what they return.
   */
  #verdict(code: number): Verdict {
    if (code >= EXHAUSTED) this.#signal?.trip(DIMS[code - EXHAUSTED] as Dim)
    return VERDICT_OF[code] as Verdict
  }

  /** A ReleasedError in place of `error` once the budget is released (only on paths that already throw). */
  #unlessReleased(error: Error): Error {
    return this.#handle === RELEASED ? new ReleasedError() : error
  }
}

/** An object literal or a null-prototype object: no Map, Set, class instance or inherited keys. */
export function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isShared(array: { buffer?: unknown }): boolean {
  return typeof SharedArrayBuffer === 'function' && ArrayBuffer.isView(array) && array.buffer instanceof SharedArrayBuffer
}

function lengthMismatch(dims: Uint8Array, amounts: ArrayLike<unknown>): RangeError {
  return new RangeError(`dims and amounts must have the same length, got ${dims.length} and ${amounts.length}`)
}

/**
 * Declares a budget, one dimension at a time, then {@link BudgetBuilder.build}s it.
 *
 * `limit` and `limitWithWarn` check their arguments at once (a bad name or
 * value throws and leaves the builder unchanged); the kernel's structural
 * rules are checked by `build`. A builder can build any number of
 * independent budgets.
 */
export class BudgetBuilder {
  #kernel: Kernel
  // Declarations as the binding's `create` takes them: four words each
  // (dimension index, warn flag, limit, warn), in call order.
  #declarations = new BigUint64Array(4 * 4)
  #count = 0

  /** An empty declaration, on the engine of the entry point the class came from. */
  constructor() {
    this.#kernel = kernelOf(new.target)
  }

  /**
   * Declares `dim` with an inclusive `limit` and no warn threshold.
   *
   * @throws {TypeError} `dim` is not a dimension name, or `limit` is not a number or a bigint.
   * @throws {RangeError} `limit` is out of range (see {@link Amount}).
   */
  limit(dim: Dim, limit: Amount): this {
    return this.#declare(dimIndex(dim, 'dim'), toU64(limit, 'limit'), undefined)
  }

  /**
   * Declares `dim` with an inclusive `limit` and a warn threshold: charges
   * that leave spent above `warn` (strictly) but within the limit return
   * `warn`. `warn` must be below `limit` (checked by `build`); `0` warns on
   * any positive spend.
   *
   * @throws {TypeError} `dim` is not a dimension name, or an amount is not a number or a bigint.
   * @throws {RangeError} an amount is out of range (see {@link Amount}).
   */
  limitWithWarn(dim: Dim, limit: Amount, warn: Amount): this {
    return this.#declare(dimIndex(dim, 'dim'), toU64(limit, 'limit'), toU64(warn, 'warn'))
  }

  #declare(dim: number, limit: bigint, warn: bigint | undefined): this {
    let declarations = this.#declarations
    const at = this.#count * 4
    if (at === declarations.length) {
      declarations = new BigUint64Array(declarations.length * 2)
      declarations.set(this.#declarations)
      this.#declarations = declarations
    }
    declarations[at] = BigInt(dim)
    declarations[at + 1] = warn === undefined ? 0n : 1n
    declarations[at + 2] = limit
    declarations[at + 3] = warn ?? 0n
    this.#count++
    return this
  }

  /**
   * Validates the declaration and returns a new budget with nothing spent.
   *
   * @throws {BuilderError} `DUPLICATE_DIMENSION`, `NO_DIMENSIONS`,
   *   `ZERO_LIMIT` or `WARN_NOT_BELOW_LIMIT`, in that order of precedence.
   * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget.
   */
  build(): Budget {
    const kernel = this.#kernel
    const handle = kernel.engine.create(this.#declarations, this.#count)
    if (handle < 0) throw failure(kernel.engine)
    return new kernel.Budget(kernel, handle, ADOPT)
  }
}

/** The base builder, for bindEngine's subclasses (the class name is taken by their own). */
const BaseBudgetBuilder = BudgetBuilder
