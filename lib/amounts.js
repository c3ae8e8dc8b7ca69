"use strict";
// Amounts: what a charge or a limit may be, validated and never coerced.
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_SAFE_BIGINT = exports.MAX_U64 = void 0;
exports.amountRangeError = amountRangeError;
exports.amountTypeError = amountTypeError;
exports.checkedAmount = checkedAmount;
exports.chargeAmountName = chargeAmountName;
exports.toU64 = toU64;
const values_1 = require("./values");
exports.MAX_U64 = 2n ** 64n - 1n;
exports.MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
function amountRangeError(value, what) {
    return typeof value === 'number'
        ? new RangeError(`${what} must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} when given as a number (use a bigint above that), got ${(0, values_1.describe)(value)}`)
        : new RangeError(`${what} must be from 0n to ${exports.MAX_U64}n, got ${(0, values_1.describe)(value)}`);
}
function amountTypeError(value, what) {
    return new TypeError(`${what} must be a number or a bigint, got ${(0, values_1.describe)(value)}`);
}
/**
 * A validated amount: a number when it is a safe integer (bigints that fit
 * included, so they keep the number path), a bigint only above 2^53-1.
 * `name(entry)` names it in an error; it runs only when one is thrown, so
 * the success path builds no string.
 */
function checkedAmount(amount, entry, name = chargeAmountName) {
    if (typeof amount === 'number') {
        if (Number.isSafeInteger(amount) && amount >= 0)
            return amount;
        throw amountRangeError(amount, name(entry));
    }
    if (typeof amount === 'bigint') {
        if (amount >= 0n && amount <= exports.MAX_U64)
            return amount <= exports.MAX_SAFE_BIGINT ? Number(amount) : amount;
        throw amountRangeError(amount, name(entry));
    }
    throw amountTypeError(amount, name(entry));
}
/** The name of a checkpoint entry's amount: `charges[i][1]` or `charges.key`. */
function chargeAmountName(entry) {
    return typeof entry === 'number' ? `charges[${entry}][1]` : `charges.${entry}`;
}
/** A validated amount as a bigint, named `what` in errors (builder arguments). */
function toU64(value, what) {
    const amount = checkedAmount(value, what, String);
    return typeof amount === 'bigint' ? amount : BigInt(amount);
}
