// Engines: the flat kernel API the facade runs over, and which one a
// process uses.
//
// Two engines implement it: the napi-rs addon (`./native`, binding.js and
// a `.node` binary per platform) and the same kernel built for WebAssembly
// (`./wasm`, budgetkernel.wasm, which runs everywhere). They share the
// handle table, the failure codes and the conversions in Rust, so the
// facade (`./budget`) is written once over this interface.

import { DIMS } from './dims'

/**
 * An engine: exactly the functions and constants of the napi binding
 * (binding.d.ts), with the same arguments, return values and failure
 * protocol (-1 or false, then `takeError()`).
 *
 * @internal
 */
export type Engine = Omit<typeof import('../../binding'), '__napiBindingTarget' | 'benchFloor' | 'panicProbe'>

/** The name of an engine, as `BUDGETKERNEL_ENGINE` and `ENGINE` spell it. */
export type EngineName = 'native' | 'wasm'

/** `BUDGETKERNEL_ENGINE`, read once when the package is loaded. */
const requested = process.env.BUDGETKERNEL_ENGINE

/** The code of the warning emitted (once per thread) when the main entry falls back to WebAssembly. */
export const FALLBACK_WARNING = 'BUDGETKERNEL_WASM_FALLBACK'

/**
 * Checks that an engine's kernel agrees with this JavaScript's dimension
 * table, and returns it.
 *
 * @internal
 */
export function checked<E extends Engine>(engine: E, what: string): E {
  const names = engine.dimNames()
  if (engine.MAX_DIMENSIONS !== DIMS.length || names.length !== DIMS.length || names.some((name, i) => name !== DIMS[i])) {
    throw new Error(
      `budgetkernel: the ${what} does not match this package's JavaScript (dimensions ${names.join(', ')}); reinstall the package`,
    )
  }
  return engine
}

let nativeEngine: Engine | undefined
let wasmEngine: Engine | undefined

/**
 * The napi-rs addon, loaded and checked once per thread. Throws the
 * loader's error (what was looked for, and what to do) if no binary loads.
 *
 * @internal
 */
export function loadNativeEngine(): Engine {
  if (nativeEngine === undefined) {
    // Required here, not imported, so that a process on the wasm engine
    // never tries to load a native binary.
    const { loadNative } = require('./native') as typeof import('./native')
    nativeEngine = checked(loadNative(), 'native binary')
  }
  return nativeEngine
}

/**
 * The WebAssembly engine, instantiated and checked once per thread.
 *
 * @internal
 */
export function loadWasmEngine(): Engine {
  if (wasmEngine === undefined) {
    const { loadWasm } = require('./wasm') as typeof import('./wasm')
    wasmEngine = checked(loadWasm(), 'WebAssembly kernel')
  }
  return wasmEngine
}

let selected: { engine: Engine; name: EngineName } | undefined

/**
 * The main entry's engine: the one `BUDGETKERNEL_ENGINE` names, else the
 * native addon, else (no prebuilt binary loads) the wasm engine, with one
 * `process.emitWarning` saying so.
 *
 * @internal
 */
export function selectEngine(): { engine: Engine; name: EngineName } {
  if (selected !== undefined) return selected
  if (requested === 'native') {
    selected = { engine: loadNativeEngine(), name: 'native' }
  } else if (requested === 'wasm') {
    selected = { engine: loadWasmEngine(), name: 'wasm' }
  } else if (requested === undefined || requested === '') {
    let engine: Engine
    let name: EngineName = 'native'
    try {
      engine = loadNativeEngine()
    } catch (error) {
      engine = loadWasmEngine()
      name = 'wasm'
      // What failed and where the loader looked (the package a user can
      // install to get the native engine); the rest of the loader's message
      // is advice for when nothing loads at all.
      const reason = error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error)
      process.emitWarning(
        `${reason} Using the WebAssembly engine instead (same results, slower per call); set BUDGETKERNEL_ENGINE=wasm to choose it explicitly, or BUDGETKERNEL_ENGINE=native to make this an error.`,
        { type: 'BudgetkernelWarning', code: FALLBACK_WARNING },
      )
    }
    selected = { engine, name }
  } else {
    throw new Error(`budgetkernel: BUDGETKERNEL_ENGINE must be "native" or "wasm" (or unset), got ${JSON.stringify(requested)}`)
  }
  return selected
}

/**
 * An engine for work that any engine does identically (the Redis store's
 * declaration checks): one already loaded by either entry, else the main
 * entry's selection.
 *
 * @internal
 */
export function anyEngine(): Engine {
  return selected?.engine ?? nativeEngine ?? wasmEngine ?? selectEngine().engine
}
