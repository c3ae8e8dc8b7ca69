"use strict";
// The eight dimensions: names, kernel order, and name-to-index mapping.
Object.defineProperty(exports, "__esModule", { value: true });
exports.DIM_LIST = exports.MAX_DIMS = exports.DIMS = void 0;
exports.dimIndexOf = dimIndexOf;
exports.dimTypeError = dimTypeError;
exports.dimIndex = dimIndex;
const values_1 = require("./values");
/** The dimensions in kernel index order; `chargeBatch` takes indexes into it. */
exports.DIMS = Object.freeze([
    'tokens',
    'millis',
    'bytes',
    'calls',
    'memory',
    'custom0',
    'custom1',
    'custom2',
]);
/** How many dimensions exist (8). */
exports.MAX_DIMS = exports.DIMS.length;
exports.DIM_LIST = exports.DIMS.map((dim) => `'${dim}'`).join(', ');
/** The kernel index of a dimension name, or -1 for anything else. */
function dimIndexOf(dim) {
    // A switch, not an object lookup: no prototype keys ('toString',
    // '__proto__') can match, Object.prototype pollution cannot add names,
    // and V8 compiles it to a handful of pointer comparisons.
    switch (dim) {
        case 'tokens':
            return 0;
        case 'millis':
            return 1;
        case 'bytes':
            return 2;
        case 'calls':
            return 3;
        case 'memory':
            return 4;
        case 'custom0':
            return 5;
        case 'custom1':
            return 6;
        case 'custom2':
            return 7;
        default:
            return -1;
    }
}
function dimTypeError(dim, what) {
    return new TypeError(`${what} must be one of ${exports.DIM_LIST}, got ${(0, values_1.describe)(dim)}`);
}
/** The kernel index of a dimension name; a `TypeError` naming `what` for anything else. */
function dimIndex(dim, what) {
    const index = dimIndexOf(dim);
    if (index < 0)
        throw dimTypeError(dim, what);
    return index;
}
