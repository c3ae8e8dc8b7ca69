import type { Engine } from './engine';
/** The part of the WebAssembly memory object the glue uses (the compiler's ES2022 lib has no WebAssembly types). */
export interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
}
/** The file next to the package's root (this file is lib/wasm.js). */
export declare const WASM_PATH: string;
/** An instance and its memory, for tests that need the memory itself. */
export interface WasmInstance {
    engine: Engine;
    memory: WasmMemory;
}
/** A fresh engine (its own instance, memory and table). */
export declare function loadWasm(): Engine;
/** {@link loadWasm}, with the instance's memory. */
export declare function instantiateWasm(): WasmInstance;
/**
 * The linear memory an engine made here uses now, `undefined` for any other
 * engine. It grows with the table and never shrinks, but after a move (see
 * {@link MOVE_FLOOR}) it is another, smaller one. The memory tests read it.
 */
export declare function memoryOf(engine: Engine): WasmMemory | undefined;
/**
 * When a release lets the table give memory back, the engine moves the
 * table to a fresh instance (see `move` in {@link wrap}) if its memory is at
 * least this large: below it a move would return little.
 */
export declare const MOVE_FLOOR: number;
/**
 * ... and if at most this many budgets are live: a move rebuilds each of
 * them (6 to 12 ms for 4,096 budgets on the reference machine), so a larger
 * table keeps its memory rather than pause the caller for longer.
 */
export declare const MOVE_MAX_LIVE = 4096;
