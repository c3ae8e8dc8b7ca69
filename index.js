"use strict";
/**
 * Deterministic, panic-free budget accounting for Node.js, backed by the
 * `budgetkernel` Rust crate.
 *
 * Declare limits (and optional warn thresholds) over eight fixed dimensions,
 * charge them as work happens, and get a verdict back: `continue`, `warn` or
 * `exhausted`. The kernel never reads a clock, does no I/O, never allocates
 * on the hot path, saturates instead of overflowing, and gives the same
 * answer on every machine.
 *
 * This is the package's entry point, on the native addon: the engine
 * `BUDGETKERNEL_ENGINE` (`native` or `wasm`, read once at load) names, else
 * the napi-rs addon, else (no prebuilt binary loads here) the WebAssembly
 * kernel, with one warning (`BUDGETKERNEL_WASM_FALLBACK`).
 * `budgetkernel/wasm` exports the same API on the WebAssembly kernel.
 *
 * The facade lives in `./lib`, one module per concern, so that every
 * engine (the in-process `Budget` on either kernel, and the shared stores)
 * uses one implementation of each rule: dimension names (`dims`), amount
 * validation (`amounts`), the 17 shared verdict objects (`verdicts`), the
 * error classes (`errors`), the engines (`engine`, `native`, `wasm`) and
 * the classes over them (`budget`). All accounting happens in Rust.
 *
 * @packageDocumentation
 */
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.ENGINE = exports.BudgetBuilder = exports.Budget = void 0;
const budget_1 = require("./lib/budget");
const engine_1 = require("./lib/engine");
__exportStar(require("./lib/shared-exports"), exports);
const selected = (0, engine_1.selectEngine)();
const bound = (0, budget_1.bindEngine)(selected.engine);
/** A budget: declared limits over some of the eight dimensions, and what has been spent on each. */
exports.Budget = bound.Budget;
/** Declares a budget, one dimension at a time, then builds it. */
exports.BudgetBuilder = bound.BudgetBuilder;
/** The engine this entry runs on: `'native'` (the napi-rs addon) or `'wasm'` (the WebAssembly kernel). */
exports.ENGINE = selected.name;
