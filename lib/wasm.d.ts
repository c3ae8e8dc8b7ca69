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
 * The linear memory of an engine made here, `undefined` for any other
 * engine. It grows with the table and never shrinks (WebAssembly has no way
 * to give pages back): the memory tests read its size.
 */
export declare function memoryOf(engine: Engine): WasmMemory | undefined;
