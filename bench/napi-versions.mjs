// @ts-check
/**
 * The napi-rs pin, re-measured: the addon as it ships (napi =3.12.7,
 * napi-derive =3.5.6, see crates/budgetkernel-node/Cargo.toml for why)
 * against the same crate built with the newest napi 3.16 (and the matching
 * napi-derive), without and with napi's `napi8` feature (3.15 skips its
 * class-identity check with it). Raw `charge(handle, dim, amount)` and
 * `clone` + 3 charges + `release` through each binary, in one process, in
 * interleaved rounds. Never part of npm test.
 *
 * The two newer binaries are built from a copy of the three crates in the
 * git-ignored bench/.build/napi-next/ (its own workspace and target dir;
 * the committed pin is never touched), once, or again with --rebuild.
 *
 * Writes bench/RESULTS-napi.md unless --no-write.
 *
 * Usage: node bench/napi-versions.mjs [--rounds N] [--time MS] [--rebuild] [--no-write]
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = fileURLToPath(new URL('./.build/napi-next/', import.meta.url));
const args = process.argv.slice(2);
/**
 * @param {string} name
 * @param {number} fallback
 */
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = flag('--rounds', 5);
const time = flag('--time', 200);

/** The newer napi this compares with; napi-derive is left to cargo (the newest 3.x). */
const NAPI = '~3.16';

/** Copies the crates and edits the copy's manifests (never the committed ones). */
function prepare() {
  rmSync(`${dir}crates`, { recursive: true, force: true });
  mkdirSync(`${dir}crates`, { recursive: true });
  for (const crate of ['budgetkernel', 'budgetkernel-engine', 'budgetkernel-node']) {
    cpSync(`${root}crates/${crate}`, `${dir}crates/${crate}`, { recursive: true, filter: (p) => !p.includes('/target') });
  }
  const workspace = readFileSync(`${root}Cargo.toml`, 'utf8')
    .replace(/^members = .*$/m, 'members = ["crates/budgetkernel", "crates/budgetkernel-engine", "crates/budgetkernel-node"]')
    .replace(/^default-members = .*$/m, '');
  writeFileSync(`${dir}Cargo.toml`, workspace);
  const manifest = `${dir}crates/budgetkernel-node/Cargo.toml`;
  const edited = readFileSync(manifest, 'utf8')
    .replace(/^napi = .*$/m, `napi = { version = "${NAPI}", features = ["napi6"] }`)
    .replace(/^napi-derive = .*$/m, 'napi-derive = { version = "3", default-features = false, features = ["type-def"] }')
    .replace(/^panic-probe = \[\]$/m, 'panic-probe = []\nnext-napi8 = ["napi/napi8"]');
  if (!edited.includes(NAPI) || !edited.includes('next-napi8')) throw new Error('napi-versions: the binding manifest no longer has the lines this edits');
  writeFileSync(manifest, edited);
}

/** @param {string[]} extra @param {string} out */
function build(extra, out) {
  const r = spawnSync('cargo', ['build', '--release', '-p', 'budgetkernel-node', ...extra], { cwd: dir, stdio: 'inherit', env: { ...process.env, CARGO_BUILD_JOBS: process.env.CARGO_BUILD_JOBS ?? '1' } });
  if (r.status !== 0) throw new Error(`napi-versions: cargo build ${extra.join(' ')} failed`);
  copyFileSync(`${dir}target/release/libbudgetkernel_node.so`, `${dir}${out}`);
}

if (args.includes('--rebuild') || !existsSync(`${dir}napi8.node`)) {
  prepare();
  build([], 'plain.node');
  build(['--features', 'next-napi8'], 'napi8.node');
}
/** @param {string} cwd @param {string} crate */
const version = (cwd, crate) => {
  const lock = readFileSync(`${cwd}Cargo.lock`, 'utf8');
  return new RegExp(`name = "${crate}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? '?';
};
const pinned = `napi ${version(root, 'napi')} + napi-derive ${version(root, 'napi-derive')} (the pin)`;
const next = `napi ${version(dir, 'napi')} + napi-derive ${version(dir, 'napi-derive')}`;

/** @type {[string, any][]} */
const bindings = [
  [pinned, require('../binding.js')],
  [next, require(`${dir}plain.node`)],
  [`${next}, napi8`, require(`${dir}napi8.node`)],
];

const N = 1000;
const out = { sink: 0 };
const declaration = new BigUint64Array([0n, 0n, 1n << 62n, 0n]);
/** @type {Record<string, number[]>} */
const samples = {};
for (let round = 0; round < rounds; round++) {
  const bench = new Bench({ time, warmupTime: 100 });
  for (const [name, b] of bindings) {
    const h = b.create(declaration, 1);
    if (h < 0) throw new Error(`napi-versions: create failed on ${name}`);
    // Fresh source per binding: closures of one literal would share their feedback.
    const cases = new Function('b', 'h', 'N', 'S', `// ${name}
      return [
        () => { for (let i = 0; i < N; i++) S.sink ^= b.charge(h, 0, 1); },
        () => { for (let i = 0; i < N; i++) { const c = b.clone(h); S.sink ^= b.charge(c, 0, 1) ^ b.charge(c, 0, 1) ^ b.charge(c, 0, 1); b.release(c); } },
      ]`)(b, h, N, out);
    bench.add(`${name}: charge`, cases[0]);
    bench.add(`${name}: clone + 3 charges + release`, cases[1]);
  }
  await bench.run();
  for (const task of bench.tasks) (samples[task.name] ??= []).push(((/** @type {any} */ (task.result)?.latency?.p50 ?? NaN) * 1e6) / N);
  process.stderr.write(`napi-versions: round ${round + 1}/${rounds}\n`);
}
/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const lines = ['| binary | raw charge ns | vs the pin | clone + 3 charges + release ns | vs the pin |', '|---|---:|---:|---:|---:|'];
const base = { c: median(samples[`${pinned}: charge`] ?? []), l: median(samples[`${pinned}: clone + 3 charges + release`] ?? []) };
for (const [name] of bindings) {
  const c = median(samples[`${name}: charge`] ?? []);
  const l = median(samples[`${name}: clone + 3 charges + release`] ?? []);
  lines.push(`| ${name} | ${c.toFixed(1)} | ${(c / base.c).toFixed(2)}× | ${l.toFixed(1)} | ${(l / base.l).toFixed(2)}× |`);
}
const info = `${rounds} rounds of ${time} ms per case, medians over the rounds of tinybench's per-sample medians (${N} calls a sample), one process; Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end; ${new Date().toISOString()}.`;
console.log(`${lines.join('\n')}\n\n${info}`);
if (!args.includes('--no-write')) {
  writeFileSync(fileURLToPath(new URL('./RESULTS-napi.md', import.meta.url)), [
    '# napi-rs: the pin against the newest release',
    '',
    'Written by `node bench/napi-versions.mjs`; a measurement, not a test. The same binding crate built three ways, the raw binding called directly (no facade), in one process. The pin stays while the newer builds are slower (crates/budgetkernel-node/Cargo.toml says why).',
    '',
    ...lines,
    '',
    info,
    '',
  ].join('\n'));
}
if (out.sink === 0.5) console.log(out.sink);
