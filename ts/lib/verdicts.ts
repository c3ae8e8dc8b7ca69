// Verdicts: the 17 shared frozen objects and the kernel's helpers over them.

import { DIMS, dimIndexOf, dimTypeError, type Dim } from './dims'
import { describe } from './values'

/**
 * The outcome of a charge.
 *
 * - `continue`: every charged dimension is within its limit and not past its
 *   warn threshold;
 * - `warn`: `dim` is past its warn threshold (strictly) but within its limit;
 *   reported on every charge while that holds;
 * - `exhausted`: `dim` is past its limit (limits are inclusive: spending
 *   exactly the limit still continues). Exhaustion wins over a warning.
 *
 * `charge`, `chargeMany` and `chargeBatch` return one of 17 shared, frozen
 * objects, so comparing with `===` against a previous verdict works and a
 * charge allocates nothing.
 */
export type Verdict =
  | { readonly kind: 'continue' }
  | { readonly kind: 'warn'; readonly dim: Dim }
  | { readonly kind: 'exhausted'; readonly dim: Dim }


export const WARN = 1
export const EXHAUSTED = 1 + DIMS.length

/** The 17 shared verdicts, indexed by the binding's verdict code. */
export const VERDICTS: readonly Verdict[] = Object.freeze([
  Object.freeze({ kind: 'continue' } as const),
  ...DIMS.map((dim) => Object.freeze({ kind: 'warn', dim } as const)),
  ...DIMS.map((dim) => Object.freeze({ kind: 'exhausted', dim } as const)),
])

/** The code of a verdict-shaped value; a `TypeError` for anything else. */
export function verdictCode(verdict: unknown, what: string): number {
  if (typeof verdict === 'object' && verdict !== null) {
    const { kind, dim } = verdict as { kind?: unknown; dim?: unknown }
    if (kind === 'continue') return 0
    const index = dimIndexOf(dim)
    if (index < 0 && (kind === 'warn' || kind === 'exhausted')) throw dimTypeError(dim, `${what}.dim`)
    if (kind === 'warn') return WARN + index
    if (kind === 'exhausted') return EXHAUSTED + index
  }
  throw new TypeError(`${what} must be a Verdict ({ kind: 'continue' | 'warn' | 'exhausted', dim }), got ${describe(verdict)}`)
}

const severity = (code: number): number => (code >= EXHAUSTED ? 2 : code >= WARN ? 1 : 0)

/**
 * The more severe of two verdicts: `exhausted` over `warn` over `continue`.
 * On a tie the left one wins, so folding a sequence of charges with `worst`
 * reports the first dimension that reached the worst state.
 *
 * @throws {TypeError} if either argument is not a Verdict.
 */
export function worst(a: Verdict, b: Verdict): Verdict {
  const left = verdictCode(a, 'a')
  const right = verdictCode(b, 'b')
  return VERDICTS[severity(right) > severity(left) ? right : left] as Verdict
}

/**
 * Whether work may go on: `true` for `continue` and `warn`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
export function isContinuing(verdict: Verdict): boolean {
  return verdictCode(verdict, 'verdict') < EXHAUSTED
}

/**
 * Whether a limit has been passed: `true` only for `exhausted`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
export function isExhausted(verdict: Verdict): boolean {
  return verdictCode(verdict, 'verdict') >= EXHAUSTED
}

