// Amounts: what a charge or a limit may be, validated and never coerced.

import { describe } from './values'

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
export type Amount = number | bigint

export const MAX_U64 = 2n ** 64n - 1n
export const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER)

export function amountRangeError(value: number | bigint, what: string): RangeError {
  return typeof value === 'number'
    ? new RangeError(`${what} must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} when given as a number (use a bigint above that), got ${describe(value)}`)
    : new RangeError(`${what} must be from 0n to ${MAX_U64}n, got ${describe(value)}`)
}

export function amountTypeError(value: unknown, what: string): TypeError {
  return new TypeError(`${what} must be a number or a bigint, got ${describe(value)}`)
}

/**
 * A validated amount: a number when it is a safe integer (bigints that fit
 * included, so they keep the number path), a bigint only above 2^53-1.
 * `name(entry)` names it in an error; it runs only when one is thrown, so
 * the success path builds no string.
 */
export function checkedAmount(
  amount: unknown,
  entry: number | string,
  name: (entry: number | string) => string = chargeAmountName,
): number | bigint {
  if (typeof amount === 'number') {
    if (Number.isSafeInteger(amount) && amount >= 0) return amount
    throw amountRangeError(amount, name(entry))
  }
  if (typeof amount === 'bigint') {
    if (amount >= 0n && amount <= MAX_U64) return amount <= MAX_SAFE_BIGINT ? Number(amount) : amount
    throw amountRangeError(amount, name(entry))
  }
  throw amountTypeError(amount, name(entry))
}

/** The name of a checkpoint entry's amount: `charges[i][1]` or `charges.key`. */
export function chargeAmountName(entry: number | string): string {
  return typeof entry === 'number' ? `charges[${entry}][1]` : `charges.${entry}`
}

/** A validated amount as a bigint, named `what` in errors (builder arguments). */
export function toU64(value: unknown, what: string): bigint {
  const amount = checkedAmount(value, what, String)
  return typeof amount === 'bigint' ? amount : BigInt(amount)
}
