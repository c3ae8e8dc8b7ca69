// The contract smoke that scripts/runtime-smoke.mjs runs under node, bun or
// deno: `<runtime> scripts/runtime-smoke-contract.mjs <projectDir>`, where
// projectDir has budgetkernel installed in node_modules. It loads the
// package as a user's code does (require from projectDir), checks the
// documented contract on both entries (budgetkernel and budgetkernel/wasm),
// and prints one JSON line: what ran. Any broken rule throws (exit 1, the
// rule on stderr).

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const projectDir = process.argv[2];
if (projectDir === undefined) throw new Error('usage: runtime-smoke-contract.mjs <projectDir>');
const require = createRequire(path.join(path.resolve(projectDir), 'package.json'));

/** @param {unknown} ok @param {string} rule */
function check(ok, rule) {
  if (ok !== true) throw new Error(`contract: ${rule}`);
}

/** Runs fn, which must throw an instance of type; returns the error. @param {() => unknown} fn @param {Function} type @param {string} rule */
function throws(fn, type, rule) {
  try {
    fn();
  } catch (error) {
    check(error instanceof type, `${rule}: threw ${String(error)}, expected a ${type.name}`);
    return /** @type {any} */ (error);
  }
  throw new Error(`contract: ${rule}: did not throw`);
}

/** @type {typeof import('../index.js')} */
const main = require('budgetkernel');
/** @type {typeof import('../wasm.js')} */
const wasm = require('budgetkernel/wasm');
const binding = require.resolve('budgetkernel/package.json');

// `import` of the CommonJS entries, as an ES module user writes it: named exports, the same objects.
for (const [specifier, entry] of /** @type {const} */ ([['budgetkernel', main], ['budgetkernel/wasm', wasm]])) {
  const ns = await import(pathToFileURL(require.resolve(specifier)).href);
  check(ns.Budget === entry.Budget && ns.ENGINE === entry.ENGINE && ns.BudgetExhaustedError === entry.BudgetExhaustedError, `import of ${specifier} has the named exports of its require()`);
}
check(main.ENGINE === 'native' || main.ENGINE === 'wasm', `budgetkernel's ENGINE is native or wasm (got ${String(main.ENGINE)})`);
check(wasm.ENGINE === 'wasm', 'budgetkernel/wasm runs on the wasm engine');
// The entries share the verdict objects and the error classes.
for (const name of ['BudgetError', 'BuilderError', 'CapacityError', 'ChargeError', 'ReleasedError', 'BudgetExhaustedError', 'DIMS', 'worst']) {
  check(/** @type {any} */ (main)[name] === /** @type {any} */ (wasm)[name], `budgetkernel and budgetkernel/wasm export the same ${name}`);
}

/** @type {Record<string, unknown>} */
const entries = {};
/** @type {Record<string, unknown>} */
const verdictOf = {};
for (const [label, api] of /** @type {const} */ ([['budgetkernel', main], ['budgetkernel/wasm', wasm]])) {
  // tokens: limit 100, warn 80; calls: limit 2.
  const budget = api.Budget.builder().limitWithWarn('tokens', 100, 80).limit('calls', 2).build();
  const c = budget.charge('tokens', 50); // 50
  const w = budget.charge('tokens', 31); // 81 > 80: warn
  const w2 = budget.chargeMany({ tokens: 19, calls: 1 }); // 100 ≤ 100: still warn
  check(c.kind === 'continue' && w.kind === 'warn' && w.dim === 'tokens', `${label}: continue then warn on tokens`);
  check(w2 === w, `${label}: the same verdict is the same (===) object`);
  check(Object.isFrozen(c) && Object.isFrozen(w), `${label}: verdicts are frozen`);
  check(budget.spent('tokens') === 100n && budget.remaining('tokens') === 0n, `${label}: spent 100n, remaining 0n`);

  // Bad input: a typed error, nothing charged, the signal untouched.
  const signal = budget.signal;
  let aborts = 0;
  signal.addEventListener('abort', () => aborts++);
  throws(() => budget.charge(/** @type {any} */ ('nope'), 1), TypeError, `${label}: an unknown dimension name is a TypeError`);
  throws(() => budget.charge('tokens', -1), RangeError, `${label}: a negative amount is a RangeError`);
  throws(() => budget.charge('tokens', 1.5), RangeError, `${label}: a fractional amount is a RangeError`);
  const undeclared = throws(() => budget.charge('bytes', 1), api.ChargeError, `${label}: an undeclared dimension is a ChargeError`);
  check(undeclared.code === 'UNKNOWN_DIMENSION' && undeclared.dim === 'bytes' && undeclared instanceof api.BudgetError, `${label}: ChargeError UNKNOWN_DIMENSION on bytes`);
  throws(() => budget.chargeMany([['calls', 5], ['tokens', -1]]), RangeError, `${label}: a checkpoint with a bad entry is refused`);
  check(budget.spent('tokens') === 100n && budget.spent('calls') === 1n && !signal.aborted, `${label}: refused calls change nothing and do not abort`);
  const built = throws(() => api.Budget.builder().limit('tokens', 0).build(), api.BuilderError, `${label}: a zero limit is a BuilderError`);
  check(built.code === 'ZERO_LIMIT', `${label}: BuilderError ZERO_LIMIT`);

  // budget.signal: aborts once, on the exhausting charge, with a BudgetExhaustedError.
  const e = budget.charge('calls', 2); // 3 > 2
  check(e.kind === 'exhausted' && e.dim === 'calls', `${label}: exhausted on calls`);
  check(signal.aborted && aborts === 1, `${label}: the signal aborted during the exhausting charge`);
  const reason = signal.reason;
  check(reason instanceof api.BudgetExhaustedError && reason.code === 'BUDGET_EXHAUSTED' && reason.dim === 'calls', `${label}: the abort reason is a BudgetExhaustedError on calls`);
  budget.charge('tokens', 1);
  check(aborts === 1 && signal.reason === reason, `${label}: the signal aborts once`);
  check(budget.clone().signal.aborted, `${label}: a clone of an exhausted budget has an aborted signal`);

  // Release and Symbol.dispose.
  check(typeof Symbol.dispose === 'symbol' && typeof budget[Symbol.dispose] === 'function', `${label}: Budget implements Symbol.dispose`);
  budget[Symbol.dispose]();
  check(budget.released, `${label}: [Symbol.dispose]() releases`);
  const released = throws(() => budget.charge('tokens', 1), api.ReleasedError, `${label}: a released budget throws ReleasedError`);
  check(released.code === 'BUDGET_RELEASED', `${label}: ReleasedError BUDGET_RELEASED`);

  // `using`, where the runtime's parser has it (a SyntaxError says it has not).
  let using = 'syntax not supported';
  /** @type {((template: unknown) => { inside: boolean, budget: { released: boolean } }) | undefined} */
  let scoped;
  try {
    scoped = /** @type {any} */ (new Function('template', 'let kept; { using b = template.clone(); kept = { inside: !b.released, budget: b }; } return kept;'));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (scoped !== undefined) {
    const template = api.Budget.builder().limit('calls', 1).build();
    const kept = scoped(template);
    check(kept.inside && kept.budget.released, `${label}: \`using\` releases the budget at the end of its block`);
    using = 'releases at block end';
  }
  entries[label] = { engine: api.ENGINE, using };
  verdictOf[label] = w;
}
check(verdictOf.budgetkernel === verdictOf['budgetkernel/wasm'], 'the two entries return the same verdict objects');

const runtime = /** @type {any} */ (globalThis).Deno !== undefined ? 'deno' : process.versions.bun !== undefined ? 'bun' : 'node';
const version = runtime === 'deno' ? /** @type {any} */ (globalThis).Deno.version.deno : runtime === 'bun' ? process.versions.bun : process.versions.node;
const nativeLoaded = main.ENGINE === 'native';
console.log(JSON.stringify({ runtime, version, package: path.dirname(binding), nativeAddon: nativeLoaded, entries }));
