/** The name of an engine, as `BUDGETKERNEL_ENGINE` and `ENGINE` spell it. */
export type EngineName = 'native' | 'wasm';
/** The code of the warning emitted (once per thread) when the main entry falls back to WebAssembly. */
export declare const FALLBACK_WARNING = "BUDGETKERNEL_WASM_FALLBACK";
