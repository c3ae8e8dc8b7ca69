// Model-based tests: random command sequences run against the addon and the
// independent reference model (./model.ts) side by side. After every command
// the results (verdict data, or error class + code + dim) and spent/remaining
// of all eight dimensions of every live budget must agree.
//
// On failure fast-check prints the seed, the replay path and the shrunk
// command list (each command prints the arguments it actually used).
import fc from 'fast-check';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Budget, BudgetBuilder, type Amount } from '../index.js';
import {
  DIM_NAMES,
  ModelBudget,
  ModelBuilder,
  U64_MAX as MAX,
  run,
  type MDim,
  type MVerdict,
  type Outcome,
} from './model.js';
import { capture, expectSameOutcome, remainingAll, show, spentAll, verdictData, verdictOf, type Got } from './helpers.js';

const NUM_RUNS = Number(process.env.BK_MODEL_RUNS ?? 500);

// The raw binding behind the index.js under test (the same module instance,
// so the same table): its liveBudgets() counts this thread's occupied slots.
const ADDON_DIR = process.env.BUDGETKERNEL_ADDON_DIR ?? fileURLToPath(new URL('..', import.meta.url));
const { liveBudgets } = createRequire(import.meta.url)(path.join(path.resolve(ADDON_DIR), 'lib', 'engine.js')).selectEngine().engine as { liveBudgets: () => number };
const MAX_BUDGETS = 4;

interface Model {
  budgets: ModelBudget[];
}
interface Real {
  budgets: Budget[];
}

// ------------------------------------------------------------------ checks

/** Every verdict object seen so far, by kind/dim: charge must return shared objects. */
const sharedVerdicts = new Map<string, object>();

/** Outcome counts by operation, printed when BK_MODEL_STATS is set (to check the generators' reach). */
const stats = new Map<string, number>();
function count(op: string, want: Outcome<unknown>): void {
  const what = want.ok
    ? typeof want.value === 'object' && want.value !== null && 'kind' in want.value
      ? (want.value as MVerdict).kind
      : 'ok'
    : `${want.error.cls}${want.error.code ? `:${want.error.code}` : ''}`;
  const key = `${op} → ${what}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
}
afterAll(() => {
  if (process.env.BK_MODEL_STATS) console.log([...stats].sort().map(([k, v]) => `${k}: ${v}`).join('\n'));
});

function expectVerdict(got: Got, want: Outcome<MVerdict>, label: string, shared: boolean): void {
  count(label.replace(/^#\d+\.|\(.*$/gs, ''), want);
  expectSameOutcome(got, want, verdictData, label);
  if (!got.ok || !want.ok) return;
  const v = got.value as object;
  expect(Object.isFrozen(v), `${label}: verdict frozen`).toBe(true);
  expect(verdictData(v), label).toEqual(verdictOf(want.value));
  if (shared) {
    const key = want.value.kind === 'continue' ? 'continue' : `${want.value.kind}:${want.value.dim}`;
    const seen = sharedVerdicts.get(key);
    if (seen === undefined) sharedVerdicts.set(key, v);
    else expect(v === seen, `${label}: same shared object as every earlier ${key}`).toBe(true);
  }
}

function checkState(m: Model, r: Real, label: string): void {
  expect(r.budgets.length).toBe(m.budgets.length);
  m.budgets.forEach((mb, i) => {
    const rb = r.budgets[i] as Budget;
    expect(rb.released, `${label}: released flag of budget #${i}`).toBe(mb.released);
    if (mb.released) {
      // Every query of a released budget fails the same way (the commands
      // compare each method's outcome with the model in detail).
      for (const d of DIM_NAMES) {
        expect(capture(() => rb.spent(d)), `${label}: spent(${d}) of released #${i}`).toEqual({ ok: false, error: { cls: 'ReleasedError', code: 'BUDGET_RELEASED' } });
        expect(capture(() => rb.remaining(d)), `${label}: remaining(${d}) of released #${i}`).toEqual({ ok: false, error: { cls: 'ReleasedError', code: 'BUDGET_RELEASED' } });
      }
      return;
    }
    expect(spentAll(rb), `${label}: spent of budget #${i}`).toEqual(DIM_NAMES.map((d) => mb.spent(d)));
    expect(remainingAll(rb), `${label}: remaining of budget #${i}`).toEqual(DIM_NAMES.map((d) => mb.remaining(d)));
  });
}

// -------------------------------------------------------------- arguments

/** A dimension argument: one of the budget's declared dims (resolved at run time) or a raw value. */
type DimRef = { t: 'pick'; n: number } | { t: 'raw'; v: unknown };

function resolveDim(ref: DimRef, mb: ModelBudget): unknown {
  if (ref.t === 'raw') return ref.v;
  const declared = [...mb.limits.keys()];
  return declared[ref.n % declared.length];
}

const dimArb = fc.constantFrom<MDim>(...DIM_NAMES);
const badDimArb = fc.constantFrom<unknown>(
  'Tokens',
  ' tokens',
  'tokens ',
  'TOKENS',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '',
  'custom3',
  0,
  7,
  null,
  undefined,
  true,
  0n,
  Symbol.for('tokens'),
  { toString: () => 'tokens' },
  ['tokens'],
);
const dimRefArb: fc.Arbitrary<DimRef> = fc.oneof(
  { weight: 7, arbitrary: fc.nat({ max: 7 }).map((n): DimRef => ({ t: 'pick', n })) },
  { weight: 2, arbitrary: dimArb.map((v): DimRef => ({ t: 'raw', v })) },
  { weight: 1, arbitrary: badDimArb.map((v): DimRef => ({ t: 'raw', v })) },
);

function showRef(ref: DimRef): string {
  return ref.t === 'pick' ? `declared[${ref.n}]` : show(ref.v);
}

const smallNum = fc.integer({ min: 0, max: 40 });
const tinyNum = fc.integer({ min: 0, max: 8 });
const goodNum: fc.Arbitrary<number> = fc.oneof(
  { weight: 5, arbitrary: tinyNum },
  { weight: 3, arbitrary: smallNum },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 53 - 2) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);
const goodBig: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 5, arbitrary: tinyNum.map(BigInt) },
  { weight: 3, arbitrary: smallNum.map(BigInt) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, MAX - 1n, MAX) },
  { weight: 1, arbitrary: fc.bigInt({ min: MAX - 40n, max: MAX }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX }) },
);
const badNum = fc.constantFrom(-1, -0.5, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, -(2 ** 53));
const badAmount = fc.oneof(
  badNum,
  fc.constantFrom<unknown>(-1n, MAX + 1n, 2n ** 70n, '5', '', null, undefined, true, [1], { valueOf: () => 1 }, Symbol('amount')),
);
const amountArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 10, arbitrary: fc.oneof(goodNum, goodBig) },
  { weight: 1, arbitrary: badAmount },
);

// ------------------------------------------------------------ declarations

interface Decl {
  dim: unknown;
  limit: unknown;
  warn?: unknown; // absent: limit(); present: limitWithWarn()
}

function showDecl(d: Decl): string {
  return 'warn' in d
    ? `limitWithWarn(${show(d.dim)}, ${show(d.limit)}, ${show(d.warn)})`
    : `limit(${show(d.dim)}, ${show(d.limit)})`;
}

const smallLimit = fc.integer({ min: 1, max: 60 });
const limitArb: fc.Arbitrary<Amount> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(smallLimit, smallLimit.map(BigInt)) },
  { weight: 1, arbitrary: fc.constantFrom<Amount>(MAX, MAX - 1n, 2 ** 53 - 1, 2n ** 63n) },
);

/** A declaration that passes validation on its own (warn below limit). */
function validDecl(dim: MDim): fc.Arbitrary<Decl> {
  return limitArb.chain((limit) =>
    fc.option(fc.bigInt({ min: 0n, max: BigInt(limit) - 1n }), { nil: undefined }).map((w): Decl =>
      w === undefined ? { dim, limit } : { dim, limit, warn: typeof limit === 'number' ? Number(w) : w },
    ),
  );
}

const validDecls: fc.Arbitrary<Decl[]> = fc
  .uniqueArray(dimArb, { minLength: 1, maxLength: 5 })
  .chain((dims) => fc.tuple(...dims.map(validDecl)));

const anyDecl: fc.Arbitrary<Decl> = fc.oneof(
  fc.record({ dim: fc.oneof({ weight: 8, arbitrary: dimArb }, { weight: 1, arbitrary: badDimArb }), limit: fc.oneof(limitArb, fc.constantFrom<Amount>(0, 0n), amountArb) }),
  fc.record({
    dim: fc.oneof({ weight: 8, arbitrary: dimArb }, { weight: 1, arbitrary: badDimArb }),
    limit: fc.oneof(limitArb, fc.constantFrom<Amount>(0, 0n), amountArb),
    warn: fc.oneof(smallNum, limitArb, amountArb),
  }),
);
const anyDecls = fc.array(anyDecl, { maxLength: 6 });

const declsArb = fc.oneof({ weight: 4, arbitrary: validDecls }, { weight: 1, arbitrary: anyDecls });

/** Run one set of declarations through both builders, comparing every call, then build. */
function buildBoth(decls: Decl[], label: string): { real?: Budget; model?: ModelBudget } {
  const rb = Budget.builder();
  const mb = new ModelBuilder();
  decls.forEach((d, i) => {
    const callLabel = `${label} decl ${i} ${showDecl(d)}`;
    const got = capture(() => ('warn' in d ? rb.limitWithWarn(d.dim as never, d.limit as never, d.warn as never) : rb.limit(d.dim as never, d.limit as never)));
    const want = run(() => ('warn' in d ? mb.limitWithWarn(d.dim, d.limit, d.warn) : mb.limit(d.dim, d.limit)));
    expectSameOutcome(got, want, () => undefined, callLabel);
    if (got.ok) expect(got.value === rb, `${callLabel}: returns the builder`).toBe(true);
  });
  const got = capture(() => rb.build());
  const want = run(() => mb.build());
  count('build', want);
  expectSameOutcome(got, want, () => undefined, `${label} build()`);
  if (got.ok && want.ok) {
    expect(got.value, label).toBeInstanceOf(Budget);
    return { real: got.value as Budget, model: want.value };
  }
  return {};
}

// ---------------------------------------------------------------- commands

abstract class Cmd implements fc.Command<Model, Real> {
  protected shown = '';
  constructor(readonly which: number) {}
  check(m: Readonly<Model>): boolean {
    return m.budgets.length > 0;
  }
  protected index(m: Model): number {
    return this.which % m.budgets.length;
  }
  abstract describe(): string;
  abstract run(m: Model, r: Real): void;
  toString(): string {
    return this.shown || this.describe();
  }
}

class ChargeCmd extends Cmd {
  constructor(which: number, readonly dim: DimRef, readonly amount: unknown) {
    super(which);
  }
  describe(): string {
    return `charge(#${this.which}, ${showRef(this.dim)}, ${show(this.amount)})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const dim = resolveDim(this.dim, mb);
    this.shown = `#${i}.charge(${show(dim)}, ${show(this.amount)})`;
    const got = capture(() => (r.budgets[i] as Budget).charge(dim as never, this.amount as never));
    const want = run(() => mb.charge(dim, this.amount));
    expectVerdict(got, want, this.shown, true);
    checkState(m, r, this.shown);
  }
}

type ManyEntry = { t: 'pair'; d: DimRef; a: unknown } | { t: 'raw'; v: unknown };

class ChargeManyArrayCmd extends Cmd {
  constructor(which: number, readonly entries: ManyEntry[]) {
    super(which);
  }
  describe(): string {
    return `chargeMany(#${this.which}, [${this.entries.map((e) => (e.t === 'raw' ? show(e.v) : `[${showRef(e.d)}, ${show(e.a)}]`)).join(', ')}])`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const resolved = this.entries.map((e) => (e.t === 'raw' ? e.v : [resolveDim(e.d, mb), e.a]));
    const fresh = () => resolved.map((e) => (Array.isArray(e) ? [...e] : e));
    this.shown = `#${i}.chargeMany(${show(resolved)})`;
    const got = capture(() => (r.budgets[i] as Budget).chargeMany(fresh() as never));
    const want = run(() => mb.chargeMany(fresh()));
    expectVerdict(got, want, this.shown, true);
    checkState(m, r, this.shown);
  }
}

class ChargeManyObjectCmd extends Cmd {
  constructor(which: number, readonly props: Array<[DimRef, unknown]>) {
    super(which);
  }
  describe(): string {
    return `chargeMany(#${this.which}, {${this.props.map(([d, a]) => `${showRef(d)}: ${show(a)}`).join(', ')}})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const pairs = this.props.map(([d, a]): [PropertyKey, unknown] => {
      const k = resolveDim(d, mb);
      // Symbol keys are not generated here: they are a contested decision,
      // asserted by name in hostile.spec.ts. A symbol ref becomes its string form.
      return [typeof k === 'symbol' ? k.toString() : String(k), a];
    });
    // defineProperty so that a '__proto__' key becomes an own property
    const fresh = () => {
      const o: Record<PropertyKey, unknown> = {};
      for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    };
    this.shown = `#${i}.chargeMany(${show(fresh())})`;
    const got = capture(() => (r.budgets[i] as Budget).chargeMany(fresh() as never));
    const want = run(() => mb.chargeMany(fresh()));
    expectVerdict(got, want, this.shown, true);
    checkState(m, r, this.shown);
  }
}

type IdxRef = { t: 'pick'; n: number } | { t: 'raw'; v: number };
type BatchKind = 'f64' | 'u64' | 'dims-int8' | 'dims-clamped' | 'dims-array' | 'amounts-f32' | 'amounts-i64' | 'amounts-array';

class ChargeBatchCmd extends Cmd {
  constructor(
    which: number,
    readonly kind: BatchKind,
    readonly entries: Array<[IdxRef, number, bigint]>,
    readonly lenDelta: -1 | 0 | 1,
  ) {
    super(which);
  }
  describe(): string {
    return `chargeBatch(#${this.which}, ${this.kind}, ${this.entries.length} entries, lenDelta ${this.lenDelta})`;
  }
  private make(mb: ModelBudget): [unknown, unknown] {
    const declared = [...mb.limits.keys()];
    const idx = this.entries.map(([ref]) => (ref.t === 'raw' ? ref.v : DIM_NAMES.indexOf(declared[ref.n % declared.length] as MDim)));
    const nums = this.entries.map(([, n]) => n);
    const bigs = this.entries.map(([, , b]) => b);
    if (this.lenDelta === 1) {
      nums.push(1);
      bigs.push(1n);
    } else if (this.lenDelta === -1) {
      idx.push(0);
    }
    const u8 = Uint8Array.from(idx);
    const f64 = Float64Array.from(nums);
    switch (this.kind) {
      case 'f64':
        return [u8, f64];
      case 'u64':
        return [u8, BigUint64Array.from(bigs)];
      case 'dims-int8':
        return [Int8Array.from(idx), f64];
      case 'dims-clamped':
        return [Uint8ClampedArray.from(idx), f64];
      case 'dims-array':
        return [idx, f64];
      case 'amounts-f32':
        return [u8, Float32Array.from(nums)];
      case 'amounts-i64':
        return [u8, BigInt64Array.from(bigs)];
      case 'amounts-array':
        return [u8, nums];
    }
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const [rd, ra] = this.make(mb);
    const [md, ma] = this.make(mb);
    this.shown = `#${i}.chargeBatch(${show(rd)}, ${show(ra)})`;
    const got = capture(() => (r.budgets[i] as Budget).chargeBatch(rd as never, ra as never));
    const want = run(() => mb.chargeBatch(md, ma));
    expectVerdict(got, want, this.shown, true);
    checkState(m, r, this.shown);
  }
}

class QueryCmd extends Cmd {
  constructor(which: number, readonly what: 'spent' | 'remaining', readonly dim: DimRef) {
    super(which);
  }
  describe(): string {
    return `${this.what}(#${this.which}, ${showRef(this.dim)})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const dim = resolveDim(this.dim, mb);
    this.shown = `#${i}.${this.what}(${show(dim)})`;
    const rb = r.budgets[i] as Budget;
    const got = capture(() => (this.what === 'spent' ? rb.spent(dim as never) : rb.remaining(dim as never)));
    const want = run(() => (this.what === 'spent' ? mb.spent(dim) : mb.remaining(dim)));
    expectSameOutcome(got, want, (v) => v, this.shown);
    if (got.ok) expect(typeof got.value === 'bigint' || got.value === undefined, this.shown).toBe(true);
    checkState(m, r, this.shown);
  }
}

class ResetCmd extends Cmd {
  describe(): string {
    return `reset(#${this.which})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    this.shown = `#${i}.reset()`;
    const got = capture(() => (r.budgets[i] as Budget).reset());
    const want = run(() => (m.budgets[i] as ModelBudget).reset());
    expectSameOutcome(got, want, (v) => v, this.shown);
    checkState(m, r, this.shown);
  }
}

class CloneCmd extends Cmd {
  describe(): string {
    return `clone(#${this.which})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    this.shown = `#${m.budgets.length} = #${i}.clone()`;
    const got = capture(() => (r.budgets[i] as Budget).clone());
    const want = run(() => (m.budgets[i] as ModelBudget).clone());
    expectSameOutcome(got, want, () => undefined, this.shown);
    if (!got.ok || !want.ok) return;
    expect(got.value, this.shown).toBeInstanceOf(Budget);
    expect(got.value === r.budgets[i], this.shown).toBe(false);
    // Keep a bounded number of budgets: the clone replaces the oldest other one when full.
    if (m.budgets.length < MAX_BUDGETS) {
      m.budgets.push(want.value);
      r.budgets.push(got.value as Budget);
    } else {
      const j = (i + 1) % m.budgets.length;
      this.shown = `#${j} = #${i}.clone()`;
      m.budgets[j] = want.value;
      r.budgets[j] = got.value as Budget;
    }
    checkState(m, r, this.shown);
  }
}

class ReleaseCmd extends Cmd {
  constructor(which: number, readonly how: 'release' | 'dispose') {
    super(which);
  }
  describe(): string {
    return `${this.how}(#${this.which})`;
  }
  run(m: Model, r: Real): void {
    const i = this.index(m);
    const mb = m.budgets[i] as ModelBudget;
    const rb = r.budgets[i] as Budget;
    this.shown = this.how === 'release' ? `#${i}.release()` : `#${i}[Symbol.dispose]()`;
    // No finalizer can run inside this synchronous run, so the live count
    // moves only by what this call frees: one slot, or none if already released.
    const before = liveBudgets();
    const freed = mb.released ? 0 : 1;
    const got = capture(() => (this.how === 'release' ? rb.release() : rb[Symbol.dispose]()));
    const want = run(() => mb.release());
    count(this.how, want);
    expectSameOutcome(got, want, (v) => v, this.shown);
    expect(liveBudgets(), `${this.shown}: live slots`).toBe(before - freed);
    checkState(m, r, this.shown);
  }
}

class BuildCmd extends Cmd {
  constructor(readonly decls: Decl[]) {
    super(0);
  }
  override check(): boolean {
    return true;
  }
  describe(): string {
    return `build([${this.decls.map(showDecl).join(', ')}])`;
  }
  run(m: Model, r: Real): void {
    this.shown = this.describe();
    const { real, model } = buildBoth(this.decls, this.shown);
    if (real === undefined || model === undefined) return;
    if (m.budgets.length < MAX_BUDGETS) {
      m.budgets.push(model);
      r.budgets.push(real);
    } else {
      m.budgets[0] = model;
      r.budgets[0] = real;
    }
    checkState(m, r, this.shown);
  }
}

const whichArb = fc.nat({ max: 7 });
const manyEntryArb: fc.Arbitrary<ManyEntry> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(dimRefArb, amountArb).map(([d, a]): ManyEntry => ({ t: 'pair', d, a })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<unknown>(undefined, null, 'tokens', 5, [], ['tokens'], ['tokens', 1, 0], { 0: 'tokens', 1: 1, length: 2 })
      .map((v): ManyEntry => ({ t: 'raw', v })),
  },
);
const idxRefArb: fc.Arbitrary<IdxRef> = fc.oneof(
  { weight: 8, arbitrary: fc.nat({ max: 7 }).map((n): IdxRef => ({ t: 'pick', n })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }).map((v): IdxRef => ({ t: 'raw', v })) },
  { weight: 1, arbitrary: fc.constantFrom(8, 9, 200, 255).map((v): IdxRef => ({ t: 'raw', v })) },
);
const batchKindArb: fc.Arbitrary<BatchKind> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<BatchKind>('f64', 'u64') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<BatchKind>('dims-int8', 'dims-clamped', 'dims-array', 'amounts-f32', 'amounts-i64', 'amounts-array'),
  },
);

const commandArbs = [
  fc.tuple(whichArb, dimRefArb, amountArb).map(([w, d, a]) => new ChargeCmd(w, d, a)),
  fc.tuple(whichArb, dimRefArb, amountArb).map(([w, d, a]) => new ChargeCmd(w, d, a)),
  fc.tuple(whichArb, dimRefArb, amountArb).map(([w, d, a]) => new ChargeCmd(w, d, a)),
  fc.tuple(whichArb, fc.array(manyEntryArb, { maxLength: 5 })).map(([w, e]) => new ChargeManyArrayCmd(w, e)),
  fc.tuple(whichArb, fc.array(fc.tuple(dimRefArb, amountArb), { maxLength: 5 })).map(([w, p]) => new ChargeManyObjectCmd(w, p)),
  fc
    .tuple(
      whichArb,
      batchKindArb,
      fc.array(fc.tuple(idxRefArb, fc.oneof({ weight: 12, arbitrary: goodNum }, { weight: 1, arbitrary: badNum }), goodBig), { maxLength: 5 }),
      fc.oneof({ weight: 10, arbitrary: fc.constant<0>(0) }, { weight: 1, arbitrary: fc.constantFrom<-1 | 1>(-1, 1) }),
    )
    .map(([w, k, e, l]) => new ChargeBatchCmd(w, k, e, l)),
  fc.tuple(whichArb, fc.constantFrom<'spent' | 'remaining'>('spent', 'remaining'), dimRefArb).map(([w, q, d]) => new QueryCmd(w, q, d)),
  whichArb.map((w) => new ResetCmd(w)),
  whichArb.map((w) => new CloneCmd(w)),
  fc.tuple(whichArb, fc.constantFrom<'release' | 'dispose'>('release', 'dispose')).map(([w, h]) => new ReleaseCmd(w, h)),
  declsArb.map((d) => new BuildCmd(d)),
];

describe('addon vs reference model', () => {
  it('random builds (valid and invalid, good and bad arguments) agree call by call', () => {
    fc.assert(
      fc.property(fc.oneof(declsArb, anyDecls), (decls) => {
        buildBoth(decls, `build([${decls.map(showDecl).join(', ')}])`);
      }),
      { numRuns: NUM_RUNS * 4 },
    );
  });

  it('random command sequences agree after every command', () => {
    fc.assert(
      fc.property(declsArb, fc.commands(commandArbs, { maxCommands: 40, size: 'large' }), (decls, cmds) => {
        const setup = (): { model: Model; real: Real } => {
          const model: Model = { budgets: [] };
          const real: Real = { budgets: [] };
          new BuildCmd(decls).run(model, real);
          return { model, real };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the builder is a BudgetBuilder and builds Budgets', () => {
    expect(Budget.builder()).toBeInstanceOf(BudgetBuilder);
  });
});
