#!/usr/bin/env node
/**
 * `budgetkernel replay [FILE|-] [--pretty] [--engine native|wasm]`: a thin
 * argv and I/O shell over ./replay.ts (trace logic) and ./pretty.ts (the
 * human table). The trace contract is docs/TRACE_FORMAT.md.
 *
 * Compiled by the build (ts/tsconfig.json) to cli/budgetkernel.js, which is
 * committed, so the package's `bin` runs after install without a build.
 */
export {};
