"use strict";
/**
 * `budgetkernel/wasm`: the package's API on the WebAssembly kernel, whatever
 * the platform and whether or not a native binary is installed.
 *
 * It exports exactly what `budgetkernel` exports, from the same modules:
 * the same verdict objects and error classes (a verdict from here is `===`
 * the same verdict from the main entry). Only `Budget` and `BudgetBuilder`
 * are its own, bound to the WebAssembly kernel (budgetkernel.wasm, next to
 * this file); `BUDGETKERNEL_ENGINE` does not apply here.
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
const bound = (0, budget_1.bindEngine)((0, engine_1.loadWasmEngine)());
/** A budget: declared limits over some of the eight dimensions, and what has been spent on each. */
exports.Budget = bound.Budget;
/** Declares a budget, one dimension at a time, then builds it. */
exports.BudgetBuilder = bound.BudgetBuilder;
/** The engine this entry runs on: always `'wasm'` here. */
exports.ENGINE = 'wasm';
