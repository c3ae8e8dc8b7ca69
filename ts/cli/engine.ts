/**
 * Which engine the replay runs on. `budgetkernel replay --engine native|wasm`
 * picks one before any module of the package is loaded (roster contract 2):
 * `native` sets BUDGETKERNEL_ENGINE=native and loads the main entry, `wasm`
 * loads the `budgetkernel/wasm` entry, which always uses the WebAssembly
 * build. Without the flag the main entry is loaded as it is, so it honours a
 * BUDGETKERNEL_ENGINE the caller set. Both engines give byte-identical output.
 */

/** The facade the replay drives: the package's public API. */
export type Api = typeof import('../index')

export const ENGINES = ['native', 'wasm'] as const
export type EngineName = (typeof ENGINES)[number]

/** The `budgetkernel/wasm` entry, next to the main entry in the package. */
const WASM_ENTRY = '../wasm.js'

let chosen: Api | undefined

/** True for the names `--engine` accepts. */
export function isEngineName(text: string): text is EngineName {
  return (ENGINES as readonly string[]).includes(text)
}

/**
 * Loads the facade on the given engine (or the main entry's default) and
 * makes it the one every later `facade()` returns. Throws what the loader
 * throws (no binary for this platform, no wasm build...).
 */
export function selectEngine(engine: EngineName | undefined): Api {
  if (engine === 'native') process.env.BUDGETKERNEL_ENGINE = 'native'
  // Both resolved at run time, so the choice is made before either loads.
  if (engine !== 'wasm') {
    chosen = require('../index.js') as Api
    return chosen
  }
  try {
    chosen = require(WASM_ENTRY) as Api
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'MODULE_NOT_FOUND' && err instanceof Error && err.message.includes(WASM_ENTRY)) {
      throw new Error(`budgetkernel/wasm is not part of this installation (${WASM_ENTRY} is missing); use --engine native`)
    }
    throw err
  }
  return chosen
}

/** The selected facade; the main entry when none was selected. */
export function facade(): Api {
  chosen ??= selectEngine(undefined)
  return chosen
}
