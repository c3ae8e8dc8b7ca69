import { type Dim } from './dims';
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
export type Verdict = {
    readonly kind: 'continue';
} | {
    readonly kind: 'warn';
    readonly dim: Dim;
} | {
    readonly kind: 'exhausted';
    readonly dim: Dim;
};
export declare const WARN = 1;
export declare const EXHAUSTED: number;
/** The 17 shared verdicts, indexed by the binding's verdict code. */
export declare const VERDICTS: readonly Verdict[];
/** The code of a verdict-shaped value; a `TypeError` for anything else. */
export declare function verdictCode(verdict: unknown, what: string): number;
/**
 * The more severe of two verdicts: `exhausted` over `warn` over `continue`.
 * On a tie the left one wins, so folding a sequence of charges with `worst`
 * reports the first dimension that reached the worst state.
 *
 * @throws {TypeError} if either argument is not a Verdict.
 */
export declare function worst(a: Verdict, b: Verdict): Verdict;
/**
 * Whether work may go on: `true` for `continue` and `warn`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
export declare function isContinuing(verdict: Verdict): boolean;
/**
 * Whether a limit has been passed: `true` only for `exhausted`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
export declare function isExhausted(verdict: Verdict): boolean;
