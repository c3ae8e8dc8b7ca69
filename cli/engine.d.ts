/**
 * Which engine the replay runs on. `budgetkernel replay --engine native|wasm`
 * picks one before any module of the package is loaded (roster contract 2):
 * `native` sets BUDGETKERNEL_ENGINE=native and loads the main entry, `wasm`
 * loads the `budgetkernel/wasm` entry, which always uses the WebAssembly
 * build. Without the flag the main entry is loaded as it is, so it honours a
 * BUDGETKERNEL_ENGINE the caller set. Both engines give byte-identical output.
 */
/** The facade the replay drives: the package's public API. */
export type Api = typeof import('../index');
export declare const ENGINES: readonly ["native", "wasm"];
export type EngineName = (typeof ENGINES)[number];
/** True for the names `--engine` accepts. */
export declare function isEngineName(text: string): text is EngineName;
/**
 * Loads the facade on the given engine (or the main entry's default) and
 * makes it the one every later `facade()` returns. Throws what the loader
 * throws (no binary for this platform, no wasm build...).
 */
export declare function selectEngine(engine: EngineName | undefined): Api;
/** The selected facade; the main entry when none was selected. */
export declare function facade(): Api;
