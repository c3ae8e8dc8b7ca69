// @ts-check
/**
 * Builds the two floors the benchmark compares `charge()` with. Both read
 * two arguments (a dimension index and a number amount) and return 0; the
 * benchmark maps that 0 to a shared frozen object as the facade does.
 *
 * - The napi-rs floor, `benchFloor(dim, amount)`: the binding crate compiled
 *   with its `bench-floor` cargo feature, an empty `#[napi]` function. It
 *   pays the same per-call glue as every napi-rs function, `charge` included.
 * - The raw floor, `rawFloor(dim, amount)`: the bench-only crate
 *   `bench/floor-raw` (raw Node-API, no framework), i.e. the boundary itself
 *   as shared/BOUNDARY.md measures it.
 *
 * Neither is ever shipped: both go to the git-ignored `bench/.build/`, each
 * with its own cargo target directory, so they never overwrite or race the
 * shipped build in the shared `target/`.
 *
 * Usage: `node bench/build-floor.mjs` (run.mjs calls it when a floor is
 * missing or older than its sources).
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root. */
export const ROOT = join(here, '..');
/** Where the floor variant is written (git-ignored). */
export const BUILD_DIR = join(here, '.build');
const CRATE_DIR = join(ROOT, 'crates', 'budgetkernel-node');
const RAW_DIR = join(here, 'floor-raw');
const RAW_NODE = join(BUILD_DIR, 'floor-raw.node');

/**
 * Newest modification time (ms) of the given files and directories.
 * @param {string[]} paths
 * @returns {number}
 */
function newestMtime(paths) {
  let newest = 0;
  /** @param {string} p */
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) visit(join(p, name));
    } else if (st.mtimeMs > newest) {
      newest = st.mtimeMs;
    }
  };
  for (const p of paths) {
    if (existsSync(p)) visit(p);
  }
  return newest;
}

/**
 * The built `.node` file, if any.
 * @returns {string | undefined}
 */
function builtAddon() {
  if (!existsSync(BUILD_DIR)) return undefined;
  const name = readdirSync(BUILD_DIR).find((f) => f.endsWith('.node'));
  return name === undefined ? undefined : join(BUILD_DIR, name);
}

/**
 * Whether the floor must be (re)built.
 * @returns {boolean}
 */
export function floorIsStale() {
  const addon = builtAddon();
  if (addon === undefined || !existsSync(join(BUILD_DIR, 'binding.js'))) return true;
  return statSync(addon).mtimeMs < newestMtime([join(CRATE_DIR, 'src'), join(CRATE_DIR, 'Cargo.toml'),
    join(CRATE_DIR, 'build.rs'), join(ROOT, 'crates', 'budgetkernel', 'src'), join(ROOT, 'Cargo.toml'), join(ROOT, 'Cargo.lock')]);
}

/**
 * Whether the raw floor must be (re)built.
 * @returns {boolean}
 */
export function rawFloorIsStale() {
  if (!existsSync(RAW_NODE)) return true;
  return statSync(RAW_NODE).mtimeMs < newestMtime([join(RAW_DIR, 'src'), join(RAW_DIR, 'Cargo.toml'), join(RAW_DIR, 'build.rs')]);
}

/**
 * Builds the raw Node-API floor (bench/floor-raw) into bench/.build/floor-raw.node.
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function buildRawFloor() {
  const libName = { linux: 'libbench_floor_raw.so', darwin: 'libbench_floor_raw.dylib' }[/** @type {string} */ (process.platform)];
  if (libName === undefined) return { ok: false, reason: `the raw floor is not built on ${process.platform} (needs node.lib to link)` };
  mkdirSync(BUILD_DIR, { recursive: true });
  const targetDir = join(BUILD_DIR, 'floor-raw-target');
  const args = ['build', '--release', '--manifest-path', join(RAW_DIR, 'Cargo.toml'), '--target-dir', targetDir];
  process.stderr.write(`[bench] building the raw floor: cargo ${args.join(' ')}\n`);
  const r = spawnSync('cargo', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) return { ok: false, reason: `could not run cargo: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `cargo build exited with ${r.status ?? r.signal}` };
  copyFileSync(join(targetDir, 'release', libName), RAW_NODE);
  return { ok: true };
}

/**
 * Loads `rawFloor` from the raw floor build.
 * @returns {((dim: number, amount: number) => number) | { error: string }}
 */
export function loadRawFloor() {
  if (!existsSync(RAW_NODE)) return { error: 'bench/.build/floor-raw.node does not exist' };
  try {
    const require = createRequire(import.meta.url);
    const addon = require(RAW_NODE);
    if (typeof addon.rawFloor !== 'function') return { error: 'bench/.build/floor-raw.node has no rawFloor export' };
    return /** @type {(dim: number, amount: number) => number} */ (addon.rawFloor);
  } catch (e) {
    return { error: `loading bench/.build/floor-raw.node failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * Whether the binding crate declares the `bench-floor` feature yet.
 * @returns {boolean}
 */
export function floorFeatureExists() {
  const manifest = join(CRATE_DIR, 'Cargo.toml');
  if (!existsSync(manifest)) return false;
  return /^\s*bench-floor\s*=/m.test(readFileSync(manifest, 'utf8'));
}

/**
 * Builds the floor variant into bench/.build/.
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function buildFloor() {
  if (!floorFeatureExists()) {
    return { ok: false, reason: 'crates/budgetkernel-node/Cargo.toml has no `bench-floor` feature yet' };
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const args = [
    'napi', 'build',
    '--platform',
    '--release',
    '--manifest-path', 'crates/budgetkernel-node/Cargo.toml',
    '--package-json-path', 'package.json',
    '--target-dir', relative(ROOT, join(BUILD_DIR, 'target')),
    '--output-dir', relative(ROOT, BUILD_DIR),
    '--js', 'binding.js',
    '--dts', 'binding.d.ts',
    '--features', 'bench-floor',
  ];
  process.stderr.write(`[bench] building the floor: npx ${args.join(' ')}\n`);
  const r = spawnSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) return { ok: false, reason: `could not run npx: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `napi build exited with ${r.status ?? r.signal}` };
  return { ok: true };
}

/**
 * Loads `benchFloor` from the floor build.
 * @returns {((dim: number, amount: number) => number) | { error: string }}
 */
export function loadFloor() {
  const bindingPath = join(BUILD_DIR, 'binding.js');
  if (!existsSync(bindingPath)) return { error: 'bench/.build/binding.js does not exist' };
  try {
    const require = createRequire(import.meta.url);
    const binding = require(bindingPath);
    if (typeof binding.benchFloor !== 'function') {
      return { error: 'bench/.build/binding.js has no benchFloor export' };
    }
    return /** @type {(dim: number, amount: number) => number} */ (binding.benchFloor);
  } catch (e) {
    return { error: `loading bench/.build/binding.js failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  let failed = false;
  for (const [name, build, load] of /** @type {const} */ ([['benchFloor', buildFloor, loadFloor], ['rawFloor', buildRawFloor, loadRawFloor]])) {
    const built = build();
    const floor = built.ok ? load() : { error: built.reason };
    if (typeof floor !== 'function') {
      process.stderr.write(`[bench] ${name} not available: ${floor.error}\n`);
      failed = true;
      continue;
    }
    const got = floor(0, 1);
    if (got !== 0) {
      process.stderr.write(`[bench] ${name}(0, 1) returned ${String(got)}, expected 0\n`);
      failed = true;
      continue;
    }
    process.stderr.write(`[bench] ${name} built and loaded: ${name}(0, 1) === 0\n`);
  }
  process.exit(failed ? 1 : 0);
}
