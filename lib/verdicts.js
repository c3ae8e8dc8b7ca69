"use strict";
// Verdicts: the 17 shared frozen objects and the kernel's helpers over them.
Object.defineProperty(exports, "__esModule", { value: true });
exports.VERDICTS = exports.EXHAUSTED = exports.WARN = void 0;
exports.verdictCode = verdictCode;
exports.worst = worst;
exports.isContinuing = isContinuing;
exports.isExhausted = isExhausted;
const dims_1 = require("./dims");
const values_1 = require("./values");
exports.WARN = 1;
exports.EXHAUSTED = 1 + dims_1.DIMS.length;
/** The 17 shared verdicts, indexed by the binding's verdict code. */
exports.VERDICTS = Object.freeze([
    Object.freeze({ kind: 'continue' }),
    ...dims_1.DIMS.map((dim) => Object.freeze({ kind: 'warn', dim })),
    ...dims_1.DIMS.map((dim) => Object.freeze({ kind: 'exhausted', dim })),
]);
/** The code of a verdict-shaped value; a `TypeError` for anything else. */
function verdictCode(verdict, what) {
    if (typeof verdict === 'object' && verdict !== null) {
        const { kind, dim } = verdict;
        if (kind === 'continue')
            return 0;
        const index = (0, dims_1.dimIndexOf)(dim);
        if (index < 0 && (kind === 'warn' || kind === 'exhausted'))
            throw (0, dims_1.dimTypeError)(dim, `${what}.dim`);
        if (kind === 'warn')
            return exports.WARN + index;
        if (kind === 'exhausted')
            return exports.EXHAUSTED + index;
    }
    throw new TypeError(`${what} must be a Verdict ({ kind: 'continue' | 'warn' | 'exhausted', dim }), got ${(0, values_1.describe)(verdict)}`);
}
const severity = (code) => (code >= exports.EXHAUSTED ? 2 : code >= exports.WARN ? 1 : 0);
/**
 * The more severe of two verdicts: `exhausted` over `warn` over `continue`.
 * On a tie the left one wins, so folding a sequence of charges with `worst`
 * reports the first dimension that reached the worst state.
 *
 * @throws {TypeError} if either argument is not a Verdict.
 */
function worst(a, b) {
    const left = verdictCode(a, 'a');
    const right = verdictCode(b, 'b');
    return exports.VERDICTS[severity(right) > severity(left) ? right : left];
}
/**
 * Whether work may go on: `true` for `continue` and `warn`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
function isContinuing(verdict) {
    return verdictCode(verdict, 'verdict') < exports.EXHAUSTED;
}
/**
 * Whether a limit has been passed: `true` only for `exhausted`.
 *
 * @throws {TypeError} if the argument is not a Verdict.
 */
function isExhausted(verdict) {
    return verdictCode(verdict, 'verdict') >= exports.EXHAUSTED;
}
