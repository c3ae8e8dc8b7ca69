// Typed usage of every export of the package, compiled (never run) with
// `tsc -p __test__/types` by __test__/typings.spec.ts. Each `@ts-expect-error`
// line is a call the typings must reject: if the typings ever accept it, the
// directive itself becomes an error and the check fails.

import {
  Budget,
  BudgetBuilder,
  BudgetError,
  BuilderError,
  CapacityError,
  ChargeError,
  DIMS,
  ReleasedError,
  MAX_DIMS,
  isContinuing,
  isExhausted,
  worst,
  type Amount,
  type Dim,
  type Verdict,
} from '../../index.js'
import * as ns from '../../index.js'
import pkg from '../../index.js'

/** Compile-time equality of two types. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function assertType<T extends true>(): T | void {}

// --- types ----------------------------------------------------------------

assertType<Equals<Dim, 'tokens' | 'millis' | 'bytes' | 'calls' | 'memory' | 'custom0' | 'custom1' | 'custom2'>>()
assertType<Equals<Amount, number | bigint>>()
assertType<
  Equals<
    Verdict,
    { readonly kind: 'continue' } | { readonly kind: 'warn'; readonly dim: Dim } | { readonly kind: 'exhausted'; readonly dim: Dim }
  >
>()
assertType<Equals<typeof DIMS, readonly Dim[]>>()
assertType<Equals<typeof MAX_DIMS, number>>()
assertType<Equals<typeof ns.Budget, typeof Budget>>()
assertType<Equals<typeof pkg.worst, typeof worst>>()

// --- building ---------------------------------------------------------------

const builder: BudgetBuilder = Budget.builder()
const chained: BudgetBuilder = builder.limit('tokens', 10_000).limitWithWarn('calls', 5n, 4).limit('millis', 2n ** 64n - 1n)
const budget: Budget = chained.build()
assertType<Equals<ReturnType<BudgetBuilder['build']>, Budget>>()
assertType<Equals<ReturnType<BudgetBuilder['limit']>, BudgetBuilder>>()

// @ts-expect-error a dimension name outside the union
Budget.builder().limit('token', 1)
// @ts-expect-error a string amount
Budget.builder().limit('tokens', '10')
// @ts-expect-error the limit is required
Budget.builder().limit('tokens')
// @ts-expect-error the warn threshold is required
Budget.builder().limitWithWarn('tokens', 10)
// @ts-expect-error Budget has no public constructor
new Budget()

// --- charging ---------------------------------------------------------------

const v1: Verdict = budget.charge('tokens', 1523)
const v2: Verdict = budget.charge('calls', 1n)
const v3: Verdict = budget.chargeMany([
  ['tokens', 100],
  ['calls', 1n],
])
const v4: Verdict = budget.chargeMany({ tokens: 100, calls: 1n })
const v5: Verdict = budget.chargeMany([])
const pairs: ReadonlyArray<readonly [Dim, Amount]> = [['millis', 3]]
const v6: Verdict = budget.chargeMany(pairs)
const v7: Verdict = budget.chargeBatch(new Uint8Array([0, 3]), new Float64Array([100, 1]))
const v8: Verdict = budget.chargeBatch(Uint8Array.of(0), BigUint64Array.of(2n ** 64n - 1n))

// @ts-expect-error a dimension name outside the union
budget.charge('Tokens', 1)
// @ts-expect-error a string amount
budget.charge('tokens', '1523')
// @ts-expect-error null is not an amount
budget.charge('tokens', null)
// @ts-expect-error the amount is required
budget.charge('tokens')
// @ts-expect-error both arguments are required
budget.charge()
// @ts-expect-error a pair with a string amount
budget.chargeMany([['tokens', '1']])
// @ts-expect-error a pair with an unknown dimension
budget.chargeMany([['bogus', 1]])
// @ts-expect-error an object with an unknown dimension
budget.chargeMany({ tokenz: 1 })
// @ts-expect-error chargeBatch takes typed arrays, not plain arrays
budget.chargeBatch([0], [1])
// @ts-expect-error plain array of amounts
budget.chargeBatch(new Uint8Array([0]), [1])
// @ts-expect-error dims must be a Uint8Array
budget.chargeBatch(new Uint16Array([0]), new Float64Array([1]))
// @ts-expect-error amounts must be Float64Array or BigUint64Array
budget.chargeBatch(new Uint8Array([0]), new Int32Array([1]))
// @ts-expect-error reset takes no arguments
budget.reset(1)

// --- verdicts -----------------------------------------------------------------

function describe(v: Verdict): string {
  switch (v.kind) {
    case 'continue':
      // @ts-expect-error a continue verdict has no dimension
      return v.dim
    case 'warn': {
      const d: Dim = v.dim
      return `warn ${d}`
    }
    case 'exhausted': {
      const d: Dim = v.dim
      return `exhausted ${d}`
    }
    default: {
      const never: never = v
      return never
    }
  }
}

// @ts-expect-error 'stop' is not a verdict kind
if (v1.kind === 'stop') describe(v1)
// @ts-expect-error verdict fields are readonly
v1.kind = 'continue'
if (v2.kind === 'warn') {
  // @ts-expect-error verdict fields are readonly
  v2.dim = 'calls'
}

const w: Verdict = worst(worst(v1, v2), worst(v3, v4))
const c: boolean = isContinuing(w)
const e: boolean = isExhausted(v5)
// @ts-expect-error worst takes two verdicts
worst(v6)
// @ts-expect-error a string is not a verdict
isExhausted('exhausted')
// @ts-expect-error the verdict is required
isContinuing()
describe(v7)
describe(v8)

// --- queries ------------------------------------------------------------------

const spent: bigint | undefined = budget.spent('tokens')
const remaining: bigint | undefined = budget.remaining('calls')
assertType<Equals<ReturnType<Budget['spent']>, bigint | undefined>>()
assertType<Equals<ReturnType<Budget['remaining']>, bigint | undefined>>()
// @ts-expect-error spent may be undefined for an undeclared dimension
const notNarrowed: bigint = budget.spent('tokens')
// @ts-expect-error a dimension name outside the union
budget.remaining('custom3')
const copy: Budget = budget.clone()
copy.reset()
const reset: void = budget.reset()

// --- lifetime: using (TypeScript >= 5.2), release() ------------------------------

function perRequest(template: Budget): Verdict {
  using request = template.clone()
  assertType<Equals<typeof request, Budget>>()
  return request.chargeMany({ tokens: 10, calls: 1 })
}
const released: void = copy.release()
const disposed: void = copy[Symbol.dispose]()
const isReleased: boolean = copy.released
const disposable: Disposable = copy
// @ts-expect-error `released` is read-only
copy.released = false
// @ts-expect-error release takes no arguments
copy.release(true)

// --- DIMS -----------------------------------------------------------------------

const first: Dim | undefined = DIMS[0]
const count: number = MAX_DIMS + DIMS.length
// @ts-expect-error DIMS is read-only
DIMS.push('tokens')
// @ts-expect-error DIMS is read-only
DIMS[0] = 'millis'

// --- errors -----------------------------------------------------------------------

function handle(err: unknown): string {
  if (err instanceof BuilderError) {
    const b: BudgetError = err
    return `${b.code} ${String(b.dim)}`
  }
  if (err instanceof ChargeError) {
    const code: BudgetError['code'] = err.code
    const dim: Dim | undefined = err.dim
    return `${code} ${String(dim)}`
  }
  if (err instanceof BudgetError) {
    const m: string = err.message
    const isError: Error = err
    // @ts-expect-error 'BOGUS' is not an error code
    if (err.code === 'BOGUS') return m
    // @ts-expect-error code is readonly
    err.code = 'ZERO_LIMIT'
    return isError.name
  }
  if (err instanceof ReleasedError) {
    const code: 'BUDGET_RELEASED' = err.code
    const isError: Error = err
    // @ts-expect-error a ReleasedError is not a BudgetError
    const notBudget: BudgetError = err
    return `${code} ${isError.name} ${String(notBudget)}`
  }
  if (err instanceof CapacityError) {
    const code: 'TABLE_FULL' = err.code
    const isError: Error = err
    // @ts-expect-error a CapacityError is not a BudgetError
    const notBudget: BudgetError = err
    return `${code} ${isError.name} ${String(notBudget)}`
  }
  return ''
}
assertType<Equals<BudgetError['code'], 'DUPLICATE_DIMENSION' | 'WARN_NOT_BELOW_LIMIT' | 'ZERO_LIMIT' | 'NO_DIMENSIONS' | 'UNKNOWN_DIMENSION' | 'NO_BUDGET' | 'STORE_UNAVAILABLE' | 'REQUEST_ID_CONFLICT' | 'CHECKPOINT_TOO_LARGE' | 'UNSAFE_EVICTION_POLICY' | 'NOT_REPLICATED'>>()
assertType<Equals<BudgetError['dim'], Dim | undefined>>()

export const used = [c, e, spent, remaining, notNarrowed, reset, first, count, handle, v6, perRequest, released, disposed, isReleased, disposable]
