// @ts-check
/**
 * Turns one benchmark run into the terminal table, `bench/RESULTS.md` and
 * `bench/results.svg`. Every figure comes from the run passed in; nothing
 * here is measured or remembered from elsewhere.
 *
 * @module
 */

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @typedef {object} CaseResult
 * @property {string} id
 * @property {string} label
 * @property {'addon' | 'floor' | 'js' | 'rlf'} kind
 * @property {number | null} chargesPerOp
 * @property {'ok' | 'failed' | 'not run'} status
 * @property {string} [reason]
 * @property {number} [meanNs]       per operation
 * @property {number} [p50Ns]        per operation (median of per-sample averages)
 * @property {number} [p99Ns]        per operation (p99 of per-sample averages)
 * @property {number} [rme]          relative margin of error of the mean, %
 * @property {number} [samples]
 * @property {number} [opsPerSample]
 */
/**
 * @typedef {object} GcResult
 * @property {string} id
 * @property {number} minorGcs
 * @property {boolean} control
 */
/**
 * @typedef {object} RunInfo
 * @property {string} date
 * @property {boolean} quick
 * @property {string} cpu
 * @property {number} cores
 * @property {string} node
 * @property {string} v8
 * @property {string} rustc
 * @property {string} tinybench
 * @property {string} rlf
 * @property {string} rlfConfig
 * @property {number[]} loadStart
 * @property {number[]} loadEnd
 * @property {string[]} busyStart
 * @property {string[]} busyEnd
 * @property {number} durationS
 * @property {number} [othersCpuS]  CPU seconds used by other processes during the run
 * @property {string[]} [stale]      parts of the measured build older than their sources
 * @property {string} [note]          a note added when re-rendering (render.mjs --note)
 */
/**
 * @typedef {object} Target
 * @property {string} id
 * @property {string} title
 * @property {string} threshold     e.g. "≤ 2.0×"
 * @property {string} measured      e.g. "2.31× (38.9 / 16.8 ns)"
 * @property {'PASS' | 'MISS' | 'NOT RUN' | 'INFO'} status
 * @property {string} [note]
 */
/** @typedef {import('./criterion.mjs').Pair} Pair */
/** @typedef {import('./criterion.mjs').BenchInvocation} BenchInvocation */

/**
 * @typedef {object} GapContext
 * @property {(id: string) => number | undefined} ns  mean ns per charge (per request for request.*) of a case in this run
 * @property {Pair[]} pairs
 * @property {Set<string>} said  explanations already given above in this report
 */

/**
 * @param {number | undefined} x
 * @returns {string}
 */
const n = (x) => (x === undefined ? 'n/a' : `${fmt(x)} ns`);

/**
 * The napi-rs glue paragraph shared by the crossing targets.
 * @param {GapContext} c
 * @returns {string}
 */
const glue = (c) => {
  if (c.said.has('glue')) return 'Same cause as for charge() against the raw floor, above.';
  c.said.add('glue');
  const raw = c.ns('floor.raw');
  const napi = c.ns('floor.napi');
  const direct = c.ns('native.charge');
  const charge = c.ns('charge.continue.number');
  const parts = [];
  if (raw !== undefined && napi !== undefined) {
    parts.push(`An empty napi-rs \`#[napi]\` function with the same two arguments costs ${n(napi)} against ${n(raw)} for the raw floor: napi-rs's per-call glue is about ${n(napi - raw)} with the pinned napi 3.12.7 (3.13 and later add a per-call borrow scope worth about 65 ns; see crates/budgetkernel-node/Cargo.toml).`);
  }
  if (direct !== undefined && charge !== undefined) {
    parts.push(`The binding's \`charge\` called directly costs ${n(direct)}; the facade adds ${n(Math.max(0, charge - direct))} (dimension switch, amount typeof, verdict lookup).`);
  }
  if (napi !== undefined && direct !== undefined) {
    parts.push(`The rest, ${n(direct - napi)}, is charge()'s third argument (the handle, about 5 ns to read), the thread's table lookup, validation and the kernel.`);
  }
  parts.push('What would close it: fewer or cheaper arguments (every Node-API argument read costs about 5 ns), or a raw Node-API callback in place of the napi-rs glue, which would need `unsafe` in the binding crate, which issue 3 rules out.');
  return parts.join(' ');
};

/**
 * What would close each target when it is missed, citing this run's figures.
 * Written from reading the facade (ts/) and the binding
 * (crates/budgetkernel-node/src); shown only for targets this run missed.
 * @type {Record<string, (c: GapContext) => string>}
 */
export const CLOSE_THE_GAP = {
  lifecycle: (c) => `clone() + 3 charges + release() costs ${n(c.ns('request.lifecycle'))} per request, the builder path with the same charges ${n(c.ns('request.lifecycle.builder'))}. Both pay the three charges (about ${n((c.ns('charge.continue.number') ?? 0) * 3)} together); the clone path adds one native clone, a \`Budget\` object, a \`FinalizationRegistry\` register and unregister and one native release. What would close it: fewer crossings per request (a native clone-and-charge), or reusing released \`Budget\` objects so that no object or registration is made per request.`,
  'charge-vs-floor': (c) => glue(c),
  'vs-rlf': (c) => {
    const rlf = c.ns('rlf.consume');
    return `${rlf === undefined ? '' : `4× needs charge() at or below ${n(rlf / 4)}. `}${glue(c)}`;
  },
  'many-array': (c) => many(c),
  'many-object': (c) => many(c),
  'batch-f64': (c) => `chargeBatch() costs ${n(c.ns('batch.f64'))} per charge with a Float64Array, ${n(c.ns('batch.u64'))} with a BigUint64Array; the faster hand-written JavaScript costs ${n(Math.min(c.ns('js.number.continue') ?? Infinity, c.ns('js.number.loop') ?? Infinity))}. One crossing per 1,024 charges makes the boundary negligible here (under 0.1 ns per charge), so the gap is native work per entry, in two passes because nothing may be applied before everything is validated: the validation pass (index below 8, declared dimension, and for a Float64Array a range test and an integrality round trip through i64), then the kernel's \`charge\` and the \`worst\` fold. A BigUint64Array needs no float checks, which is its whole difference. What would close it: a kernel entry point that applies already validated entries without looking up each limit's presence again, or a single pass with an undo log (which gives up the kernel's own atomicity argument); both change the kernel for well under a nanosecond.`,
  'batch-u64': (c) => `chargeBatch() with a BigUint64Array costs ${n(c.ns('batch.u64'))} per charge: the validation pass plus the kernel's charge, per entry (see the Float64Array note).`,
  clone: (c) => `template.clone() costs ${n(c.ns('request.clone'))} per request (mean; see the median and the margin of error in the table), the builder path ${n(c.ns('request.builder'))}. Both end in one native call, a \`Budget\` object and a \`FinalizationRegistry.register\`, and every budget later costs a finalization callback and a native release; that garbage-collection work lands on whichever samples it falls in, hence this case's wide spread. The builder path adds the builder object, the BigInt conversion of each limit and the kernel's validation. The obvious alternative lifetime mechanism, a napi External owning the table slot and freeing it from a native finalizer, was tried and measured worse (about 590 against 195 ns per clone in a tight loop of a million, same machine, same day), so FinalizationRegistry stays. What would close it: fewer objects per budget for the collector to trace and finalize (for instance pooling and reusing released Budget objects), which the per-request pattern does not obviously allow.`,
  kernel: (c) => {
    const rows = c.pairs.map((p) => `${p.id} ${p.ratio.toFixed(2)}×`).join(', ');
    return `Per case in this run: ${rows}. At about 2 ns per call, criterion's run-to-run noise on a shared 2-core machine is ±10% or more; a ratio above 1.0 whose confidence intervals overlap the published crate's is not a measured regression. If it persists on a quiet machine, compare the generated code of both \`charge\` paths (\`cargo asm\`) for an extra branch or bounds check in ours.`;
  },
  gc: () => 'Something on the charge path allocates on the JavaScript heap: look for a bigint conversion (`BigInt(...)`) or an object built per call in the facade\'s `charge`, or a `napi_value` created per call by the binding other than the returned int.',
};

/**
 * @param {GapContext} c
 * @returns {string}
 */
function many(c) {
  if (c.said.has('many')) return 'Same cause as for the array form, above.';
  c.said.add('many');
  const three = c.ns('checkpoint.three');
  const arr = c.ns('checkpoint.many.array');
  const obj = c.ns('checkpoint.many.object');
  return `Per checkpoint: three charge() ${n(three === undefined ? undefined : three * 3)}, chargeMany array ${n(arr === undefined ? undefined : arr * 3)}, object ${n(obj === undefined ? undefined : obj * 3)}; 0.6× needs ${n(three === undefined ? undefined : three * 3 * 0.6)}. A checkpoint of up to three number amounts crosses once as five numbers (\`chargeFew\`: the handle, the packed dimension indexes and three amounts, about 5 ns per argument read) and is applied by the kernel's atomic \`charge_many\`; the facade first reads and validates every entry (and the object form walks its keys with an own-property check each). Three charge() calls read nine arguments in three crossings; chargeMany reads five in one, so the saving is four argument reads and two crossings, less the staging. What would close it: fewer arguments still, e.g. packing the handle together with the dimension indexes, or two small amounts into one number; each saves about 5 ns, at a cost in clarity we did not take.`;
}

/**
 * @param {number} x
 * @returns {string}
 */
export function fmt(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * @param {CaseResult[]} results
 * @param {string} id
 * @returns {CaseResult | undefined}
 */
const ok = (results, id) => results.find((r) => r.id === id && r.status === 'ok');

/**
 * Mean ns per charge of a case.
 * @param {CaseResult} r
 * @returns {number}
 */
const perCharge = (r) => /** @type {number} */ (r.meanNs) / (r.chargesPerOp ?? 1);

/**
 * @param {CaseResult[]} results
 * @param {GcResult[]} gc
 * @param {Pair[]} pairs
 * @param {BenchInvocation[]} rust
 * @returns {Target[]}
 */
export function evaluateTargets(results, gc, pairs, rust) {
  /** @type {Target[]} */
  const out = [];

  /**
   * A ratio target: num / den against a bound.
   * @param {string} id
   * @param {string} title
   * @param {CaseResult | undefined} num
   * @param {CaseResult | undefined} den
   * @param {'<=' | '>='} op
   * @param {number} bound
   * @param {(r: CaseResult) => number} [value]
   * @param {string} [note]
   */
  const ratio = (id, title, num, den, op, bound, value = (r) => /** @type {number} */ (r.meanNs), note) => {
    const threshold = `${op === '<=' ? '≤' : '≥'} ${bound.toFixed(1)}×`;
    if (num === undefined || den === undefined) {
      out.push({ id, title, threshold, measured: 'not run', status: 'NOT RUN', note });
      return;
    }
    const a = value(num);
    const b = value(den);
    const q = a / b;
    const pass = op === '<=' ? q <= bound : q >= bound;
    out.push({ id, title, threshold, measured: `${q.toFixed(2)}× (${fmt(a)} / ${fmt(b)} ns)`, status: pass ? 'PASS' : 'MISS', note });
  };

  const charge = ok(results, 'charge.continue.number');
  ratio('charge-vs-floor', 'charge() (number, continue) vs the boundary floor (raw Node-API)', charge, ok(results, 'floor.raw'), '<=', 2.0);
  {
    const napi = ok(results, 'floor.napi');
    out.push({
      id: 'charge-vs-napi-floor',
      title: 'for reference: charge() (number, continue) vs an empty napi-rs #[napi] function (no target)',
      threshold: '–',
      measured: charge && napi ? `${(/** @type {number} */ (charge.meanNs) / /** @type {number} */ (napi.meanNs)).toFixed(2)}× (${fmt(/** @type {number} */ (charge.meanNs))} / ${fmt(/** @type {number} */ (napi.meanNs))} ns)` : 'not run',
      status: charge && napi ? 'INFO' : 'NOT RUN',
    });
  }
  ratio('many-array', 'chargeMany() of 3, array form, vs 3 × charge()', ok(results, 'checkpoint.many.array'), ok(results, 'checkpoint.three'), '<=', 0.6);
  ratio('many-object', 'chargeMany() of 3, object form, vs 3 × charge()', ok(results, 'checkpoint.many.object'), ok(results, 'checkpoint.three'), '<=', 0.6);

  /**
   * The faster of two JS baselines, per charge: the target holds against the best JS.
   * @param {string} a
   * @param {string} b
   */
  const fasterJs = (a, b) => {
    const ra = ok(results, a);
    const rb = ok(results, b);
    if (ra === undefined) return rb;
    if (rb === undefined) return ra;
    return perCharge(ra) <= perCharge(rb) ? ra : rb;
  };
  const jsN = fasterJs('js.number.continue', 'js.number.loop');
  ratio('batch-f64', `chargeBatch() Float64Array per charge vs hand-written JS number per charge (${jsN?.label ?? 'n/a'}, the faster JS number case)`,
    ok(results, 'batch.f64'), jsN, '<=', 1.0, perCharge);
  const jsB = fasterJs('js.bigint.continue', 'js.bigint.loop');
  ratio('batch-u64', `chargeBatch() BigUint64Array per charge vs hand-written JS BigInt per charge (${jsB?.label ?? 'n/a'}, the faster JS BigInt case)`,
    ok(results, 'batch.u64'), jsB, '<=', 1.0, perCharge);
  ratio('vs-rlf', 'awaited RateLimiterMemory.consume() vs charge() (number, continue): how many times faster charge() is',
    ok(results, 'rlf.consume'), charge, '>=', 4.0);
  ratio('clone', 'template.clone() vs Budget.builder()…build()', ok(results, 'request.clone'), ok(results, 'request.builder'), '<=', 0.5);
  ratio('lifecycle', 'one request, clone() + 3 charges + release() vs the builder path (builder()…build() + 3 charges, collected)',
    ok(results, 'request.lifecycle'), ok(results, 'request.lifecycle.builder'), '<=', 0.5);

  // Every ours/upstream pair of crosscheck/versus_upstream times charge()
  // (continuing, warning, exhausted, three sequential): each is held to the target.
  const chargePairs = pairs.filter((p) => !/many|batch|clone|builder/i.test(p.id));
  if (chargePairs.length === 0) {
    const why = rust.length === 0 ? 'not run (--no-rust)' : 'not run: no ours/upstream charge result from crosscheck/versus_upstream in this run';
    out.push({ id: 'kernel', title: 'kernel charge (Rust, criterion) vs published budgetkernel 0.1.2', threshold: '≤ 1.0×', measured: why, status: 'NOT RUN' });
  }
  for (const p of chargePairs) {
    const q = p.ratio;
    const overlap = p.ours.lowNs <= p.upstream.highNs && p.upstream.lowNs <= p.ours.highNs;
    out.push({
      id: `kernel:${p.id}`,
      title: `kernel ${p.id} (Rust, criterion) vs published budgetkernel 0.1.2`,
      threshold: '≤ 1.0×',
      measured: `${q.toFixed(2)}× (${fmt(p.ours.meanNs)} / ${fmt(p.upstream.meanNs)} ns)`,
      status: q <= 1.0 ? 'PASS' : 'MISS',
      note: overlap ? '95% confidence intervals overlap: within noise' : undefined,
    });
  }

  const addonGc = gc.filter((g) => !g.control);
  const control = gc.find((g) => g.control);
  if (addonGc.length === 0) {
    out.push({ id: 'gc', title: 'minor GCs during 1,000,000 charge() calls, each path', threshold: '= 0', measured: 'not run', status: 'NOT RUN' });
  } else {
    const total = addonGc.reduce((s, g) => s + g.minorGcs, 0);
    const controlNote = control === undefined
      ? undefined
      : control.minorGcs > 0
        ? `the detector works: the allocating JS BigInt control saw ${control.minorGcs} minor GCs over the same million`
        : 'WARNING: the allocating control saw no minor GC either, so this check could not detect one';
    out.push({
      id: 'gc',
      title: `minor GCs during 1,000,000 charge() calls, each of ${addonGc.length} paths`,
      threshold: '= 0',
      measured: addonGc.map((g) => g.minorGcs).join(' / '),
      status: total === 0 ? 'PASS' : 'MISS',
      note: controlNote,
    });
  }
  return out;
}

// ----------------------------------------------------------------- terminal

/**
 * @param {string[][]} rows first row is the header
 * @returns {string}
 */
function textTable(rows) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (/** @type {string[]} */ r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/**
 * @param {CaseResult} r
 * @returns {string}
 */
function unit(r) {
  if (r.chargesPerOp === null) return 'request';
  if (r.chargesPerOp === 1) return 'charge';
  if (r.id.startsWith('checkpoint')) return '3 charges';
  return `${r.chargesPerOp.toLocaleString('en-US')} charges`;
}

/**
 * @param {CaseResult[]} results
 * @returns {string[][]}
 */
function caseRows(results) {
  /** @type {string[][]} */
  const rows = [['case', 'one op is', 'mean ns/op', 'p99 ns/op', 'median ns/op', 'mean ns/charge', '±rme', 'samples']];
  for (const r of inDisplayOrder(results)) {
    if (r.status !== 'ok') {
      rows.push([r.label, r.status, '-', '-', '-', '-', '-', r.reason ?? '']);
      continue;
    }
    rows.push([
      r.label,
      unit(r),
      fmt(/** @type {number} */ (r.meanNs)),
      fmt(/** @type {number} */ (r.p99Ns)),
      fmt(/** @type {number} */ (r.p50Ns)),
      r.chargesPerOp === null ? '-' : fmt(perCharge(r)),
      `${(r.rme ?? 0).toFixed(1)}%`,
      String(r.samples ?? 0),
    ]);
  }
  return rows;
}

/**
 * @param {RunInfo} info
 * @param {CaseResult[]} results
 * @param {Target[]} targets
 * @param {GcResult[]} gc
 * @param {BenchInvocation[]} rust
 * @param {Pair[]} pairs
 */
export function printReport(info, results, targets, gc, rust, pairs) {
  const out = [];
  out.push('', `budgetkernel benchmarks — ${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.rustc}, ${info.date}${info.quick ? ' (--quick)' : ''}`, '');
  out.push(textTable(caseRows(results)), '');
  out.push(textTable([['target', 'threshold', 'measured', 'result'], ...targets.map((t) => [t.title, t.threshold, t.measured, t.status])]), '');
  for (const g of gc) out.push(`minor GCs in 1,000,000 × ${g.id}: ${g.minorGcs}`);
  out.push('');
  for (const r of rust) {
    out.push(`cargo bench ${r.label}: ${r.status}${r.reason ? ` (${r.reason})` : ''}, ${r.results.length} results`);
    for (const c of r.results) out.push(`  ${c.fullId}: ${fmt(c.meanNs)} ns`);
  }
  for (const p of pairs) out.push(`  ratio ${p.id}: ours/upstream = ${p.ratio.toFixed(3)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ------------------------------------------------------------------ markdown

/**
 * @param {string[][]} rows first row is the header
 * @returns {string}
 */
function mdTable(rows) {
  const esc = (/** @type {string} */ s) => s.replace(/\|/g, '\\|');
  const [head, ...body] = rows;
  const h = head ?? [];
  return [
    `| ${h.map(esc).join(' | ')} |`,
    `|${h.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/**
 * @param {RunInfo} info
 * @param {CaseResult[]} results
 * @param {Target[]} targets
 * @param {GcResult[]} gc
 * @param {BenchInvocation[]} rust
 * @param {Pair[]} pairs
 * @returns {string}
 */
export function renderMarkdown(info, results, targets, gc, rust, pairs) {
  const busy = [...new Set([...info.busyStart, ...info.busyEnd])];
  const quiet = info.othersCpuS !== undefined
    ? info.othersCpuS / (info.durationS * info.cores) < 0.05
    : Math.max(...info.loadStart, ...info.loadEnd) < 0.5 && info.busyStart.length === 0 && info.busyEnd.length === 0;
  const L = [];
  L.push('# Benchmark results', '');
  L.push('Generated by `npm run bench` (bench/run.mjs) in one process, one run. These are measurements on one machine, not promises: figures move by 10–30% between runs and machines, so compare ratios within a run. No timing assertion is part of `npm test`.', '');
  L.push(mdTable([
    ['', ''],
    ['date (UTC)', info.date],
    ['mode', info.quick ? '`--quick` (short samples: indicative only)' : 'full'],
    ['CPU', `${info.cpu}, ${info.cores} logical cores`],
    ['Node', `${info.node} (V8 ${info.v8}), NODE_ENV=production`],
    ['Rust', info.rustc],
    ['tinybench', info.tinybench],
    ['rate-limiter-flexible', `${info.rlf}: \`${info.rlfConfig}\``],
    ['load average (1/5/15 min)', `start ${info.loadStart.map((l) => l.toFixed(2)).join(' / ')}, end ${info.loadEnd.map((l) => l.toFixed(2)).join(' / ')}`],
    ['other build/test processes seen', busy.length === 0 ? 'none at start or end' : busy.join(', ')],
    ['addon build measured', info.stale === undefined ? 'not checked' : info.stale.length === 0 ? 'up to date with its sources' : `**STALE**: ${info.stale.join('; ')}`],
    ['run took', `${info.durationS.toFixed(0)} s`],
    ['CPU used by other processes during the run', info.othersCpuS === undefined ? 'unknown'
      : `${info.othersCpuS.toFixed(1)} CPU-s, ${(100 * info.othersCpuS / (info.durationS * info.cores)).toFixed(0)}% of the machine`],
  ]), '');
  if (info.note !== undefined) L.push(`> **Note.** ${info.note}`, '');
  if (!quiet) {
    L.push(`> **Shared machine.** This ${info.cores}-core machine is shared with other engineers, and other work ran during this run (see the CPU used by other processes above), which inflates and scatters the figures, the p99s most. Ratios within the run are more trustworthy than absolute nanoseconds.`, '');
  }

  L.push('## Targets (issue 5)', '');
  L.push(mdTable([['target', 'threshold', 'measured (this run)', 'result'], ...targets.map((t) => [
    t.note ? `${t.title} (${t.note})` : t.title, t.threshold, t.measured, t.status === 'PASS' ? '✅ PASS' : t.status === 'MISS' ? '❌ MISS' : t.status === 'INFO' ? 'info' : 'NOT RUN',
  ])]), '');

  const misses = targets.filter((t) => t.status === 'MISS');
  /** @type {GapContext} */
  const ctx = {
    ns: (id) => {
      const r = ok(results, id);
      return r === undefined ? undefined : perCharge(r);
    },
    pairs,
    said: new Set(),
  };
  if (misses.length > 0) {
    L.push('### Misses: what would close them', '');
    for (const t of misses) {
      const key = t.id.startsWith('kernel:') ? 'kernel' : t.id;
      const explain = CLOSE_THE_GAP[key];
      L.push(`- **${t.title}**: measured ${t.measured}, target ${t.threshold}. ${explain === undefined ? 'No analysis recorded for this target yet.' : explain(ctx)}`);
    }
    L.push('');
  }

  L.push('## Cases', '');
  L.push('Mean and p99 (and the median, for reading through scheduler noise) per operation; the mean also per charge. Ratios use the means. One tinybench sample times a loop of operations (1,000 charges; 8 batches of 1,024; 100 requests), so p99 is the 99th percentile of per-sample averages, not of single calls. `±rme` is the relative margin of error of the mean (95%).', '');
  L.push(mdTable(caseRows(results)), '');
  L.push('![ns per charge, log scale](results.svg)', '');

  L.push('## Zero-allocation check', '');
  L.push('Minor (scavenge) collections observed with a `PerformanceObserver` on `gc` entries while one million `charge()` calls run back to back on one path, after a warm-up million on that path.', '');
  L.push(mdTable([['1,000,000 calls of', 'minor GCs'], ...gc.map((g) => [g.id, String(g.minorGcs)])]), '');

  L.push('## Rust (criterion)', '');
  if (rust.length === 0) {
    L.push('Not run in this run (`--no-rust`).', '');
  }
  for (const r of rust) {
    L.push(`\`${r.command.join(' ')}\`: ${r.status === 'ok' ? 'ran' : `**failed** (${r.reason ?? 'unknown'})`}.`, '');
    if (r.results.length === 0) {
      L.push('No criterion result was written by this invocation: not run.', '');
    } else {
      L.push(mdTable([['benchmark', 'mean ns', '95% CI', 'median ns'], ...r.results.map((c) => [
        c.fullId, fmt(c.meanNs), `${fmt(c.lowNs)} – ${fmt(c.highNs)}`, fmt(c.medianNs),
      ])]), '');
    }
  }
  if (pairs.length > 0) {
    L.push('Ours against the published crate, same run:', '');
    L.push(mdTable([['benchmark', 'ours ns', 'budgetkernel 0.1.2 ns', 'ours / 0.1.2'], ...pairs.map((p) => [
      p.id, fmt(p.ours.meanNs), fmt(p.upstream.meanNs), `${p.ratio.toFixed(2)}×`,
    ])]), '');
  }

  L.push('## Method', '');
  L.push(
    '- Continuing paths charge 1 against a limit of 2^64 − 1 (a warn threshold at 2^63 is declared but never crossed); the warning path has warn 0 and the same limit; the exhausted path is pushed over a limit of 1 before timing. The JS number baseline uses 2^53 − 1 where the others use 2^64 − 1. After every sample, untimed, the last verdict is checked to be the expected one: a drifted state fails the case instead of measuring the wrong path, and the verdict is kept in a sink so nothing is dead code.',
    '- Two floors, both built only into the git-ignored `bench/.build/` and never shipped; each reads two arguments (a dimension index and a number), returns 0, and the benchmark maps the 0 to a shared frozen object exactly as the facade maps charge()\'s verdict code. The **raw floor** (`bench/floor-raw`, `rawFloor`) is written against raw Node-API: `napi_get_cb_info`, `napi_get_value_uint32`, `napi_get_value_double`, `napi_create_int32`, nothing else. It is the boundary itself, as shared/BOUNDARY.md measures it, and the target is computed against it. The **napi-rs floor** (`benchFloor`, the binding crate\'s `bench-floor` feature) is an empty `#[napi]` function: it adds the per-call glue every napi-rs function pays, `charge` included, so the ratio to it is shown for reference only. Neither floor includes the facade\'s dimension-name lookup or the budget handle that `charge()` also passes.',
    '- The checkpoint compares three plain `charge()` calls (the verdicts are not combined, which favours the three calls) with one `chargeMany()` of the same three charges written inline as a literal, as a caller writes it.',
    '- `chargeBatch()` is compared per charge with the faster of two hand-written JS forms: one `charge()` in a tight loop on a constant dimension, and a loop over the same 1,024 (dimension, amount) pairs keeping the worst verdict (which skips the up-front validation pass the addon does).',
    '- rate-limiter-flexible is configured as a fixed budget that never refills (`duration: 0`) with more points than the run can consume, so it never rejects: that matches a kernel budget\'s semantics and is also its cheapest path (no clock read, no timer per key). Each `consume()` is awaited, as callers do; its cost includes the promise, the microtask turn and the `RateLimiterRes` it allocates, so its mean includes the garbage collections those cause.',
    '- Cases with number amounts run before the bigint ones, as in an app that uses one amount type (V8 type feedback in the facade is shared by all cases).',
    '- The hand-written baselines are in `bench/baseline.mjs`: same checks as the addon (dimension name, amount type and range, undeclared dimension, inclusive limit, strict warn, spent updated and saturating, 17 shared frozen verdicts).',
    '',
  );
  return L.join('\n');
}

// ----------------------------------------------------------------------- svg

/**
 * @param {string} s
 * @returns {string}
 */
const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Bar colours: mid tones that read on both GitHub's light and dark backgrounds. */
const COLOURS = /** @type {const} */ ({ addon: '#2f81f7', floor: '#8c959f', js: '#d4a72c', rlf: '#a371f7' });

/** Display order of the cases in tables and the chart; unknown ids go last. */
const ORDER = [
  'floor.raw', 'floor.napi', 'native.charge',
  'charge.continue.number', 'charge.warn.number', 'charge.exhausted.number',
  'charge.continue.bigint', 'charge.warn.bigint', 'charge.exhausted.bigint',
  'checkpoint.three', 'checkpoint.many.array', 'checkpoint.many.object',
  'batch.f64', 'batch.u64', 'request.builder', 'request.clone', 'request.lifecycle', 'request.lifecycle.builder',
  'js.number.continue', 'js.number.warn', 'js.number.exhausted', 'js.number.loop',
  'js.bigint.continue', 'js.bigint.warn', 'js.bigint.exhausted', 'js.bigint.loop',
  'rlf.consume',
];

/**
 * @param {CaseResult[]} results
 * @returns {CaseResult[]}
 */
export function inDisplayOrder(results) {
  const rank = (/** @type {string} */ id) => {
    const i = ORDER.indexOf(id);
    return i < 0 ? ORDER.length : i;
  };
  return [...results].sort((a, b) => rank(a.id) - rank(b.id));
}

/**
 * A horizontal bar chart of ns per charge on a log scale.
 * @param {RunInfo} info
 * @param {CaseResult[]} results
 * @returns {string}
 */
export function renderSvg(info, results) {
  const bars = inDisplayOrder(results)
    .filter((r) => r.status === 'ok' && r.chargesPerOp !== null)
    .map((r) => ({ label: r.chargesPerOp !== null && r.chargesPerOp > 1 ? `${r.label} (per charge)` : r.label, kind: r.kind, ns: perCharge(r) }));
  const W = 920;
  const labelW = 360;
  const valueW = 70;
  const plotX = labelW + 10;
  const plotW = W - plotX - valueW;
  const rowH = 24;
  const top = 92;
  const H = top + Math.max(1, bars.length) * rowH + 64;
  const min = Math.min(...bars.map((b) => b.ns), 1);
  const max = Math.max(...bars.map((b) => b.ns), 10);
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const x = (/** @type {number} */ v) => plotX + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
  const S = [];
  S.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="13" role="img" aria-labelledby="t d">`);
  S.push('<style>');
  S.push('.fg{fill:#6e7781}.grid{stroke:#8c959f;stroke-opacity:.35}.axis{stroke:#8c959f}');
  S.push('@media (prefers-color-scheme: light){.fg{fill:#1f2328}}');
  S.push('@media (prefers-color-scheme: dark){.fg{fill:#e6edf3}}');
  S.push('</style>');
  S.push(`<title id="t">budgetkernel: nanoseconds per charge, log scale</title>`);
  S.push(`<desc id="d">${xml(`${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.date}. Lower is better.`)}</desc>`);
  S.push(`<text class="fg" x="16" y="26" font-size="17" font-weight="600">budgetkernel for Node: nanoseconds per charge (mean, log scale; lower is better)</text>`);
  S.push(`<text class="fg" x="16" y="48" font-size="12">${xml(`${info.cpu}, ${info.cores} cores · Node ${info.node} · ${info.date.slice(0, 16).replace('T', ' ')} UTC${info.quick ? ' · --quick' : ''}`)}</text>`);
  // decade grid with 2 and 5 minor lines
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v > 10 ** hi) break;
      const gx = x(v).toFixed(1);
      S.push(`<line class="grid" x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + bars.length * rowH}" stroke-width="${m === 1 ? 1 : 0.5}"/>`);
      if (m === 1 || hi - lo <= 3) {
        const lab = v >= 1000 ? `${v / 1000} µs` : `${v} ns`;
        S.push(`<text class="fg" x="${gx}" y="${top + bars.length * rowH + 18}" text-anchor="middle" font-size="11">${lab}</text>`);
      }
    }
  }
  const raw = results.find((r) => r.id === 'floor.raw' && r.status === 'ok');
  if (raw !== undefined) {
    const txN = x(2 * perCharge(raw));
    const tx = txN.toFixed(1);
    // One dashed segment per row, left out where it would cross that row's value label.
    bars.forEach((b, i) => {
      const labelX = x(b.ns) + 6;
      const labelW = fmt(b.ns).length * 7;
      if (txN >= labelX - 3 && txN <= labelX + labelW + 3) return;
      const y0 = i === 0 ? top - 10 : top + i * rowH;
      S.push(`<line x1="${tx}" y1="${y0}" x2="${tx}" y2="${top + (i + 1) * rowH}" stroke="#cf222e" stroke-opacity="0.75" stroke-width="1.5" stroke-dasharray="4 4"/>`);
    });
    S.push(`<text x="${tx}" y="${top - 14}" text-anchor="middle" font-size="11" fill="#cf222e">charge() target: 2× raw floor</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, x(b.ns) - plotX);
    S.push(`<text class="fg" x="${labelW}" y="${y + rowH / 2 + 4}" text-anchor="end">${xml(b.label)}</text>`);
    S.push(`<rect x="${plotX}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="2" fill="${COLOURS[b.kind]}"/>`);
    S.push(`<text class="fg" x="${(plotX + w + 6).toFixed(1)}" y="${y + rowH / 2 + 4}" font-size="12">${fmt(b.ns)}</text>`);
  });
  S.push(`<line class="axis" x1="${plotX}" y1="${top - 6}" x2="${plotX}" y2="${top + bars.length * rowH}"/>`);
  const legend = [['addon', 'budgetkernel (this addon)'], ['floor', 'boundary floor (empty native call)'], ['js', 'hand-written JavaScript'], ['rlf', 'rate-limiter-flexible']];
  let lx = 16;
  const ly = H - 20;
  for (const [k, text] of legend) {
    S.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${COLOURS[/** @type {keyof typeof COLOURS} */ (k)]}"/>`);
    S.push(`<text class="fg" x="${lx + 18}" y="${ly}" font-size="12">${xml(text ?? '')}</text>`);
    lx += 30 + (text ?? '').length * 6.6;
  }
  S.push('</svg>');
  return `${S.join('\n')}\n`;
}

/**
 * @param {RunInfo} info
 * @param {CaseResult[]} results
 * @param {Target[]} targets
 * @param {GcResult[]} gc
 * @param {BenchInvocation[]} rust
 * @param {Pair[]} pairs
 */
export function writeReport(info, results, targets, gc, rust, pairs) {
  writeFileSync(join(here, 'RESULTS.md'), renderMarkdown(info, results, targets, gc, rust, pairs));
  writeFileSync(join(here, 'results.svg'), renderSvg(info, results));
}
