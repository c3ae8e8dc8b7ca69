/**
 * An amount to charge or a limit to declare.
 *
 * - a `number` must be a non-negative safe integer (`0` to
 *   `Number.MAX_SAFE_INTEGER`), so that it is exactly the integer you meant;
 * - a `bigint` may use the kernel's whole range, `0n` to `2n ** 64n - 1n`.
 *
 * Anything else is refused, never rounded or wrapped: a wrong type throws a
 * `TypeError`, a value out of range a `RangeError`.
 */
export type Amount = number | bigint;
export declare const MAX_U64: bigint;
export declare const MAX_SAFE_BIGINT: bigint;
export declare function amountRangeError(value: number | bigint, what: string): RangeError;
export declare function amountTypeError(value: unknown, what: string): TypeError;
/**
 * A validated amount: a number when it is a safe integer (bigints that fit
 * included, so they keep the number path), a bigint only above 2^53-1.
 * `name(entry)` names it in an error; it runs only when one is thrown, so
 * the success path builds no string.
 */
export declare function checkedAmount(amount: unknown, entry: number | string, name?: (entry: number | string) => string): number | bigint;
/** The name of a checkpoint entry's amount: `charges[i][1]` or `charges.key`. */
export declare function chargeAmountName(entry: number | string): string;
/** A validated amount as a bigint, named `what` in errors (builder arguments). */
export declare function toU64(value: unknown, what: string): bigint;
