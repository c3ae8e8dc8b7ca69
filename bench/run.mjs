// @ts-check
/**
 * `npm run bench` (`-- --quick` for a run under a minute).
 *
 * One process, one run: the addon's charge paths, the checkpoint pattern,
 * chargeBatch, per-request budgets, and the baselines (the boundary's floor,
 * hand-written JavaScript with number and with BigInt, rate-limiter-flexible)
 * are measured side by side with tinybench; then a zero-minor-GC check over a
 * million charge() calls per path; then the Rust criterion benchmarks. The
 * targets of issue 5 are computed from this run only.
 *
 * How each case is timed: a tinybench sample is one call of the task
 * function, which performs `opsPerSample` operations in a loop (1,000 charges,
 * 8 batches of 1,024, ...). Reported figures are per operation (and per
 * charge where an operation is several charges): the mean is exact, the p99
 * is the 99th percentile of per-sample averages, i.e. of 1,000-call means,
 * not of single calls (a single 30 ns call is below what a timer resolves).
 *
 * Flags: --engines (only the native-vs-wasm table, bench/engines.mjs),
 * --redis (only the shared-budget section, bench/redis.mjs), --signal (only
 * budget.signal's cost, bench/signal.mjs), --quick,
 * --no-rust (skip cargo bench), --no-floor-build (use
 * bench/.build as it is), --no-write (print only, do not write RESULTS.md
 * and results.svg).
 *
 * @module
 */

process.env.NODE_ENV = 'production';

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { Bench } from 'tinybench';

import { BigIntBudget, CONTINUE as JS_CONTINUE, NumberBudget } from './baseline.mjs';
import { ROOT, buildFloor, buildRawFloor, floorIsStale, loadFloor, loadRawFloor, rawFloorIsStale } from './build-floor.mjs';
import { pairOursUpstream, runCriterion } from './criterion.mjs';
import { evaluateTargets, printReport, writeReport } from './report.mjs';

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
if (argv.has('--engines')) {
  // The facade on the native and the wasm engine side by side (bench/engines.mjs).
  await import('./engines.mjs');
  process.exit(0);
}
if (argv.has('--signal')) {
  // What budget.signal costs budgets that never read it (bench/signal.mjs).
  await import('./signal.mjs');
  process.exit(0);
}
if (argv.has('--redis')) {
  // The shared-budget section: its own server and peers (bench/redis.mjs).
  await import('./redis.mjs');
  process.exit(0);
}
const require = createRequire(import.meta.url);

/** @typedef {import('./report.mjs').CaseResult} CaseResult */
/** @typedef {import('./report.mjs').RunInfo} RunInfo */

/**
 * @typedef {object} Case
 * @property {string} id
 * @property {string} label          human name for tables and the chart
 * @property {'addon' | 'floor' | 'js' | 'rlf'} kind
 * @property {number} opsPerSample   operations per task-function call
 * @property {number | null} chargesPerOp  charges per operation; null when an operation is not a charge
 * @property {() => unknown} fn      performs opsPerSample operations
 * @property {() => void} [check]    throws when the state drifted (runs after each sample, untimed)
 * @property {() => void} [prepare]  untimed, once before warmup
 */

/** Total u64 limit: the continuing paths can never exhaust. */
const U64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------- the addon
/** @type {any} */
let api;
/** @type {string | undefined} */
let addonError;
try {
  api = require(join(ROOT, 'index.js'));
  if (typeof api?.Budget?.builder !== 'function') addonError = 'index.js does not export Budget.builder';
} catch (e) {
  addonError = `require('index.js') failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
}

/**
 * Whether the shipped build this run measures is older than its sources
 * (then the figures describe old code: rebuild with `npm run build`).
 * @returns {string[]} what is stale
 */
function staleBuild() {
  /** @type {string[]} */
  const stale = [];
  /** @param {string} p @returns {number} */
  const mtime = (p) => {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) return st.mtimeMs;
      return Math.max(0, ...readdirSync(p).map((f) => mtime(join(p, f))));
    } catch {
      return 0;
    }
  };
  const nodeFile = readdirSync(ROOT).find((f) => f.startsWith('budgetkernel.') && f.endsWith('.node'));
  if (nodeFile !== undefined && mtime(join(ROOT, nodeFile)) < Math.max(mtime(join(ROOT, 'crates', 'budgetkernel-node', 'src')), mtime(join(ROOT, 'crates', 'budgetkernel', 'src')))) {
    stale.push(`${nodeFile} was built before the latest change to the Rust sources (check whether that change touched code)`);
  }
  if (mtime(join(ROOT, 'lib')) < mtime(join(ROOT, 'ts'))) stale.push('the compiled facade (lib/) is older than its sources (ts/)');
  return stale;
}
const staleNote = staleBuild();
for (const note of staleNote) process.stderr.write(`[bench] WARNING: ${note}; run \`npm run build\` first, or these figures describe old code\n`);

// --------------------------------------------------------------- the floors
/**
 * Builds (if stale) and loads one floor.
 * @param {() => boolean} isStale
 * @param {() => ({ ok: true } | { ok: false, reason: string })} build
 * @param {() => (((dim: number, amount: number) => number) | { error: string })} load
 * @returns {{ fn?: (dim: number, amount: number) => number, error?: string }}
 */
function floorOf(isStale, build, load) {
  if (!argv.has('--no-floor-build') && isStale()) {
    const built = build();
    if (!built.ok) return { error: built.reason };
  }
  const f = load();
  return typeof f === 'function' ? { fn: f } : { error: f.error };
}
const napiFloor = floorOf(floorIsStale, buildFloor, loadFloor);
const rawFloor = floorOf(rawFloorIsStale, buildRawFloor, loadRawFloor);

// The floor maps its int result to one of 17 shared frozen objects, as the
// facade does, so it returns the same shape as charge().
const FLOOR_DIMS = ['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2'];
const FLOOR_VERDICTS = Object.freeze([
  Object.freeze({ kind: 'continue' }),
  ...FLOOR_DIMS.map((dim) => Object.freeze({ kind: 'warn', dim })),
  ...FLOOR_DIMS.map((dim) => Object.freeze({ kind: 'exhausted', dim })),
]);

// ------------------------------------------------- rate-limiter-flexible
/** @type {any} */
const { RateLimiterMemory } = require('rate-limiter-flexible');
/**
 * Config: points = Number.MAX_SAFE_INTEGER, duration = 0 (the window never
 * expires: the same fixed-budget semantics as a kernel budget, and RLF's
 * cheapest path: no clock read, no timer). One point per consume, one key,
 * so it never rejects during the run.
 */
const RLF_CONFIG = Object.freeze({ points: Number.MAX_SAFE_INTEGER, duration: 0 });

// ------------------------------------------------------------------- sinks
/** Last result of every case, checked after each sample: no dead code, no drift. */
/** @type {any} */
let last;

/**
 * @param {string} expectedKind
 * @returns {() => void}
 */
const expectKind = (expectedKind) => () => {
  if (last === null || typeof last !== 'object' || last.kind !== expectedKind) {
    throw new Error(`state drift: expected a ${expectedKind} verdict, got ${JSON.stringify(last)}`);
  }
};

// ----------------------------------------------------------------- the cases
const OPS = 1000;
const BATCH = 1024;
const BATCHES_PER_SAMPLE = 8;
const REQUESTS_PER_SAMPLE = 100;

/** @type {Case[]} */
const cases = [];
/** @type {Map<string, string>} case id -> why it was not run */
const skipped = new Map();

// The batch workload: 1,024 charges cycling over three declared dimensions.
const batchDims = new Uint8Array(BATCH);
const batchF64 = new Float64Array(BATCH);
const batchU64 = new BigUint64Array(BATCH);
const BATCH_DIM_CYCLE = [0, 1, 3]; // tokens, millis, calls
for (let i = 0; i < BATCH; i++) {
  batchDims[i] = BATCH_DIM_CYCLE[i % 3] ?? 0;
  batchF64[i] = (i % 7) + 1;
  batchU64[i] = BigInt((i % 7) + 1);
}

if (rawFloor.fn !== undefined) {
  const floor = rawFloor.fn;
  cases.push({
    id: 'floor.raw', label: 'floor: empty raw Node-API call (dim, amount)', kind: 'floor',
    opsPerSample: OPS, chargesPerOp: 1,
    fn() { for (let i = 0; i < OPS; i++) last = FLOOR_VERDICTS[floor(0, 1)]; },
    check: expectKind('continue'),
  });
} else {
  skipped.set('floor.raw', rawFloor.error ?? 'raw floor unavailable');
}
if (napiFloor.fn !== undefined) {
  const floor = napiFloor.fn;
  cases.push({
    id: 'floor.napi', label: 'floor: empty napi-rs #[napi] fn (dim, amount)', kind: 'floor',
    opsPerSample: OPS, chargesPerOp: 1,
    fn() { for (let i = 0; i < OPS; i++) last = FLOOR_VERDICTS[floor(0, 1)]; },
    check: expectKind('continue'),
  });
} else {
  skipped.set('floor.napi', napiFloor.error ?? 'napi-rs floor unavailable');
}

if (api !== undefined && addonError === undefined) {
  const { Budget } = api;
  // Number amounts first: V8's feedback in the facade is shared by all cases,
  // so the bigint cases run after the number ones, as in an app that uses
  // one amount type.
  const contN = Budget.builder().limitWithWarn('tokens', U64_MAX, 1n << 63n).build();
  const warnN = Budget.builder().limitWithWarn('tokens', U64_MAX, 0).build();
  const exhN = Budget.builder().limit('tokens', 1).build();
  const contB = Budget.builder().limitWithWarn('tokens', U64_MAX, 1n << 63n).build();
  const warnB = Budget.builder().limitWithWarn('tokens', U64_MAX, 0).build();
  const exhB = Budget.builder().limit('tokens', 1).build();
  cases.push(
    {
      id: 'charge.continue.number', label: 'charge() continue, number', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = contN.charge('tokens', 1); },
      check: expectKind('continue'),
    },
    {
      id: 'charge.warn.number', label: 'charge() warn, number', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = warnN.charge('tokens', 1); },
      check: expectKind('warn'),
    },
    {
      id: 'charge.exhausted.number', label: 'charge() exhausted, number', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      prepare() { exhN.charge('tokens', 2); },
      fn() { for (let i = 0; i < OPS; i++) last = exhN.charge('tokens', 1); },
      check: expectKind('exhausted'),
    },
  );

  // Decomposition, not a target: the binding's own charge export called
  // directly, without the facade (dimension switch, amount typeof, verdict
  // lookup). It uses the binding's internal create() layout, so it is skipped
  // when that changes.
  try {
    const native = require(join(ROOT, 'binding.js'));
    const h = native.create(BigUint64Array.of(0n, 0n, U64_MAX, 0n), 1);
    if (typeof h !== 'number' || h < 0 || native.charge(h, 0, 0) !== 0) throw new Error('unexpected create()/charge() result');
    cases.push({
      id: 'native.charge', label: 'binding charge() direct, no facade', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = FLOOR_VERDICTS[native.charge(h, 0, 1)]; },
      check: expectKind('continue'),
    });
  } catch (e) {
    skipped.set('native.charge', `binding.js internals differ from what the bench expects: ${e instanceof Error ? e.message : String(e)}`);
  }

  const cp3 = Budget.builder().limit('tokens', U64_MAX).limit('millis', U64_MAX).limit('calls', U64_MAX).build();
  const cpArr = cp3.clone();
  const cpObj = cp3.clone();
  cases.push(
    {
      id: 'checkpoint.three', label: 'checkpoint: 3 × charge()', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 3,
      fn() {
        for (let i = 0; i < OPS; i++) {
          cp3.charge('tokens', 120);
          cp3.charge('millis', 35);
          last = cp3.charge('calls', 1);
        }
      },
      check: expectKind('continue'),
    },
    {
      id: 'checkpoint.many.array', label: 'checkpoint: chargeMany([[d, n] × 3])', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 3,
      fn() {
        for (let i = 0; i < OPS; i++) last = cpArr.chargeMany([['tokens', 120], ['millis', 35], ['calls', 1]]);
      },
      check: expectKind('continue'),
    },
    {
      id: 'checkpoint.many.object', label: 'checkpoint: chargeMany({ d: n } × 3)', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 3,
      fn() {
        for (let i = 0; i < OPS; i++) last = cpObj.chargeMany({ tokens: 120, millis: 35, calls: 1 });
      },
      check: expectKind('continue'),
    },
  );

  const batchBudgetF = cp3.clone();
  const batchBudgetU = cp3.clone();
  cases.push(
    {
      id: 'batch.f64', label: 'chargeBatch(1,024) Float64Array', kind: 'addon',
      opsPerSample: BATCHES_PER_SAMPLE, chargesPerOp: BATCH,
      fn() { for (let i = 0; i < BATCHES_PER_SAMPLE; i++) last = batchBudgetF.chargeBatch(batchDims, batchF64); },
      check: expectKind('continue'),
    },
  );

  const template = Budget.builder().limit('tokens', 4096).limitWithWarn('millis', 30000, 25000).limit('calls', 16).build();
  cases.push(
    {
      id: 'request.builder', label: 'per request: builder()…build()', kind: 'addon',
      opsPerSample: REQUESTS_PER_SAMPLE, chargesPerOp: null,
      fn() {
        for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) {
          last = Budget.builder().limit('tokens', 4096).limitWithWarn('millis', 30000, 25000).limit('calls', 16).build();
        }
      },
      check() { if (!(last instanceof Budget)) throw new Error('builder path did not return a Budget'); },
    },
    {
      id: 'request.clone', label: 'per request: template.clone()', kind: 'addon',
      opsPerSample: REQUESTS_PER_SAMPLE, chargesPerOp: null,
      fn() { for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) last = template.clone(); },
      check() { if (!(last instanceof Budget)) throw new Error('clone did not return a Budget'); },
    },
    // One request's whole lifecycle: its budget, the usual three charges,
    // and its end. The clone path releases at once (what `using` does); the
    // builder path builds and leaves the budget to the garbage collector,
    // as code written before release() existed does.
    {
      id: 'request.lifecycle', label: 'per request: clone() + 3 charges + release()', kind: 'addon',
      opsPerSample: REQUESTS_PER_SAMPLE, chargesPerOp: null,
      fn() {
        for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) {
          const b = template.clone();
          b.charge('tokens', 100);
          b.charge('millis', 20);
          last = b.charge('calls', 1);
          b.release();
        }
      },
      check: expectKind('continue'),
    },
    {
      id: 'request.lifecycle.builder', label: 'per request: builder()…build() + 3 charges', kind: 'addon',
      opsPerSample: REQUESTS_PER_SAMPLE, chargesPerOp: null,
      fn() {
        for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) {
          const b = Budget.builder().limit('tokens', 4096).limitWithWarn('millis', 30000, 25000).limit('calls', 16).build();
          b.charge('tokens', 100);
          b.charge('millis', 20);
          last = b.charge('calls', 1);
        }
      },
      check: expectKind('continue'),
    },
  );

  // BigInt amounts last (see above).
  cases.push(
    {
      id: 'charge.continue.bigint', label: 'charge() continue, bigint', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = contB.charge('tokens', 1n); },
      check: expectKind('continue'),
    },
    {
      id: 'charge.warn.bigint', label: 'charge() warn, bigint', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = warnB.charge('tokens', 1n); },
      check: expectKind('warn'),
    },
    {
      id: 'charge.exhausted.bigint', label: 'charge() exhausted, bigint', kind: 'addon',
      opsPerSample: OPS, chargesPerOp: 1,
      prepare() { exhB.charge('tokens', 2n); },
      fn() { for (let i = 0; i < OPS; i++) last = exhB.charge('tokens', 1n); },
      check: expectKind('exhausted'),
    },
    {
      id: 'batch.u64', label: 'chargeBatch(1,024) BigUint64Array', kind: 'addon',
      opsPerSample: BATCHES_PER_SAMPLE, chargesPerOp: BATCH,
      fn() { for (let i = 0; i < BATCHES_PER_SAMPLE; i++) last = batchBudgetU.chargeBatch(batchDims, batchU64); },
      check: expectKind('continue'),
    },
  );
} else {
  for (const id of ['charge.continue.number', 'charge.warn.number', 'charge.exhausted.number',
    'checkpoint.three', 'checkpoint.many.array', 'checkpoint.many.object', 'batch.f64',
    'request.builder', 'request.clone', 'request.lifecycle', 'request.lifecycle.builder', 'charge.continue.bigint', 'charge.warn.bigint',
    'charge.exhausted.bigint', 'batch.u64']) {
    skipped.set(id, addonError ?? 'addon unavailable');
  }
}

// Hand-written JavaScript, number counters (exact below 2^53 only).
{
  const MAX = Number.MAX_SAFE_INTEGER;
  const cont = new NumberBudget([{ dim: 'tokens', limit: MAX, warn: 2 ** 52 }]);
  const warn = new NumberBudget([{ dim: 'tokens', limit: MAX, warn: 0 }]);
  const exh = new NumberBudget([{ dim: 'tokens', limit: 1 }]);
  const loop = new NumberBudget([{ dim: 'tokens', limit: MAX }, { dim: 'millis', limit: MAX }, { dim: 'calls', limit: MAX }]);
  const names = /** @type {const} */ (['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2']);
  cases.push(
    {
      id: 'js.number.continue', label: 'JS number: charge() continue', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = cont.charge('tokens', 1); },
      check: expectKind('continue'),
    },
    {
      id: 'js.number.warn', label: 'JS number: charge() warn', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = warn.charge('tokens', 1); },
      check: expectKind('warn'),
    },
    {
      id: 'js.number.exhausted', label: 'JS number: charge() exhausted', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      prepare() { exh.charge('tokens', 2); },
      fn() { for (let i = 0; i < OPS; i++) last = exh.charge('tokens', 1); },
      check: expectKind('exhausted'),
    },
    {
      // The JS user's chargeBatch: the same 1,024 charges in a loop, keeping
      // the worst verdict (no up-front validation pass, which the addon does).
      id: 'js.number.loop', label: 'JS number: loop of 1,024 charge()', kind: 'js',
      opsPerSample: BATCHES_PER_SAMPLE, chargesPerOp: BATCH,
      fn() {
        for (let b = 0; b < BATCHES_PER_SAMPLE; b++) {
          let worst = JS_CONTINUE;
          for (let i = 0; i < BATCH; i++) {
            const v = loop.charge(names[batchDims[i]], batchF64[i]);
            if (v !== JS_CONTINUE && (worst === JS_CONTINUE || (v.kind === 'exhausted' && worst.kind !== 'exhausted'))) worst = v;
          }
          last = worst;
        }
      },
      check: expectKind('continue'),
    },
  );
}

// Hand-written JavaScript, BigInt counters (exact to 2^64 - 1).
{
  const cont = new BigIntBudget([{ dim: 'tokens', limit: U64_MAX, warn: 1n << 63n }]);
  const warn = new BigIntBudget([{ dim: 'tokens', limit: U64_MAX, warn: 0n }]);
  const exh = new BigIntBudget([{ dim: 'tokens', limit: 1n }]);
  const loop = new BigIntBudget([{ dim: 'tokens', limit: U64_MAX }, { dim: 'millis', limit: U64_MAX }, { dim: 'calls', limit: U64_MAX }]);
  const names = /** @type {const} */ (['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2']);
  cases.push(
    {
      id: 'js.bigint.continue', label: 'JS BigInt: charge() continue', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = cont.charge('tokens', 1n); },
      check: expectKind('continue'),
    },
    {
      id: 'js.bigint.warn', label: 'JS BigInt: charge() warn', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      fn() { for (let i = 0; i < OPS; i++) last = warn.charge('tokens', 1n); },
      check: expectKind('warn'),
    },
    {
      id: 'js.bigint.exhausted', label: 'JS BigInt: charge() exhausted', kind: 'js',
      opsPerSample: OPS, chargesPerOp: 1,
      prepare() { exh.charge('tokens', 2n); },
      fn() { for (let i = 0; i < OPS; i++) last = exh.charge('tokens', 1n); },
      check: expectKind('exhausted'),
    },
    {
      id: 'js.bigint.loop', label: 'JS BigInt: loop of 1,024 charge()', kind: 'js',
      opsPerSample: BATCHES_PER_SAMPLE, chargesPerOp: BATCH,
      fn() {
        for (let b = 0; b < BATCHES_PER_SAMPLE; b++) {
          let worst = JS_CONTINUE;
          for (let i = 0; i < BATCH; i++) {
            const v = loop.charge(names[batchDims[i]], batchU64[i]);
            if (v !== JS_CONTINUE && (worst === JS_CONTINUE || (v.kind === 'exhausted' && worst.kind !== 'exhausted'))) worst = v;
          }
          last = worst;
        }
      },
      check: expectKind('continue'),
    },
  );
}

{
  const limiter = new RateLimiterMemory(RLF_CONFIG);
  cases.push({
    id: 'rlf.consume', label: 'rate-limiter-flexible: await consume()', kind: 'rlf',
    opsPerSample: OPS, chargesPerOp: 1,
    async fn() { for (let i = 0; i < OPS; i++) last = await limiter.consume('request', 1); },
    check() {
      if (!(typeof last?.remainingPoints === 'number' && last.remainingPoints > 0)) {
        throw new Error('rate-limiter-flexible ran out of points');
      }
    },
  });
}

// ---------------------------------------------------------------- the run
/**
 * Machine facts and how busy the machine was.
 * @returns {{ loadavg: number[], busy: string[] }}
 */
function loadSnapshot() {
  /** @type {string[]} */
  const busy = [];
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      let comm = '';
      try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { continue; }
      if (/^(rustc|cargo|cc|c\+\+|ld|ld\.lld|node|tsc|esbuild|vitest)$/.test(comm)) busy.push(comm);
    }
  } catch {
    // not Linux: no process list
  }
  return { loadavg: os.loadavg(), busy };
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @returns {string}
 */
function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * CPU time (s) the whole machine spent busy, from /proc/stat; undefined off Linux.
 * @returns {number | undefined}
 */
function machineBusySeconds() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal ...
    const busy = cpu.reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * CPU time (s) used by this process and its waited-for children (the cargo builds and benches).
 * @returns {number}
 */
function ownCpuSeconds() {
  const self = process.cpuUsage();
  let children = 0;
  try {
    // /proc/self/stat fields 16 and 17: cutime, cstime (after the parenthesised comm).
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // not Linux
  }
  return (self.user + self.system) / 1e6 + (Number.isFinite(children) ? children : 0);
}

const startedAt = new Date();
const busyAtStart = machineBusySeconds();
const ownAtStart = ownCpuSeconds();
const loadAtStart = loadSnapshot();
process.stderr.write(`[bench] ${QUICK ? 'quick' : 'full'} run, ${cases.length} cases; load average ${loadAtStart.loadavg.map((l) => l.toFixed(2)).join(' ')}\n`);
for (const [id, why] of skipped) process.stderr.write(`[bench] not run: ${id}: ${why}\n`);

const bench = new Bench({
  time: QUICK ? 250 : 1500,
  warmupTime: QUICK ? 100 : 300,
  iterations: 16,
  warmupIterations: 4,
  throws: false,
});
for (const c of cases) {
  c.prepare?.();
  bench.add(c.id, c.fn, { afterEach: c.check });
}
await bench.run();

/** @type {CaseResult[]} */
const results = [];
for (const c of cases) {
  const task = bench.getTask(c.id);
  const r = task?.result;
  if (r === undefined || !('latency' in r) || r.state !== 'completed') {
    const why = r !== undefined && 'error' in r ? r.error.message : `state ${r?.state ?? 'missing'}`;
    results.push({ id: c.id, label: c.label, kind: c.kind, chargesPerOp: c.chargesPerOp, status: 'failed', reason: why });
    continue;
  }
  const toNs = 1e6 / c.opsPerSample;
  results.push({
    id: c.id, label: c.label, kind: c.kind, chargesPerOp: c.chargesPerOp, status: 'ok',
    meanNs: r.latency.mean * toNs,
    p50Ns: r.latency.p50 * toNs,
    p99Ns: r.latency.p99 * toNs,
    rme: r.latency.rme,
    samples: r.latency.samplesCount,
    opsPerSample: c.opsPerSample,
  });
}
for (const [id, why] of skipped) {
  results.push({ id, label: id, kind: id.startsWith('floor') ? 'floor' : 'addon', chargesPerOp: null, status: 'not run', reason: why });
}

// ------------------------------------------------------ zero-minor-GC check
/**
 * Counts minor (scavenge) collections while `fn` runs, after a warmup.
 * @param {() => void} fn
 * @returns {Promise<number>}
 */
async function minorGcsDuring(fn) {
  fn(); // warm up: tier up and settle allocations from compilation
  await new Promise((r) => setTimeout(r, 20));
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = /** @type {any} */ (e).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50));
  for (const e of obs.takeRecords()) {
    if (/** @type {any} */ (e).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minor++;
  }
  obs.disconnect();
  return minor;
}

const MILLION = 1_000_000;
/** @type {import('./report.mjs').GcResult[]} */
const gc = [];
if (api !== undefined && addonError === undefined) {
  const { Budget } = api;
  const paths = [
    { id: 'continue, number', b: Budget.builder().limitWithWarn('tokens', U64_MAX, 1n << 63n).build(), a: 1 },
    { id: 'warn, number', b: Budget.builder().limitWithWarn('tokens', U64_MAX, 0).build(), a: 1 },
    { id: 'exhausted, number', b: Budget.builder().limit('tokens', 1).build(), a: 1 },
    { id: 'continue, bigint', b: Budget.builder().limitWithWarn('tokens', U64_MAX, 1n << 63n).build(), a: 1n },
    { id: 'warn, bigint', b: Budget.builder().limitWithWarn('tokens', U64_MAX, 0).build(), a: 1n },
    { id: 'exhausted, bigint', b: Budget.builder().limit('tokens', 1).build(), a: 1n },
  ];
  for (const p of paths) {
    const { b, a } = p;
    const n = await minorGcsDuring(() => { for (let i = 0; i < MILLION; i++) last = b.charge('tokens', a); });
    gc.push({ id: `addon charge() ${p.id}`, minorGcs: n, control: false });
  }
}
{
  // Control: the BigInt baseline allocates a BigInt per charge, so the
  // detector must see collections here; otherwise the check proves nothing.
  const b = new BigIntBudget([{ dim: 'tokens', limit: U64_MAX }]);
  const n = await minorGcsDuring(() => { for (let i = 0; i < MILLION; i++) last = b.charge('tokens', 1n); });
  gc.push({ id: 'control: JS BigInt charge() (allocates)', minorGcs: n, control: true });
}

// ------------------------------------------------------------------ Rust
/** @type {import('./criterion.mjs').BenchInvocation[]} */
const rust = [];
if (!argv.has('--no-rust')) {
  rust.push(runCriterion(ROOT, 'crosscheck', 'versus_upstream', QUICK));
  rust.push(runCriterion(ROOT, 'budgetkernel', 'charge', QUICK));
}
const pairs = pairOursUpstream(rust.flatMap((r) => r.results));

// ------------------------------------------------------------------ report
const loadAtEnd = loadSnapshot();
const busyAtEnd = machineBusySeconds();
const wallS = (Date.now() - startedAt.getTime()) / 1000;
const othersCpuS = busyAtStart === undefined || busyAtEnd === undefined
  ? undefined
  : Math.max(0, busyAtEnd - busyAtStart - (ownCpuSeconds() - ownAtStart));
/** @type {RunInfo} */
const info = {
  date: startedAt.toISOString(),
  quick: QUICK,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  v8: process.versions.v8,
  rustc: version('rustc', ['--version']),
  tinybench: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tinybench', 'package.json'), 'utf8')).version,
  rlf: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'rate-limiter-flexible', 'package.json'), 'utf8')).version,
  rlfConfig: `new RateLimiterMemory(${JSON.stringify({ points: 'Number.MAX_SAFE_INTEGER', duration: 0 }).replace(/"/g, '')}), consume('request', 1)`,
  loadStart: loadAtStart.loadavg,
  loadEnd: loadAtEnd.loadavg,
  busyStart: loadAtStart.busy,
  busyEnd: loadAtEnd.busy,
  durationS: wallS,
  stale: staleNote,
  othersCpuS,
};
// The raw run, for `node bench/render.mjs` to re-render the report without
// measuring again (not with --no-write, which leaves every output alone).
if (!argv.has('--no-write')) {
  mkdirSync(join(ROOT, 'bench', '.build'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', '.build', 'last-run.json'), `${JSON.stringify({ info, results, gc, rust, pairs }, null, 1)}\n`);
}
const targets = evaluateTargets(results, gc, pairs, rust);
printReport(info, results, targets, gc, rust, pairs);
if (!argv.has('--no-write')) {
  writeReport(info, results, targets, gc, rust, pairs);
  process.stderr.write('[bench] wrote bench/RESULTS.md and bench/results.svg\n');
}
// A sink read keeps `last` observable to the very end.
if (last === Symbol.for('never')) process.stdout.write('');
