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

import { bindEngine, type Budget as BudgetClass, type BudgetBuilder as BudgetBuilderClass } from './lib/budget'
import { loadWasmEngine, type EngineName } from './lib/engine'

export * from './lib/shared-exports'

const bound = bindEngine(loadWasmEngine())

/** A budget: declared limits over some of the eight dimensions, and what has been spent on each. */
export const Budget: typeof BudgetClass = bound.Budget
export type Budget = BudgetClass
/** Declares a budget, one dimension at a time, then builds it. */
export const BudgetBuilder: typeof BudgetBuilderClass = bound.BudgetBuilder
export type BudgetBuilder = BudgetBuilderClass
/** The engine this entry runs on: always `'wasm'` here. */
export const ENGINE: EngineName = 'wasm'
