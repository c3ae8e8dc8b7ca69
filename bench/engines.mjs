// @ts-check
/**
 * The facade on its two engines, side by side in one run (`npm run bench --
 * --engines`, or `node bench/engines.mjs [--time MS]`): the main entry forced
 * onto the native addon and `budgetkernel/wasm`, each for `charge`,
 * `chargeMany` of 3, `chargeBatch` (per charge), `spent`, `clone` (+
 * `release`), and a request's lifecycle (3 charges) through `run()`, through
 * `clone()` … `release()` and through what `using` compiles to; then the
 * raw wasm export as the wasm floor and a hand-written JavaScript budget.
 * Ratios are computed from this run only, against the targets.
 * Needs `npm run build`. Never part of npm test.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';

import { NumberBudget } from './baseline.mjs';

process.env.BUDGETKERNEL_ENGINE = 'native';
const require = createRequire(import.meta.url);
/** The compiler's lib for these scripts has no WebAssembly types. */
const WA = /** @type {any} */ (globalThis).WebAssembly;
/** @type {typeof import('../index.js')} */
const native = require('../index.js');
/** @type {typeof import('../wasm.js')} */
const wasm = require('../wasm.js');
if (native.ENGINE !== 'native' || wasm.ENGINE !== 'wasm') throw new Error('bench/engines: the engines were not the ones asked for');

const args = process.argv.slice(2);
const time = args.includes('--time') ? Number(args[args.indexOf('--time') + 1]) : 500;

/** Operations per task run: a single call is below the timer's resolution. */
const N = 1000;
let sink = 0;
const dims = new Uint8Array(1024).map((_, i) => (i % 2 === 0 ? 0 : 3));
const amounts = new Float64Array(1024).fill(1);

/** @param {typeof native} api */
function cases(api) {
  const big = 2 ** 52;
  const template = api.Budget.builder().limit('tokens', big).limit('millis', big).limit('calls', big).build();
  const hot = template.clone();
  const three = /** @type {const} */ ([['tokens', 1], ['millis', 1], ['calls', 1]]);
  /** @param {import('../index.js').Budget} b */
  const request = (b) => {
    b.charge('tokens', 1);
    b.charge('millis', 1);
    return b.charge('calls', 1);
  };
  return {
    charge: () => { for (let i = 0; i < N; i++) sink ^= hot.charge('tokens', 1).kind.length; },
    'chargeMany of 3': () => { for (let i = 0; i < N; i++) sink ^= hot.chargeMany(three).kind.length; },
    'chargeBatch of 1,024 (per charge)': () => { sink ^= hot.chargeBatch(dims, amounts).kind.length; },
    spent: () => { for (let i = 0; i < N; i++) sink ^= Number(hot.spent('calls') ?? 0n) & 1; },
    'clone + release': () => { for (let i = 0; i < N; i++) template.clone().release(); },
    'run() + 3 charges': () => { for (let i = 0; i < N; i++) sink ^= template.run(request).kind.length; },
    'clone() + 3 charges + release()': () => {
      for (let i = 0; i < N; i++) {
        const b = template.clone();
        sink ^= request(b).kind.length;
        b.release();
      }
    },
    'using (try/finally dispose) + 3 charges': () => {
      for (let i = 0; i < N; i++) {
        const b = template.clone();
        try {
          sink ^= request(b).kind.length;
        } finally {
          b[Symbol.dispose]();
        }
      }
    },
    // A reset keeps the hot budget far from its limits between samples.
    reset: () => hot.reset(),
  };
}

const bench = new Bench({ time, warmupTime: 200 });
for (const [engine, api] of /** @type {const} */ ([['native', native], ['wasm', wasm]])) {
  const c = cases(api);
  for (const [name, fn] of Object.entries(c)) {
    if (name !== 'reset') bench.add(`${engine}: ${name}`, fn, { afterEach: c.reset });
  }
}

// The wasm floor: the raw export of a separate instance, no facade, no glue.
const raw = /** @type {any} */ (new WA.Instance(new WA.Module(readFileSync(require('../lib/wasm.js').WASM_PATH)), {}).exports);
const at = raw.bk_reserve_words(4);
new BigUint64Array(raw.memory.buffer, at, 4).set([0n, 0n, 1n << 62n, 0n]);
const rawHandle = raw.bk_create(4, 1);
if (rawHandle < 0) throw new Error('bench/engines: raw create failed');
bench.add('raw wasm export: charge', () => { for (let i = 0; i < N; i++) sink ^= raw.bk_charge(rawHandle, 0, 1); });

const js = new NumberBudget([{ dim: 'tokens', limit: 2 ** 52 }, { dim: 'millis', limit: 2 ** 52 }, { dim: 'calls', limit: 2 ** 52 }]);
bench.add('hand-written JS: charge', () => { for (let i = 0; i < N; i++) sink ^= js.charge('tokens', 1).kind.length; }, {
  afterEach: () => js.reset(),
});

await bench.run();

/** Median ns per operation (per charge for the batch). @param {string} name */
const ns = (name) => {
  const task = bench.tasks.find((t) => t.name === name);
  const r = /** @type {any} */ (task?.result);
  const perSample = name.includes('chargeBatch') ? 1024 : N;
  return ((r?.latency?.p50 ?? NaN) * 1e6) / perSample;
};

console.log('| per operation (median of samples) | native ns | wasm ns | wasm / native |\n|---|---:|---:|---:|');
for (const name of Object.keys(cases(native))) {
  if (name === 'reset') continue;
  const n = ns(`native: ${name}`);
  const w = ns(`wasm: ${name}`);
  console.log(`| ${name} | ${n.toFixed(1)} | ${w.toFixed(1)} | ${(w / n).toFixed(2)} |`);
}
const floor = ns('raw wasm export: charge');
console.log(`| raw wasm export charge (floor) | | ${floor.toFixed(1)} | |`);
console.log(`| hand-written JS charge | ${ns('hand-written JS: charge').toFixed(1)} | | |`);

const targets = [
  ['wasm charge / native charge', ns('wasm: charge') / ns('native: charge'), 0.25],
  ['wasm charge / raw wasm floor', ns('wasm: charge') / floor, 1.5],
  ['wasm run() lifecycle / native clone()…release() lifecycle', ns('wasm: run() + 3 charges') / ns('native: clone() + 3 charges + release()'), 0.15],
];
console.log('\n| target | this run | target | met |\n|---|---:|---:|---|');
for (const [what, ratio, target] of targets) {
  console.log(`| ${what} | ${Number(ratio).toFixed(2)}× | ≤ ${target}× | ${Number(ratio) <= Number(target) ? 'yes' : 'no'} |`);
}
if (sink === 0.5) console.log(sink);
