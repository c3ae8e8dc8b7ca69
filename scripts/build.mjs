#!/usr/bin/env node
// Builds the addon: the native binary and its generated loader/typings
// (binding.js, binding.d.ts) with the napi-rs CLI, then the TypeScript
// facade (ts/index.ts and ts/lib/*.ts -> index.js, index.d.ts, lib/) with
// tsc. All of them are generated and committed; `npm test` fails if a rebuild changes them.
// Then the wasm engine, budgetkernel.wasm at the root (crates/budgetkernel-wasm; not
// committed, shipped in the package like the .node files), with Debian's rustc-web,
// -Zbuild-std and wasm-ld-16 (scripts/cross.mjs --install-deps installs them);
// where those are absent (a GitHub runner), with the cargo on PATH, its
// rust-src and wasm32-unknown-unknown std, and rustc's own rust-lld.
//
//   node scripts/build.mjs            release build (what ships)
//   node scripts/build.mjs --debug    debug build (faster to compile)
//   node scripts/build.mjs --features safe-map   forwarded to cargo
//   node scripts/build.mjs --if-missing   only if no binary is there yet (npm start)
//   node scripts/build.mjs --wasm-only    only budgetkernel.wasm (the release's wasm job)
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const debug = args.includes('--debug')
const features = args.includes('--features') ? ['--features', args[args.indexOf('--features') + 1]] : []

if (args.includes('--if-missing')) {
  const binary = `budgetkernel.${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''}.node`
  if (existsSync(new URL(`../${binary}`, import.meta.url))) process.exit(0)
  console.error(`build: ${binary} is not built yet; building the native addon once (a minute or two)...`)
}

function run(command, commandArgs, env = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  if (result.status !== 0) {
    console.error(`build: ${command} ${commandArgs.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`)
    process.exit(result.status || 1)
  }
}

const napi = fileURLToPath(new URL('../node_modules/@napi-rs/cli/dist/cli.js', import.meta.url))
if (!args.includes('--wasm-only')) buildAddon()

/** The native binary with its loader and typings, then the facade. */
function buildAddon() {
  run(process.execPath, [
    napi,
    'build',
    '--platform',
    ...(debug ? [] : ['--release']),
    '--manifest-path', 'crates/budgetkernel-node/Cargo.toml',
    '--package-json-path', 'package.json',
    '--output-dir', '.',
    '--js', 'binding.js',
    '--dts', 'binding.d.ts',
    ...features,
  ])
  run(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'ts/tsconfig.json'])
}

// The wasm engine. Its memory is capped (WASM_MAX_MEMORY): at the cap, create/clone
// fail with TABLE_FULL (every growing allocation in the engine is try_reserve).
export const WASM_MAX_MEMORY = 1024 * 1024 * 1024
const wasmTarget = 'wasm32-unknown-unknown'
const wasmOut = `target/${wasmTarget}/wasm/budgetkernel_wasm.wasm`
const wasmFlags = { RUSTC_BOOTSTRAP: '1', RUSTFLAGS: `-C link-arg=--max-memory=${WASM_MAX_MEMORY}` }
const cargoArgs = ['build', '--profile', 'wasm', '-p', 'budgetkernel-wasm', '--target', wasmTarget, '-Zbuild-std=std,panic_abort']
if (existsSync('/usr/bin/wasm-ld-16')) {
  run('/usr/bin/cargo', cargoArgs, {
    ...wasmFlags,
    PATH: `/usr/bin:${process.env.PATH}`,
    RUSTC: '/usr/bin/rustc',
    [`CARGO_TARGET_${wasmTarget.toUpperCase().replaceAll('-', '_')}_LINKER`]: '/usr/bin/wasm-ld-16',
  })
} else {
  run('cargo', cargoArgs, wasmFlags)
}
const wasmFile = fileURLToPath(new URL('../budgetkernel.wasm', import.meta.url))
if (existsSync('/usr/bin/wasm-opt')) {
  // Debian 12 binaryen starts from the MVP feature set; these are the ones rustc emits.
  const features = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue'].map((f) => `--enable-${f}`)
  run('/usr/bin/wasm-opt', ['-O3', ...features, wasmOut, '-o', wasmFile])
} else {
  copyFileSync(new URL(`../${wasmOut}`, import.meta.url), wasmFile)
}
console.error(`build: budgetkernel.wasm ${statSync(wasmFile).size} bytes`)
