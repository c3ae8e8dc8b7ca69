// @ts-check
/**
 * The boundary floors of the two engines, side by side in one run: a raw wasm
 * export `bk_charge`, the glue's `charge` (lib/wasm.js), the raw N-API
 * binding's `charge` (binding.js), and a lifecycle (clone + 3 charges +
 * release) through each. Ratios are against the raw N-API figure of the same
 * run. Needs `npm run build` first. Never part of npm test.
 *
 * Usage: node bench/wasm-floor.mjs [--time MS]
 *
 * @module
 */

import { createRequire } from 'node:module';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
/** The compiler's lib for these scripts has no WebAssembly types. */
const WA = /** @type {any} */ (globalThis).WebAssembly;
const native = require('../binding.js');
const { instantiateWasm } = require('../lib/wasm.js');

const args = process.argv.slice(2);
const time = args.includes('--time') ? Number(args[args.indexOf('--time') + 1]) : 500;

const { engine: glue } = instantiateWasm();
// The raw exports of a second instance, called directly.
const raw = /** @type {any} */ (new WA.Instance(new WA.Module(require('node:fs').readFileSync(require('../lib/wasm.js').WASM_PATH)), {}).exports);

const declaration = new BigUint64Array([0n, 0n, 1n << 62n, 0n]);
const nh = native.create(declaration, 1);
const gh = glue.create(declaration, 1);
// The raw instance's create reads the declaration from its word buffer.
const at = raw.bk_reserve_words(4);
new BigUint64Array(raw.memory.buffer, at, 4).set(declaration);
const rh = raw.bk_create(4, 1);
if (nh < 0 || gh < 0 || rh < 0) throw new Error('wasm-floor: create failed');

let sink = 0;
/** Calls per task run: a single call is below the timer's resolution. */
const N = 1000;
const bench = new Bench({ time, warmupTime: 200 });
bench
  .add('raw N-API charge', () => { for (let i = 0; i < N; i++) sink ^= native.charge(nh, 0, 1); })
  .add('raw wasm export charge', () => { for (let i = 0; i < N; i++) sink ^= raw.bk_charge(rh, 0, 1); })
  .add('wasm glue charge', () => { for (let i = 0; i < N; i++) sink ^= glue.charge(gh, 0, 1); })
  .add('raw N-API clone+3 charges+release', () => {
    for (let i = 0; i < N; i++) {
    const c = native.clone(nh);
    sink ^= native.charge(c, 0, 1) ^ native.charge(c, 0, 1) ^ native.charge(c, 0, 1);
    native.release(c);
    }
  })
  .add('raw wasm export clone+3 charges+release', () => {
    for (let i = 0; i < N; i++) {
    const c = raw.bk_clone(rh);
    sink ^= raw.bk_charge(c, 0, 1) ^ raw.bk_charge(c, 0, 1) ^ raw.bk_charge(c, 0, 1);
    raw.bk_release(c);
    }
  })
  .add('wasm glue clone+3 charges+release', () => {
    for (let i = 0; i < N; i++) {
    const c = glue.clone(gh);
    sink ^= glue.charge(c, 0, 1) ^ glue.charge(c, 0, 1) ^ glue.charge(c, 0, 1);
    glue.release(c);
    }
  });
await bench.run();

/** @param {string} name */
const ns = (name) => {
  const task = bench.tasks.find((t) => t.name === name);
  const r = /** @type {any} */ (task?.result);
  return ((r?.latency?.p50 ?? r?.latency?.mean ?? NaN) * 1e6) / N;
};
const base = { charge: ns('raw N-API charge'), life: ns('raw N-API clone+3 charges+release') };
console.log(`| per call (median) | ns | ratio to raw N-API |\n|---|---:|---:|`);
for (const t of bench.tasks) {
  const v = ns(t.name);
  const against = t.name.includes('clone') ? base.life : base.charge;
  console.log(`| ${t.name} | ${v.toFixed(1)} | ${(v / against).toFixed(2)} |`);
}
console.log(`glue charge / raw wasm export charge: ${(ns('wasm glue charge') / ns('raw wasm export charge')).toFixed(2)}`);
if (sink === 0.5) console.log(sink);
