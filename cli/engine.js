"use strict";
/**
 * Which engine the replay runs on. `budgetkernel replay --engine native|wasm`
 * picks one before any module of the package is loaded (roster contract 2):
 * `native` sets BUDGETKERNEL_ENGINE=native and loads the main entry, `wasm`
 * loads the `budgetkernel/wasm` entry, which always uses the WebAssembly
 * build. Without the flag the main entry is loaded as it is, so it honours a
 * BUDGETKERNEL_ENGINE the caller set. Both engines give byte-identical output.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.ENGINES = void 0;
exports.isEngineName = isEngineName;
exports.selectEngine = selectEngine;
exports.facade = facade;
exports.ENGINES = ['native', 'wasm'];
/** The `budgetkernel/wasm` entry, next to the main entry in the package. */
const WASM_ENTRY = '../wasm.js';
let chosen;
/** True for the names `--engine` accepts. */
function isEngineName(text) {
    return exports.ENGINES.includes(text);
}
/**
 * Loads the facade on the given engine (or the main entry's default) and
 * makes it the one every later `facade()` returns. Throws what the loader
 * throws (no binary for this platform, no wasm build...).
 */
function selectEngine(engine) {
    if (engine === 'native')
        process.env.BUDGETKERNEL_ENGINE = 'native';
    // Both resolved at run time, so the choice is made before either loads.
    if (engine !== 'wasm') {
        chosen = require('../index.js');
        return chosen;
    }
    try {
        chosen = require(WASM_ENTRY);
    }
    catch (err) {
        const code = err?.code;
        if (code === 'MODULE_NOT_FOUND' && err instanceof Error && err.message.includes(WASM_ENTRY)) {
            throw new Error(`budgetkernel/wasm is not part of this installation (${WASM_ENTRY} is missing); use --engine native`);
        }
        throw err;
    }
    return chosen;
}
/** The selected facade; the main entry when none was selected. */
function facade() {
    chosen ??= selectEngine(undefined);
    return chosen;
}
