// @ts-check
/**
 * Builds the boundary's floor: the binding crate compiled with its
 * `bench-floor` cargo feature, which adds `benchFloor(dim, amount)`, a native
 * function that reads its two arguments and returns 0. That variant is never
 * shipped: it goes to the git-ignored `bench/.build/` with its own cargo
 * target directory, so it never overwrites or races the shipped build in the
 * shared `target/`.
 *
 * Usage: `node bench/build-floor.mjs` (run.mjs calls it when the floor is
 * missing or older than the binding's sources).
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root. */
export const ROOT = join(here, '..');
/** Where the floor variant is written (git-ignored). */
export const BUILD_DIR = join(here, '.build');
const CRATE_DIR = join(ROOT, 'crates', 'budgetkernel-node');

/**
 * Newest modification time (ms) of the files the floor is built from.
 * @returns {number}
 */
function sourcesMtime() {
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
  for (const p of [join(CRATE_DIR, 'src'), join(CRATE_DIR, 'Cargo.toml'), join(CRATE_DIR, 'build.rs'),
    join(ROOT, 'crates', 'budgetkernel', 'src'), join(ROOT, 'Cargo.toml'), join(ROOT, 'Cargo.lock')]) {
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
  return statSync(addon).mtimeMs < sourcesMtime();
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
  const built = buildFloor();
  if (!built.ok) {
    process.stderr.write(`[bench] floor not built: ${built.reason}\n`);
    process.exit(1);
  }
  const floor = loadFloor();
  if (typeof floor !== 'function') {
    process.stderr.write(`[bench] ${floor.error}\n`);
    process.exit(1);
  }
  const got = floor(0, 1);
  if (got !== 0) {
    process.stderr.write(`[bench] benchFloor(0, 1) returned ${String(got)}, expected 0\n`);
    process.exit(1);
  }
  process.stderr.write('[bench] floor built and loaded: benchFloor(0, 1) === 0\n');
}
