#!/usr/bin/env node
// Builds the addon: the native binary and its generated loader/typings
// (binding.js, binding.d.ts) with the napi-rs CLI, then the TypeScript
// facade (ts/index.ts and ts/lib/*.ts -> index.js, index.d.ts, lib/) with
// tsc. All of them are generated and committed; `npm test` fails if a rebuild changes them.
//
//   node scripts/build.mjs            release build (what ships)
//   node scripts/build.mjs --debug    debug build (faster to compile)
//   node scripts/build.mjs --features safe-map   forwarded to cargo
//   node scripts/build.mjs --if-missing   only if no binary is there yet (npm start)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
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

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`build: ${command} ${commandArgs.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`)
    process.exit(result.status || 1)
  }
}

const napi = fileURLToPath(new URL('../node_modules/@napi-rs/cli/dist/cli.js', import.meta.url))
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
