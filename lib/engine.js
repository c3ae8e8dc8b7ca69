"use strict";
// Engines: the flat kernel API the facade runs over, and which one a
// process uses.
//
// Two engines implement it: the napi-rs addon (`./native`, binding.js and
// a `.node` binary per platform) and the same kernel built for WebAssembly
// (`./wasm`, budgetkernel.wasm, which runs everywhere). They share the
// handle table, the failure codes and the conversions in Rust, so the
// facade (`./budget`) is written once over this interface.
Object.defineProperty(exports, "__esModule", { value: true });
exports.FALLBACK_WARNING = void 0;
exports.checked = checked;
exports.loadNativeEngine = loadNativeEngine;
exports.loadWasmEngine = loadWasmEngine;
exports.selectEngine = selectEngine;
exports.anyEngine = anyEngine;
const dims_1 = require("./dims");
/** `BUDGETKERNEL_ENGINE`, read once when the package is loaded. */
const requested = process.env.BUDGETKERNEL_ENGINE;
/** The code of the warning emitted (once per thread) when the main entry falls back to WebAssembly. */
exports.FALLBACK_WARNING = 'BUDGETKERNEL_WASM_FALLBACK';
/**
 * Checks that an engine's kernel agrees with this JavaScript's dimension
 * table, and returns it.
 *
 * @internal
 */
function checked(engine, what) {
    const names = engine.dimNames();
    if (engine.MAX_DIMENSIONS !== dims_1.DIMS.length || names.length !== dims_1.DIMS.length || names.some((name, i) => name !== dims_1.DIMS[i])) {
        throw new Error(`budgetkernel: the ${what} does not match this package's JavaScript (dimensions ${names.join(', ')}); reinstall the package`);
    }
    return engine;
}
let nativeEngine;
let wasmEngine;
/**
 * The napi-rs addon, loaded and checked once per thread. Throws the
 * loader's error (what was looked for, and what to do) if no binary loads.
 *
 * @internal
 */
function loadNativeEngine() {
    if (nativeEngine === undefined) {
        // Required here, not imported, so that a process on the wasm engine
        // never tries to load a native binary.
        const { loadNative } = require('./native');
        nativeEngine = checked(loadNative(), 'native binary');
    }
    return nativeEngine;
}
/**
 * The WebAssembly engine, instantiated and checked once per thread.
 *
 * @internal
 */
function loadWasmEngine() {
    if (wasmEngine === undefined) {
        const { loadWasm } = require('./wasm');
        wasmEngine = checked(loadWasm(), 'WebAssembly kernel');
    }
    return wasmEngine;
}
let selected;
/**
 * The main entry's engine: the one `BUDGETKERNEL_ENGINE` names, else the
 * native addon, else (no prebuilt binary loads) the wasm engine, with one
 * `process.emitWarning` saying so.
 *
 * @internal
 */
function selectEngine() {
    if (selected !== undefined)
        return selected;
    if (requested === 'native') {
        selected = { engine: loadNativeEngine(), name: 'native' };
    }
    else if (requested === 'wasm') {
        selected = { engine: loadWasmEngine(), name: 'wasm' };
    }
    else if (requested === undefined || requested === '') {
        let engine;
        let name = 'native';
        try {
            engine = loadNativeEngine();
        }
        catch (error) {
            engine = loadWasmEngine();
            name = 'wasm';
            // What failed and where the loader looked (the package a user can
            // install to get the native engine); the rest of the loader's message
            // is advice for when nothing loads at all.
            const reason = error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error);
            process.emitWarning(`${reason} Using the WebAssembly engine instead (same results, slower per call); set BUDGETKERNEL_ENGINE=wasm to choose it explicitly, or BUDGETKERNEL_ENGINE=native to make this an error.`, { type: 'BudgetkernelWarning', code: exports.FALLBACK_WARNING });
        }
        selected = { engine, name };
    }
    else {
        throw new Error(`budgetkernel: BUDGETKERNEL_ENGINE must be "native" or "wasm" (or unset), got ${JSON.stringify(requested)}`);
    }
    return selected;
}
/**
 * An engine for work that any engine does identically (the Redis store's
 * declaration checks): one already loaded by either entry, else the main
 * entry's selection.
 *
 * @internal
 */
function anyEngine() {
    return selected?.engine ?? nativeEngine ?? wasmEngine ?? selectEngine().engine;
}
