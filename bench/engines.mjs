// @ts-check
/**
 * The facade on its two engines, side by side in one run (`npm run bench --
 * --engines`, or `node bench/engines.mjs [--rounds N] [--time MS] [--json FILE]`):
 * the main entry forced onto the native addon and `budgetkernel/wasm`, each
 * for `charge`, `chargeMany` of 3, `chargeBatch` (per charge), `spent`,
 * `clone` (+ `release`), and a request's lifecycle (3 charges) through
 * `run()`, through `clone()` … `release()` and through what `using`
 * compiles to; then the raw wasm exports as the wasm floors (a charge, and a
 * clone + 3 charges + release) and a
 * hand-written JavaScript budget. Ratios are computed from this run only,
 * against issue 14's targets. Needs `npm run build`. Never part of npm test.
 *
 * Each engine is measured in its own process, as an application uses one:
 * V8 shares one method's type feedback between every object that reaches
 * it, so a process that drives both engines through the same facade makes
 * its call sites polymorphic and slows both (the `mixed` process below
 * measures that case, for `charge` only). The processes run in interleaved
 * rounds (native, wasm, mixed, native, wasm, mixed, ...), so a change in the
 * machine's load hits every engine alike; a figure is the median over the
 * rounds of each process's tinybench median. The raw wasm floor is measured
 * in the wasm process, beside the facade it is compared with.
 *
 * Writes bench/RESULTS-engines.md (the table, the targets, and for each miss
 * what the run says about it) unless --no-write.
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

import { NumberBudget } from './baseline.mjs';

const require = createRequire(import.meta.url);
/** The compiler's lib for these scripts has no WebAssembly types. */
const WA = /** @type {any} */ (globalThis).WebAssembly;

const args = process.argv.slice(2);
/**
 * @param {string} name
 * @param {number} fallback
 */
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const time = flag('--time', 300);
const rounds = flag('--rounds', 5);

/** Operations per task run: a single call is below the timer's resolution. */
const N = 1000;
/** Charges per chargeBatch call. */
const BATCH = 1024;

/** The facade cases, in table order. */
const CASES = [
  'charge',
  'chargeMany of 3',
  'chargeBatch of 1,024 (per charge)',
  'spent',
  'clone + release',
  'run() + 3 charges',
  'clone() + 3 charges + release()',
  'using (try/finally dispose) + 3 charges',
];

/**
 * One engine's cases. The closures are made per call of this function from
 * one literal, so in the mixed process they share their feedback, as an
 * application's own code would.
 * @param {typeof import('../index.js')} api
 * @param {{ sink: number }} out
 */
function cases(api, out) {
  const big = 2 ** 52;
  const template = api.Budget.builder().limit('tokens', big).limit('millis', big).limit('calls', big).build();
  const hot = template.clone();
  const three = /** @type {const} */ ([['tokens', 1], ['millis', 1], ['calls', 1]]);
  const dims = new Uint8Array(BATCH).map((_, i) => (i % 2 === 0 ? 0 : 3));
  const amounts = new Float64Array(BATCH).fill(1);
  /** @param {import('../index.js').Budget} b */
  const request = (b) => {
    b.charge('tokens', 1);
    b.charge('millis', 1);
    return b.charge('calls', 1);
  };
  /** @type {Record<string, () => void>} */
  const all = {
    charge: () => { for (let i = 0; i < N; i++) out.sink ^= hot.charge('tokens', 1).kind.length; },
    'chargeMany of 3': () => { for (let i = 0; i < N; i++) out.sink ^= hot.chargeMany(three).kind.length; },
    'chargeBatch of 1,024 (per charge)': () => { out.sink ^= hot.chargeBatch(dims, amounts).kind.length; },
    spent: () => { for (let i = 0; i < N; i++) out.sink ^= Number(hot.spent('calls') ?? 0n) & 1; },
    'clone + release': () => { for (let i = 0; i < N; i++) template.clone().release(); },
    'run() + 3 charges': () => { for (let i = 0; i < N; i++) out.sink ^= template.run(request).kind.length; },
    'clone() + 3 charges + release()': () => {
      for (let i = 0; i < N; i++) {
        const b = template.clone();
        out.sink ^= request(b).kind.length;
        b.release();
      }
    },
    'using (try/finally dispose) + 3 charges': () => {
      for (let i = 0; i < N; i++) {
        const b = template.clone();
        try {
          out.sink ^= request(b).kind.length;
        } finally {
          b[Symbol.dispose]();
        }
      }
    },
  };
  // A reset keeps the hot budget far from its limits between samples.
  return { all, reset: () => hot.reset() };
}

/**
 * Median ns per operation of a finished task (per charge for the batch).
 * @param {Bench} bench
 * @param {string} name
 */
function nsOf(bench, name) {
  const task = bench.tasks.find((t) => t.name === name);
  const r = /** @type {any} */ (task?.result);
  return ((r?.latency?.p50 ?? NaN) * 1e6) / (name.includes('chargeBatch') ? BATCH : N);
}

/**
 * One measuring process: `native`, `wasm` (with the raw floor and the
 * hand-written JS budget) or `mixed` (charge on both engines in one process).
 * Prints its figures as one JSON line.
 * @param {string} which
 */
async function child(which) {
  const out = { sink: 0 };
  const bench = new Bench({ time, warmupTime: 200 });
  /** @param {string} engine @param {typeof import('../index.js')} api @param {string[]} names */
  const add = (engine, api, names) => {
    const c = cases(api, out);
    for (const name of names) bench.add(`${engine}: ${name}`, /** @type {() => void} */ (c.all[name]), { afterEach: c.reset });
  };
  /** @type {typeof import('../index.js') | undefined} */
  let native;
  /** @type {typeof import('../wasm.js') | undefined} */
  let wasm;
  if (which === 'native' || which === 'mixed') {
    process.env.BUDGETKERNEL_ENGINE = 'native';
    /** @type {typeof import('../index.js')} */
    const main = require('../index.js');
    native = main;
    if (main.ENGINE !== 'native') throw new Error('bench/engines: the main entry is not on the native engine');
  }
  if (which === 'wasm' || which === 'mixed') wasm = require('../wasm.js');
  if (which === 'mixed') {
    add('mixed native', /** @type {typeof import('../index.js')} */ (native), ['charge']);
    add('mixed wasm', /** @type {typeof import('../index.js')} */ (wasm), ['charge']);
  } else if (which === 'native') {
    add('native', /** @type {typeof import('../index.js')} */ (native), CASES);
  } else {
    add('wasm', /** @type {typeof import('../index.js')} */ (wasm), CASES);
    // The wasm floor: the raw export of a separate instance, no facade, no glue.
    const raw = /** @type {any} */ (new WA.Instance(new WA.Module(readFileSync(require('../lib/wasm.js').WASM_PATH)), {}).exports);
    const at = raw.bk_reserve_words(4);
    new BigUint64Array(raw.memory.buffer, at, 4).set([0n, 0n, 1n << 62n, 0n]);
    const rawHandle = raw.bk_create(4, 1);
    // The template of the lifecycle cases (tokens, millis, calls: dimensions 0, 1, 3).
    const at3 = raw.bk_reserve_words(12);
    new BigUint64Array(raw.memory.buffer, at3, 12).set([0n, 0n, 2n ** 52n, 0n, 1n, 0n, 2n ** 52n, 0n, 3n, 0n, 2n ** 52n, 0n]);
    const rawTemplate = raw.bk_create(12, 3);
    if (rawHandle < 0 || rawTemplate < 0) throw new Error('bench/engines: raw create failed');
    bench.add('raw wasm export: charge', () => { for (let i = 0; i < N; i++) out.sink ^= raw.bk_charge(rawHandle, 0, 1); });
    bench.add('raw wasm exports: clone + 3 charges + release', () => {
      for (let i = 0; i < N; i++) {
        const h = raw.bk_clone(rawTemplate);
        out.sink ^= raw.bk_charge(h, 0, 1) + raw.bk_charge(h, 1, 1) + raw.bk_charge(h, 3, 1);
        raw.bk_release(h);
      }
    });
    const js = new NumberBudget([{ dim: 'tokens', limit: 2 ** 52 }, { dim: 'millis', limit: 2 ** 52 }, { dim: 'calls', limit: 2 ** 52 }]);
    bench.add('hand-written JS: charge', () => { for (let i = 0; i < N; i++) out.sink ^= js.charge('tokens', 1).kind.length; }, {
      afterEach: () => js.reset(),
    });
  }
  await bench.run();
  /** @type {Record<string, number>} */
  const figures = {};
  for (const task of bench.tasks) figures[task.name] = nsOf(bench, task.name);
  if (out.sink === 0.5) console.error(out.sink);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? /** @type {number} */ (s[m]) : (/** @type {number} */ (s[m - 1]) + /** @type {number} */ (s[m])) / 2;
}

/** The targets of issue 14 item 5, as [what, numerator, denominator, at most]. */
const TARGETS = /** @type {const} */ ([
  ['wasm charge / native charge', 'wasm: charge', 'native: charge', 0.25],
  ['wasm charge / raw wasm floor', 'wasm: charge', 'raw wasm export: charge', 1.5],
  ['wasm run() lifecycle / native clone()…release() lifecycle', 'wasm: run() + 3 charges', 'native: clone() + 3 charges + release()', 0.15],
]);

async function parent() {
  const self = fileURLToPath(import.meta.url);
  /** @type {Record<string, number[]>} */
  const samples = {};
  for (let round = 0; round < rounds; round++) {
    for (const which of ['native', 'wasm', 'mixed']) {
      const r = spawnSync(process.execPath, [self, '--child', which, '--time', String(time)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) throw new Error(`bench/engines: the ${which} process failed (${r.status})`);
      const figures = /** @type {Record<string, number>} */ (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}'));
      for (const [name, ns] of Object.entries(figures)) (samples[name] ??= []).push(ns);
    }
    process.stderr.write(`engines: round ${round + 1}/${rounds}\n`);
  }
  /** @type {Record<string, number>} */
  const ns = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]));
  /** @param {string} name */
  const get = (name) => ns[name] ?? NaN;
  const lines = ['| per operation (median) | native ns | wasm ns | wasm / native |', '|---|---:|---:|---:|'];
  for (const name of CASES) {
    const n = get(`native: ${name}`);
    const w = get(`wasm: ${name}`);
    lines.push(`| ${name} | ${n.toFixed(1)} | ${w.toFixed(1)} | ${(w / n).toFixed(2)} |`);
  }
  lines.push(`| raw wasm export charge (floor) | | ${get('raw wasm export: charge').toFixed(1)} | |`);
  lines.push(`| raw wasm exports clone + 3 charges + release (floor of the lifecycles) | | ${get('raw wasm exports: clone + 3 charges + release').toFixed(1)} | |`);
  lines.push(`| hand-written JS charge | ${get('hand-written JS: charge').toFixed(1)} | | |`);
  lines.push(`| charge, both engines in one process | ${get('mixed native: charge').toFixed(1)} | ${get('mixed wasm: charge').toFixed(1)} | ${(get('mixed wasm: charge') / get('mixed native: charge')).toFixed(2)} |`);
  lines.push('', '| target | this run | target | met |', '|---|---:|---:|---|');
  const targets = TARGETS.map(([what, num, den, at]) => ({ what, ratio: get(num) / get(den), at }));
  for (const t of targets) lines.push(`| ${t.what} | ${t.ratio.toFixed(3)}× | ≤ ${t.at}× | ${t.ratio <= t.at ? 'yes' : 'no'} |`);
  const info = `${rounds} interleaved rounds of one process per engine (and one with both), ${time} ms per case per round; medians over the rounds of tinybench's per-sample medians (${N} operations a sample).`;
  console.log(`${lines.join('\n')}\n\n${info}`);
  if (!args.includes('--no-write')) writeResults(lines, info, targets, get);
  const json = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  if (json !== undefined) writeFileSync(json, JSON.stringify({ ns, samples, targets, rounds, time }, null, 2));
}

/**
 * bench/RESULTS-engines.md from this run's figures.
 * @param {string[]} lines
 * @param {string} info
 * @param {{ what: string, ratio: number, at: number }[]} targets
 * @param {(name: string) => number} get
 */
function writeResults(lines, info, targets, get) {
  const wasmCharge = get('wasm: charge');
  const floor = get('raw wasm export: charge');
  const run = get('wasm: run() + 3 charges');
  const life = get('native: clone() + 3 charges + release()');
  const clone = get('wasm: clone + release');
  const rawLife = get('raw wasm exports: clone + 3 charges + release');
  /** @type {Record<string, string>} */
  const why = {
    'wasm charge / native charge': `wasm charge ${wasmCharge.toFixed(1)} ns against native ${get('native: charge').toFixed(1)} ns; the native figure is the N-API crossing (napi 3.12.7), which wasm does not pay.`,
    'wasm charge / raw wasm floor': `the facade adds ${(wasmCharge - floor).toFixed(1)} ns to the raw export's ${floor.toFixed(1)} ns: the handle and engine loads, the dimension switch, the amount's type test and the verdict lookup.`,
    'wasm run() lifecycle / native clone()…release() lifecycle': `a scope with 3 charges costs ${run.toFixed(1)} ns; ≤ 0.15× needs ${(0.15 * life).toFixed(1)} ns. Of it, ${rawLife.toFixed(1)} ns is the same clone, 3 charges and release through the raw exports (a table slot taken and given back, the 3-dimension budget copied, three charges), ${(3 * (wasmCharge - floor)).toFixed(1)} ns the facade's part of the three charges, and the scope itself (the Budget object, the call of fn, the thenable test, try/finally) the remaining ${(run - rawLife - 3 * (wasmCharge - floor)).toFixed(1)} ns. clone() + release() on wasm is ${clone.toFixed(1)} ns because of the FinalizationRegistry registration that run() skips. Meeting the target with this floor needs the scope to cost at most ${(0.15 * life - rawLife - 3 * (wasmCharge - floor)).toFixed(1)} ns. What would close it: a scope that reuses its Budget wrapper (no allocation), which is only sound if the callback cannot keep the budget (it can, so every method would need a per-scope generation check), and a kernel operation that resets a recycled slot from its template in place (no table push/pop) to lower the floor.`,
  };
  const md = [
    '# Engines: native addon and WebAssembly, side by side',
    '',
    'Written by `npm run bench -- --engines` (bench/engines.mjs); a measurement, not a test. Each engine runs in its own process (as an application uses one), the processes in interleaved rounds; ratios are from this run only.',
    '',
    `Node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end (the machine is shared); ${new Date().toISOString()}.`,
    '',
    ...lines,
    '',
    info,
    '',
    '## Misses and margins',
    '',
    ...targets.map((t) => `- **${t.what}**: ${t.ratio.toFixed(3)}× (target ≤ ${t.at}×, ${t.ratio <= t.at ? 'met' : 'missed'}): ${why[t.what] ?? ''}`),
    '',
    `Both engines driven through the facade in one process make its call sites polymorphic: charge costs ${get('mixed wasm: charge').toFixed(1)} ns on wasm and ${get('mixed native: charge').toFixed(1)} ns on native there (last row of the table).`,
    '',
  ].join('\n');
  writeFileSync(fileURLToPath(new URL('./RESULTS-engines.md', import.meta.url)), md);
}

if (args.includes('--child')) await child(args[args.indexOf('--child') + 1] ?? '');
else await parent();
