"use strict";
// A short, safe rendering of callers' values, for error messages.
Object.defineProperty(exports, "__esModule", { value: true });
exports.describe = describe;
/** A short, safe rendering of a caller's value for error messages. */
function describe(value) {
    switch (typeof value) {
        case 'string':
            return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
        case 'bigint':
            return `${value}n`;
        case 'number':
            return Object.is(value, -0) ? '-0' : String(value);
        case 'symbol':
            return 'a symbol';
        case 'function':
            return 'a function';
        case 'undefined':
            return 'undefined';
        default:
            if (value === null)
                return 'null';
            if (Array.isArray(value))
                return 'an array';
            return ArrayBuffer.isView(value) ? `a ${Object.prototype.toString.call(value).slice(8, -1)}` : 'an object';
    }
}
