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
import { type Budget as BudgetClass, type BudgetBuilder as BudgetBuilderClass } from './lib/budget';
import { type EngineName } from './lib/engine';
export * from './lib/shared-exports';
/** A budget: declared limits over some of the eight dimensions, and what has been spent on each. */
export declare const Budget: typeof BudgetClass;
export type Budget = BudgetClass;
/** Declares a budget, one dimension at a time, then builds it. */
export declare const BudgetBuilder: typeof BudgetBuilderClass;
export type BudgetBuilder = BudgetBuilderClass;
/** The engine this entry runs on: `'native'` (the napi-rs addon) or `'wasm'` (the WebAssembly kernel). */
export declare const ENGINE: EngineName;
