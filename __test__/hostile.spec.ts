// Hostile input: every public function and method, called with every class
// of bad value. Each case is its own named test. A rejected call must throw
// the documented class (TypeError / RangeError / ChargeError with code and
// dim), must never coerce an object (valueOf / toString / Symbol.toPrimitive
// are spies that must stay uncalled), must not crash the process, and must
// leave the budget (spent and remaining of all eight dims) and the builder
// exactly as they were. Extra arguments are ignored: the call behaves like
// the same call without them, on an identical twin fixture.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Budget,
  BudgetBuilder,
  BudgetError,
  ReleasedError,
  worst,
  isContinuing,
  isExhausted,
  type Dim,
  type Verdict,
} from '../index.js';
import { capture, remainingAll, show, spentAll } from './helpers.js';

// --------------------------------------------------------------- fixture

interface Ctx {
  budget: Budget;
  builder: BudgetBuilder;
}

/** tokens: limit 100 warn 50, spent 60 (warning); calls: limit 5, spent 1; memory: limit 2^60, uncharged. */
function fixture(): Ctx {
  const budget = Budget.builder().limitWithWarn('tokens', 100, 50).limit('calls', 5).limit('memory', 2n ** 60n).build();
  budget.charge('tokens', 60);
  budget.charge('calls', 1);
  return { budget, builder: Budget.builder().limit('tokens', 100) };
}
const U = undefined;
const FIXTURE_SPENT = [60n, U, U, 1n, 0n, U, U, U];
const FIXTURE_REMAINING = [40n, U, U, 4n, 2n ** 60n, U, U, U];
/** What the fixture builder builds: only tokens, limit 100. */
const BUILDER_REMAINING = [100n, U, U, U, U, U, U, U];

let coercions = 0;
const viaValueOf = (v: unknown) => ({
  valueOf() {
    coercions++;
    return v;
  },
});
const viaToString = (v: unknown) => ({
  toString() {
    coercions++;
    return v;
  },
});
const viaToPrimitive = (v: unknown) => ({
  [Symbol.toPrimitive]() {
    coercions++;
    return v;
  },
});

type Want =
  | { cls: 'TypeError' }
  | { cls: 'RangeError' }
  | { cls: 'ChargeError'; code: 'UNKNOWN_DIMENSION'; dim: Dim }
  | { cls: 'ReleasedError'; code: 'BUDGET_RELEASED' };
const TYPE: Want = { cls: 'TypeError' };
const RANGE: Want = { cls: 'RangeError' };
const unknownDim = (dim: Dim): Want => ({ cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim });

interface Rejected {
  name: string;
  call: (c: Ctx) => unknown;
  want: Want;
}

function expectRejected(c: Rejected): void {
  coercions = 0;
  const ctx = fixture();
  let raw: unknown;
  const got = capture(() => {
    try {
      return c.call(ctx);
    } catch (e) {
      raw = e;
      throw e;
    }
  });
  expect(got, c.name).toEqual({ ok: false, error: c.want });
  // a clear error: an Error with a non-empty message (its wording is not part of the contract)
  expect(raw).toBeInstanceOf(Error);
  expect(typeof (raw as Error).message === 'string' && (raw as Error).message.length > 0, 'non-empty message').toBe(true);
  expect(coercions, 'no argument was coerced (valueOf/toString/toPrimitive called)').toBe(0);
  expect(spentAll(ctx.budget), 'spent unchanged').toEqual(FIXTURE_SPENT);
  expect(remainingAll(ctx.budget), 'remaining unchanged').toEqual(FIXTURE_REMAINING);
  // the budget still works and still holds its warn state
  expect(ctx.budget.charge('tokens', 0)).toEqual({ kind: 'warn', dim: 'tokens' });
  expect(ctx.budget.charge('calls', 0)).toEqual({ kind: 'continue' });
  // the builder recorded nothing from the rejected call
  expect(remainingAll(ctx.builder.build()), 'builder unchanged').toEqual(BUILDER_REMAINING);
}

function rejects(group: string, cases: Rejected[]): void {
  describe(group, () => {
    for (const c of cases) it(c.name, () => expectRejected(c));
  });
}

// ----------------------------------------------------------- bad values

type Named = [string, () => unknown];

/** Values that are not one of the eight dimension names: all TypeError. */
const badDims: Named[] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['0', () => 0],
  ['1', () => 1],
  ['NaN', () => NaN],
  ['true', () => true],
  ['0n', () => 0n],
  ['{}', () => ({})],
  ['[]', () => []],
  ["['tokens']", () => ['tokens']],
  ['a function', () => () => 'tokens'],
  ["Symbol('tokens')", () => Symbol('tokens')],
  ["Symbol.for('tokens')", () => Symbol.for('tokens')],
  ['Symbol.iterator', () => Symbol.iterator],
  ["new String('tokens')", () => new String('tokens')],
  ["{valueOf: () => 'tokens'}", () => viaValueOf('tokens')],
  ["{toString: () => 'tokens'}", () => viaToString('tokens')],
  ["{[Symbol.toPrimitive]: () => 'tokens'}", () => viaToPrimitive('tokens')],
  ["'Tokens'", () => 'Tokens'],
  ["'TOKENS'", () => 'TOKENS'],
  ["' tokens'", () => ' tokens'],
  ["'tokens '", () => 'tokens '],
  ["'tokens\\0'", () => 'tokens\0'],
  ["'token'", () => 'token'],
  ["''", () => ''],
  ["'custom8'", () => 'custom8'],
  ["'0'", () => '0'],
  ["'toString'", () => 'toString'],
  ["'__proto__'", () => '__proto__'],
  ["'constructor'", () => 'constructor'],
  ["'hasOwnProperty'", () => 'hasOwnProperty'],
  ["'valueOf'", () => 'valueOf'],
];

/** Amounts of the wrong type: TypeError (nothing is coerced). */
const wrongTypeAmounts: Named[] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ["'5'", () => '5'],
  ["'0'", () => '0'],
  ["''", () => ''],
  ['true', () => true],
  ['false', () => false],
  ['{}', () => ({})],
  ['[]', () => []],
  ['[5]', () => [5]],
  ['{valueOf: () => 5}', () => viaValueOf(5)],
  ["{toString: () => '5'}", () => viaToString('5')],
  ['{[Symbol.toPrimitive]: () => 5n}', () => viaToPrimitive(5n)],
  ['new Number(5)', () => new Number(5)],
  ['Object(5n)', () => Object(5n)],
  ["Symbol('5')", () => Symbol('5')],
  ['a function', () => () => 5],
];

/** Numbers and bigints outside the accepted range: RangeError. */
const outOfRangeAmounts: Named[] = [
  ['-1', () => -1],
  ['-0.5', () => -0.5],
  ['0.5', () => 0.5],
  ['1.5', () => 1.5],
  ['Number.MIN_VALUE', () => Number.MIN_VALUE],
  ['-Number.MIN_VALUE', () => -Number.MIN_VALUE],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['2**53 (unsafe)', () => 2 ** 53],
  ['2**53 + 2', () => 2 ** 53 + 2],
  ['2**64', () => 2 ** 64],
  ['Number.MAX_VALUE', () => Number.MAX_VALUE],
  ['-(2**53)', () => -(2 ** 53)],
  ['-1n', () => -1n],
  ['2n**64n', () => 2n ** 64n],
  ['2n**64n + 1n', () => 2n ** 64n + 1n],
  ['2n**128n', () => 2n ** 128n],
  ['-(2n**64n)', () => -(2n ** 64n)],
];
/** The numbers among them (for Float64Array batches). */
const outOfRangeNumbers = outOfRangeAmounts.filter(([, v]) => typeof v() === 'number') as Array<[string, () => number]>;

const badAmounts: Array<[string, () => unknown, Want]> = [
  ...wrongTypeAmounts.map(([n, v]): [string, () => unknown, Want] => [n, v, TYPE]),
  ...outOfRangeAmounts.map(([n, v]): [string, () => unknown, Want] => [n, v, RANGE]),
];

// ------------------------------------------------------- dimension args

rejects(
  'bad dimension names → TypeError',
  badDims.flatMap(([n, v]): Rejected[] => [
    { name: `charge(${n}, 1)`, call: (c) => c.budget.charge(v() as Dim, 1), want: TYPE },
    { name: `spent(${n})`, call: (c) => c.budget.spent(v() as Dim), want: TYPE },
    { name: `remaining(${n})`, call: (c) => c.budget.remaining(v() as Dim), want: TYPE },
    { name: `chargeMany([[${n}, 1]])`, call: (c) => c.budget.chargeMany([[v() as Dim, 1]]), want: TYPE },
    { name: `chargeMany([['tokens', 1], [${n}, 1]])`, call: (c) => c.budget.chargeMany([['tokens', 1], [v() as Dim, 1]]), want: TYPE },
    { name: `builder.limit(${n}, 10)`, call: (c) => c.builder.limit(v() as Dim, 10), want: TYPE },
    { name: `builder.limitWithWarn(${n}, 10, 5)`, call: (c) => c.builder.limitWithWarn(v() as Dim, 10, 5), want: TYPE },
  ]),
);

// ---------------------------------------------------------- amount args

rejects(
  'bad amounts → TypeError (wrong type) / RangeError (out of range)',
  badAmounts.flatMap(([n, v, want]): Rejected[] => [
    { name: `charge('tokens', ${n})`, call: (c) => c.budget.charge('tokens', v() as never), want },
    // argument checks come before the declared-dimension check
    { name: `charge('bytes' (undeclared), ${n})`, call: (c) => c.budget.charge('bytes', v() as never), want },
    { name: `chargeMany([['tokens', ${n}]])`, call: (c) => c.budget.chargeMany([['tokens', v() as never]]), want },
    { name: `chargeMany([['tokens', 1], ['calls', ${n}]])`, call: (c) => c.budget.chargeMany([['tokens', 1], ['calls', v() as never]]), want },
    { name: `chargeMany([['bytes' (undeclared), 1], ['tokens', ${n}]])`, call: (c) => c.budget.chargeMany([['bytes', 1], ['tokens', v() as never]]), want },
    // (an undefined property value is skipped, see 'odd but valid inputs')
    ...(v() === undefined ? [] : [{ name: `chargeMany({tokens: 1, calls: ${n}})`, call: (c: Ctx) => c.budget.chargeMany({ tokens: 1, calls: v() as never }), want }]),
    { name: `builder.limit('calls', ${n})`, call: (c) => c.builder.limit('calls', v() as never), want },
    { name: `builder.limitWithWarn('calls', ${n}, 1)`, call: (c) => c.builder.limitWithWarn('calls', v() as never, 1), want },
    { name: `builder.limitWithWarn('calls', 10, ${n})`, call: (c) => c.builder.limitWithWarn('calls', 10, v() as never), want },
  ]),
);

// ------------------------------------------------------------ chargeMany

const tokensAndBytes = (): Record<string, unknown> => ({ tokens: 1, bytes: 1 });
rejects('chargeMany: bad shapes', [
  ...(
    [
      ['undefined', () => undefined],
      ['null', () => null],
      ['5', () => 5],
      ['5n', () => 5n],
      ['true', () => true],
      ["'tokens'", () => 'tokens'],
      ["Symbol('tokens')", () => Symbol('tokens')],
      ['a function', () => () => [['tokens', 1]]],
      ["new Map([['tokens', 1]]) [decision: only arrays and plain objects]", () => new Map([['tokens', 1]])],
      ["new Set([['tokens', 1]]) [decision: only arrays and plain objects]", () => new Set([['tokens', 1]])],
      ['new Uint8Array([0])', () => new Uint8Array([0])],
      ["{valueOf: () => [['tokens', 1]]}", () => viaValueOf([['tokens', 1]])],
      ['a revoked Proxy', () => {
        const { proxy, revoke } = Proxy.revocable({ tokens: 1 }, {});
        revoke();
        return proxy;
      }],
    ] as Named[]
  ).map(([n, v]): Rejected => ({ name: `chargeMany(${n})`, call: (c) => c.budget.chargeMany(v() as never), want: TYPE })),
  // array form
  { name: 'chargeMany([undefined])', call: (c) => c.budget.chargeMany([undefined] as never), want: TYPE },
  { name: 'chargeMany([null])', call: (c) => c.budget.chargeMany([null] as never), want: TYPE },
  { name: "chargeMany(['tokens', 1]) (a pair, not a list of pairs)", call: (c) => c.budget.chargeMany(['tokens', 1] as never), want: TYPE },
  { name: 'chargeMany([[]])', call: (c) => c.budget.chargeMany([[]] as never), want: TYPE },
  { name: "chargeMany([['tokens']]) (missing amount)", call: (c) => c.budget.chargeMany([['tokens']] as never), want: TYPE },
  { name: "chargeMany([['tokens', 1, 2]]) (extra element in a pair)", call: (c) => c.budget.chargeMany([['tokens', 1, 2]] as never), want: TYPE },
  { name: "chargeMany([['tokens', 1], ['calls']])", call: (c) => c.budget.chargeMany([['tokens', 1], ['calls']] as never), want: TYPE },
  // eslint-disable-next-line no-sparse-arrays
  { name: "chargeMany([<hole>, ['tokens', 1]])", call: (c) => c.budget.chargeMany([, ['tokens', 1]] as never), want: TYPE },
  // eslint-disable-next-line no-sparse-arrays
  { name: "chargeMany([['tokens', 1], <hole>, ['calls', 1]])", call: (c) => c.budget.chargeMany([['tokens', 1], , ['calls', 1]] as never), want: TYPE },
  // eslint-disable-next-line no-sparse-arrays
  { name: 'chargeMany([[<hole>, 1]])', call: (c) => c.budget.chargeMany([[, 1]] as never), want: TYPE },
  // eslint-disable-next-line no-sparse-arrays
  { name: "chargeMany([['tokens', <hole>]]) (length 2, amount a hole)", call: (c) => c.budget.chargeMany([['tokens', ,]] as never), want: TYPE },
  {
    name: "chargeMany([{0: 'tokens', 1: 1, length: 2}]) (array-like entry)",
    call: (c) => c.budget.chargeMany([{ 0: 'tokens', 1: 1, length: 2 }] as never),
    want: TYPE,
  },
  {
    name: "chargeMany({0: ['tokens', 1], length: 1}) (array-like list: '0' is no dimension)",
    call: (c) => c.budget.chargeMany({ 0: ['tokens', 1], length: 1 } as never),
    want: TYPE,
  },
  { name: "chargeMany([['tokens', 1], ['bytes', 1]]) (undeclared)", call: (c) => c.budget.chargeMany([['tokens', 1], ['bytes', 1]]), want: unknownDim('bytes') },
  {
    name: "chargeMany([['tokens', 1], ['custom1', 1], ['bytes', 1]]) names the first undeclared",
    call: (c) => c.budget.chargeMany([['tokens', 1], ['custom1', 1], ['bytes', 1]]),
    want: unknownDim('custom1'),
  },
  {
    name: "chargeMany([['tokens', 40], ['tokens', 1], ['millis', 0]]) (undeclared after an exhausting entry)",
    call: (c) => c.budget.chargeMany([['tokens', 40], ['tokens', 1], ['millis', 0]]),
    want: unknownDim('millis'),
  },
  // object form
  { name: 'chargeMany({Tokens: 1})', call: (c) => c.budget.chargeMany({ Tokens: 1 } as never), want: TYPE },
  { name: 'chargeMany({tokens: 1, toString: 1})', call: (c) => c.budget.chargeMany({ tokens: 1, toString: 1 } as never), want: TYPE },
  { name: 'chargeMany({constructor: 1})', call: (c) => c.budget.chargeMany({ constructor: 1 } as never), want: TYPE },
  { name: "chargeMany(own '__proto__' key)", call: (c) => c.budget.chargeMany(JSON.parse('{"tokens": 1, "__proto__": 1}')), want: TYPE },
  { name: "chargeMany({'0': 1})", call: (c) => c.budget.chargeMany({ 0: 1 } as never), want: TYPE },
  { name: "chargeMany({tokens: '1'})", call: (c) => c.budget.chargeMany({ tokens: '1' } as never), want: TYPE },
  { name: 'chargeMany({tokens: null})', call: (c) => c.budget.chargeMany({ tokens: null } as never), want: TYPE },
  { name: 'chargeMany({tokens: -1})', call: (c) => c.budget.chargeMany({ tokens: -1 }), want: RANGE },
  { name: 'chargeMany({tokens: 1, calls: 2n**64n})', call: (c) => c.budget.chargeMany({ tokens: 1, calls: 2n ** 64n }), want: RANGE },
  { name: 'chargeMany({tokens: 1, bytes: 1}) (undeclared)', call: (c) => c.budget.chargeMany(tokensAndBytes() as never), want: unknownDim('bytes') },
  { name: 'chargeMany(Object.create({tokens: 1})) (inherited key) [decision: only arrays and plain objects]', call: (c) => c.budget.chargeMany(Object.create({ tokens: 1 })), want: TYPE },
  {
    name: 'chargeMany(own calls + inherited tokens) [decision: only arrays and plain objects]',
    call: (c) => c.budget.chargeMany(Object.assign(Object.create({ tokens: 1 }), { calls: 1 })),
    want: TYPE,
  },
]);

// Symbol keys are not property names a dimension can have: like Object.keys,
// for...in and JSON.stringify, the object form skips them. [decision: checking
// for them costs an allocation and ~40 ns on every object-form call]
describe('chargeMany object form: symbol keys are skipped, string keys still charged', () => {
  it("{tokens: 1, [Symbol('x')]: 1} charges exactly tokens += 1", () => {
    const ctx = fixture();
    expect(ctx.budget.chargeMany({ tokens: 1, [Symbol('x')]: 1 } as never)).toBe(ctx.budget.charge('tokens', 0));
    expect(spentAll(ctx.budget)).toEqual([61n, U, U, 1n, 0n, U, U, U]);
  });
  it('{[Symbol.iterator]: 1} charges nothing and polls as continue', () => {
    const ctx = fixture();
    expect(ctx.budget.chargeMany({ [Symbol.iterator]: 1 } as never)).toEqual({ kind: 'continue' });
    expect(spentAll(ctx.budget)).toEqual(FIXTURE_SPENT);
  });
});

// ----------------------------------------------------------- chargeBatch

const u8 = (...xs: number[]) => new Uint8Array(xs);
const f64 = (...xs: number[]) => new Float64Array(xs);
const big = (...xs: bigint[]) => new BigUint64Array(xs);
rejects('chargeBatch: bad typed arrays, lengths, indexes and amounts', [
  ...(
    [
      ['undefined', () => undefined],
      ['null', () => null],
      ['[0]', () => [0]],
      ["'\\u0000'", () => '\u0000'],
      ['{0: 0, length: 1}', () => ({ 0: 0, length: 1 })],
      ['Int8Array', () => new Int8Array([0])],
      ['Uint8ClampedArray', () => new Uint8ClampedArray([0])],
      ['Uint16Array', () => new Uint16Array([0])],
      ['Float64Array', () => new Float64Array([0])],
      ['DataView', () => new DataView(new ArrayBuffer(1))],
      ['ArrayBuffer', () => new ArrayBuffer(1)],
    ] as Named[]
  ).map(([n, v]): Rejected => ({ name: `chargeBatch(dims = ${n}, Float64Array[1])`, call: (c) => c.budget.chargeBatch(v() as never, f64(1)), want: TYPE })),
  ...(
    [
      ['undefined', () => undefined],
      ['null', () => null],
      ['[1]', () => [1]],
      ['[1n]', () => [1n]],
      ['Float32Array', () => new Float32Array([1])],
      ['Int32Array', () => new Int32Array([1])],
      ['Uint32Array', () => new Uint32Array([1])],
      ['BigInt64Array', () => new BigInt64Array([1n])],
      ['Uint8Array', () => new Uint8Array([1])],
      ['DataView', () => new DataView(new ArrayBuffer(8))],
      ['ArrayBuffer', () => new ArrayBuffer(8)],
    ] as Named[]
  ).map(([n, v]): Rejected => ({ name: `chargeBatch(Uint8Array[0], amounts = ${n})`, call: (c) => c.budget.chargeBatch(u8(0), v() as never), want: TYPE })),
  { name: 'chargeBatch(Float64Array, Uint8Array) (swapped)', call: (c) => c.budget.chargeBatch(f64(1) as never, u8(0) as never), want: TYPE },
  // Memory another thread could write mid-call: refused, never read.
  { name: 'chargeBatch(Uint8Array over a SharedArrayBuffer, Float64Array[1])', call: (c) => c.budget.chargeBatch(new Uint8Array(new SharedArrayBuffer(1)), f64(1)), want: TYPE },
  { name: 'chargeBatch(Uint8Array[0], Float64Array over a SharedArrayBuffer)', call: (c) => c.budget.chargeBatch(u8(0), new Float64Array(new SharedArrayBuffer(8)).fill(1)), want: TYPE },
  { name: 'chargeBatch(Uint8Array[0], BigUint64Array over a SharedArrayBuffer)', call: (c) => c.budget.chargeBatch(u8(0), new BigUint64Array(new SharedArrayBuffer(8)).fill(1n)), want: TYPE },
  { name: 'chargeBatch(Uint8Array[0, 3], Float64Array[1]) (too few amounts)', call: (c) => c.budget.chargeBatch(u8(0, 3), f64(1)), want: RANGE },
  { name: 'chargeBatch(Uint8Array[0], Float64Array[1, 1]) (too many amounts)', call: (c) => c.budget.chargeBatch(u8(0), f64(1, 1)), want: RANGE },
  { name: 'chargeBatch(Uint8Array[], Float64Array[1])', call: (c) => c.budget.chargeBatch(u8(), f64(1)), want: RANGE },
  { name: 'chargeBatch(Uint8Array[0], BigUint64Array[])', call: (c) => c.budget.chargeBatch(u8(0), big()), want: RANGE },
  { name: 'chargeBatch(Uint8Array[0, 3], BigUint64Array[1n, 1n, 1n])', call: (c) => c.budget.chargeBatch(u8(0, 3), big(1n, 1n, 1n)), want: RANGE },
  ...[8, 9, 100, 255].map(
    (i): Rejected => ({ name: `chargeBatch(Uint8Array[0, ${i}], Float64Array[1, 1]) (index >= 8)`, call: (c) => c.budget.chargeBatch(u8(0, i), f64(1, 1)), want: RANGE }),
  ),
  { name: 'chargeBatch(Uint8Array[8], BigUint64Array[0n])', call: (c) => c.budget.chargeBatch(u8(8), big(0n)), want: RANGE },
  {
    name: 'chargeBatch(Uint8Array[2, 9], Float64Array[1, 1]) (undeclared first, bad index later: RangeError)',
    call: (c) => c.budget.chargeBatch(u8(2, 9), f64(1, 1)),
    want: RANGE,
  },
  ...outOfRangeNumbers.map(
    ([n, v]): Rejected => ({ name: `chargeBatch(Uint8Array[0, 3], Float64Array[1, ${n}])`, call: (c) => c.budget.chargeBatch(u8(0, 3), f64(1, v())), want: RANGE }),
  ),
  { name: 'chargeBatch(Uint8Array[2], Float64Array[1]) (bytes undeclared)', call: (c) => c.budget.chargeBatch(u8(2), f64(1)), want: unknownDim('bytes') },
  { name: 'chargeBatch(Uint8Array[0, 3, 7, 2], ...) names the first undeclared', call: (c) => c.budget.chargeBatch(u8(0, 3, 7, 2), big(1n, 1n, 1n, 1n)), want: unknownDim('custom2') },
  { name: 'chargeBatch(Uint8Array[2, 0], Float64Array[1, NaN]) (RangeError wins over undeclared)', call: (c) => c.budget.chargeBatch(u8(2, 0), f64(1, NaN)), want: RANGE },
]);

// --------------------------------------------------------- foreign `this`

const budgetMethods: Array<[string, unknown[]]> = [
  ['charge', ['tokens', 1]],
  ['chargeMany', [[['tokens', 1]]]],
  ['chargeBatch', [u8(0), f64(1)]],
  ['spent', ['tokens']],
  ['remaining', ['tokens']],
  ['reset', []],
  ['clone', []],
  ['release', []],
];
const builderMethods: Array<[string, unknown[]]> = [
  ['limit', ['calls', 1]],
  ['limitWithWarn', ['calls', 2, 1]],
  ['build', []],
];
class Unrelated {
  tokens = 1;
}
const budgetReceivers: Array<[string, (c: Ctx) => unknown]> = [
  ['{}', () => ({})],
  ['null', () => null],
  ['undefined', () => undefined],
  ['42', () => 42],
  ["'tokens'", () => 'tokens'],
  ['an unrelated class instance', () => new Unrelated()],
  ['new Date()', () => new Date()],
  ['Object.create(Budget.prototype)', () => Object.create(Budget.prototype)],
  ['a BudgetBuilder', (c) => c.builder],
  ['Budget (the class)', () => Budget],
  ['a Proxy around a real Budget', (c) => new Proxy(c.budget, {})],
];
const builderReceivers: Array<[string, (c: Ctx) => unknown]> = [
  ['{}', () => ({})],
  ['null', () => null],
  ['undefined', () => undefined],
  ['an unrelated class instance', () => new Unrelated()],
  ['Object.create(BudgetBuilder.prototype)', () => Object.create(BudgetBuilder.prototype)],
  ['a Budget', (c) => c.budget],
];

describe('methods live on the prototypes (so the foreign-this cases below are real calls)', () => {
  for (const [m] of budgetMethods) it(`Budget.prototype.${m} is a function`, () => expect(typeof (Budget.prototype as unknown as Record<string, unknown>)[m]).toBe('function'));
  for (const [m] of builderMethods) it(`BudgetBuilder.prototype.${m} is a function`, () => expect(typeof (BudgetBuilder.prototype as unknown as Record<string, unknown>)[m]).toBe('function'));
});

rejects('foreign this → TypeError', [
  ...budgetMethods.flatMap(([m, args]) =>
    budgetReceivers.map(
      ([rn, recv]): Rejected => ({
        name: `Budget.prototype.${m}.call(${rn}, ${args.map(show).join(', ')})`,
        call: (c) => ((Budget.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[m] as (...a: unknown[]) => unknown).call(recv(c), ...args),
        want: TYPE,
      }),
    ),
  ),
  ...builderMethods.flatMap(([m, args]) =>
    builderReceivers.map(
      ([rn, recv]): Rejected => ({
        name: `BudgetBuilder.prototype.${m}.call(${rn}, ${args.map(show).join(', ')})`,
        call: (c) => ((BudgetBuilder.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[m] as (...a: unknown[]) => unknown).call(recv(c), ...args),
        want: TYPE,
      }),
    ),
  ),
  {
    name: 'a detached method: const { charge } = budget; charge("tokens", 1)',
    call: (c) => {
      const { charge } = c.budget;
      return charge('tokens', 1);
    },
    want: TYPE,
  },
]);

// ------------------------------------------------------ missing arguments

const call = (f: unknown, ...args: unknown[]) => (f as (...a: unknown[]) => unknown)(...args);
const callOn = (o: object, m: string, ...args: unknown[]) => ((o as Record<string, (...a: unknown[]) => unknown>)[m] as (...a: unknown[]) => unknown).call(o, ...args);

rejects('too few arguments → TypeError', [
  { name: 'charge()', call: (c) => callOn(c.budget, 'charge'), want: TYPE },
  { name: "charge('tokens')", call: (c) => callOn(c.budget, 'charge', 'tokens'), want: TYPE },
  { name: "charge('bytes') (undeclared, no amount)", call: (c) => callOn(c.budget, 'charge', 'bytes'), want: TYPE },
  { name: 'chargeMany()', call: (c) => callOn(c.budget, 'chargeMany'), want: TYPE },
  { name: 'chargeBatch()', call: (c) => callOn(c.budget, 'chargeBatch'), want: TYPE },
  { name: 'chargeBatch(Uint8Array[0])', call: (c) => callOn(c.budget, 'chargeBatch', u8(0)), want: TYPE },
  { name: 'chargeBatch(Uint8Array[])', call: (c) => callOn(c.budget, 'chargeBatch', u8()), want: TYPE },
  { name: 'spent()', call: (c) => callOn(c.budget, 'spent'), want: TYPE },
  { name: 'remaining()', call: (c) => callOn(c.budget, 'remaining'), want: TYPE },
  { name: 'builder.limit()', call: (c) => callOn(c.builder, 'limit'), want: TYPE },
  { name: "builder.limit('calls')", call: (c) => callOn(c.builder, 'limit', 'calls'), want: TYPE },
  { name: 'builder.limitWithWarn()', call: (c) => callOn(c.builder, 'limitWithWarn'), want: TYPE },
  { name: "builder.limitWithWarn('calls')", call: (c) => callOn(c.builder, 'limitWithWarn', 'calls'), want: TYPE },
  { name: "builder.limitWithWarn('calls', 10)", call: (c) => callOn(c.builder, 'limitWithWarn', 'calls', 10), want: TYPE },
  { name: 'worst()', call: () => call(worst), want: TYPE },
  { name: 'worst(continue)', call: (c) => call(worst, c.budget.charge('calls', 0)), want: TYPE },
  { name: 'isContinuing()', call: () => call(isContinuing), want: TYPE },
  { name: 'isExhausted()', call: () => call(isExhausted), want: TYPE },
]);

// --------------------------------------------------------- bad verdicts

const CONT: Verdict = { kind: 'continue' };
const badVerdicts: Named[] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ["'continue'", () => 'continue'],
  ['0', () => 0],
  ['{}', () => ({})],
  ['[]', () => []],
  ["{kind: 'Continue'}", () => ({ kind: 'Continue' })],
  ["{kind: 'bogus', dim: 'tokens'}", () => ({ kind: 'bogus', dim: 'tokens' })],
  ["{kind: 'warn'} (no dim)", () => ({ kind: 'warn' })],
  ["{kind: 'exhausted'} (no dim)", () => ({ kind: 'exhausted' })],
  ["{kind: 'warn', dim: 'Tokens'}", () => ({ kind: 'warn', dim: 'Tokens' })],
  ["{kind: 'exhausted', dim: 0}", () => ({ kind: 'exhausted', dim: 0 })],
  ["{kind: {valueOf: () => 'continue'}}", () => ({ kind: viaValueOf('continue') })],
  ["{kind: {toString: () => 'exhausted'}, dim: 'tokens'}", () => ({ kind: viaToString('exhausted'), dim: 'tokens' })],
  ["Symbol('continue')", () => Symbol('continue')],
];
rejects(
  'worst / isContinuing / isExhausted with non-verdicts → TypeError',
  badVerdicts.flatMap(([n, v]): Rejected[] => [
    { name: `worst(${n}, continue)`, call: () => worst(v() as Verdict, CONT), want: TYPE },
    { name: `worst(continue, ${n})`, call: () => worst(CONT, v() as Verdict), want: TYPE },
    { name: `worst(exhausted, ${n})`, call: () => worst({ kind: 'exhausted', dim: 'tokens' }, v() as Verdict), want: TYPE },
    { name: `isContinuing(${n})`, call: () => isContinuing(v() as Verdict), want: TYPE },
    { name: `isExhausted(${n})`, call: () => isExhausted(v() as Verdict), want: TYPE },
  ]),
);

// ---------------------------------------------- extra arguments are ignored

interface Accepted {
  name: string;
  /** the call with extra arguments */
  call: (c: Ctx) => unknown;
  /** the same call without them, run on an identical twin fixture */
  plain: (c: Ctx) => unknown;
  /** an optional probe run on both fixtures afterwards */
  probe?: (c: Ctx) => unknown;
}

function norm(v: unknown, c: Ctx): unknown {
  if (v === c.builder) return 'the builder itself';
  if (v === c.budget) return 'the budget itself';
  if (v instanceof Budget) return { budget: spentAll(v), remaining: remainingAll(v) };
  if (v instanceof BudgetBuilder) return 'a BudgetBuilder';
  return v;
}

const EXHAUSTED_CALLS: Verdict = { kind: 'exhausted', dim: 'calls' };
const accepted: Accepted[] = [
  { name: "charge('tokens', 1, 'extra', {})", call: (c) => callOn(c.budget, 'charge', 'tokens', 1, 'extra', {}), plain: (c) => c.budget.charge('tokens', 1) },
  { name: "charge('calls', 1n, -1) (a bad extra is still ignored)", call: (c) => callOn(c.budget, 'charge', 'calls', 1n, -1), plain: (c) => c.budget.charge('calls', 1n) },
  { name: "spent('tokens', 'calls')", call: (c) => callOn(c.budget, 'spent', 'tokens', 'calls'), plain: (c) => c.budget.spent('tokens') },
  { name: "remaining('calls', 1)", call: (c) => callOn(c.budget, 'remaining', 'calls', 1), plain: (c) => c.budget.remaining('calls') },
  {
    name: "chargeMany([['tokens', 1]], {calls: 1}) (second argument not charged)",
    call: (c) => callOn(c.budget, 'chargeMany', [['tokens', 1]], { calls: 1 }),
    plain: (c) => c.budget.chargeMany([['tokens', 1]]),
  },
  {
    name: 'chargeBatch(Uint8Array[3], Float64Array[1], Uint8Array[0])',
    call: (c) => callOn(c.budget, 'chargeBatch', u8(3), f64(1), u8(0)),
    plain: (c) => c.budget.chargeBatch(u8(3), f64(1)),
  },
  { name: 'reset(1, 2)', call: (c) => callOn(c.budget, 'reset', 1, 2), plain: (c) => c.budget.reset() },
  {
    name: "clone('x')",
    call: (c) => callOn(c.budget, 'clone', 'x'),
    plain: (c) => c.budget.clone(),
  },
  {
    name: "builder.limit('calls', 3, 1) (a third argument is not a warn threshold)",
    call: (c) => callOn(c.builder, 'limit', 'calls', 3, 1),
    plain: (c) => c.builder.limit('calls', 3),
    probe: (c) => {
      const b = c.builder.build();
      return [b.charge('calls', 2), b.charge('calls', 1), b.charge('calls', 1), remainingAll(b)];
    },
  },
  {
    name: "builder.limitWithWarn('calls', 3, 1, 0)",
    call: (c) => callOn(c.builder, 'limitWithWarn', 'calls', 3, 1, 0),
    plain: (c) => c.builder.limitWithWarn('calls', 3, 1),
    probe: (c) => {
      const b = c.builder.build();
      return [b.charge('calls', 1), b.charge('calls', 1), remainingAll(b)];
    },
  },
  { name: "builder.build('x')", call: (c) => callOn(c.builder, 'build', 'x'), plain: (c) => c.builder.build(), probe: () => 'built once' },
  { name: "Budget.builder('x', 1)", call: () => call(Budget.builder.bind(Budget), 'x', 1), plain: () => Budget.builder() },
  {
    name: 'Budget.builder called detached (const { builder } = Budget)',
    call: () => {
      const { builder } = Budget;
      return builder().limit('calls', 1).build();
    },
    plain: () => Budget.builder().limit('calls', 1).build(),
  },
  {
    name: "worst(continue, exhausted calls, warn tokens)",
    call: () => call(worst, CONT, EXHAUSTED_CALLS, { kind: 'warn', dim: 'tokens' }),
    plain: () => worst(CONT, EXHAUSTED_CALLS),
  },
  { name: 'isContinuing(exhausted, continue)', call: () => call(isContinuing, EXHAUSTED_CALLS, CONT), plain: () => isContinuing(EXHAUSTED_CALLS) },
  { name: 'isExhausted(continue, exhausted)', call: () => call(isExhausted, CONT, EXHAUSTED_CALLS), plain: () => isExhausted(CONT) },
];

/** Odd but valid inputs: each behaves exactly like its plain equivalent. */
const oddButValid: Accepted[] = [
  { name: 'chargeMany({tokens: undefined}) (an undefined value is skipped)', call: (c) => c.budget.chargeMany({ tokens: undefined }), plain: (c) => c.budget.chargeMany({}) },
  {
    name: 'chargeMany({tokens: 1, calls: undefined})',
    call: (c) => c.budget.chargeMany({ tokens: 1, calls: undefined }),
    plain: (c) => c.budget.chargeMany({ tokens: 1 }),
  },
  { name: "charge('tokens', -0) is a zero poll", call: (c) => c.budget.charge('tokens', -0), plain: (c) => c.budget.charge('tokens', 0) },
  { name: "builder.limit('calls', -0) is a zero limit", call: (c) => c.builder.limit('calls', -0), plain: (c) => c.builder.limit('calls', 0), probe: (c) => capture(() => c.builder.build()) },
  {
    name: 'chargeMany(array with an extra non-index property): the property is ignored',
    call: (c) => c.budget.chargeMany(Object.assign([['tokens', 1]] as Array<[Dim, number]>, { extra: ['calls', 1] })),
    plain: (c) => c.budget.chargeMany([['tokens', 1]]),
  },
  {
    name: 'chargeBatch(Buffer (a Uint8Array), Float64Array)',
    call: (c) => c.budget.chargeBatch(Buffer.from([0, 3]), f64(1, 2)),
    plain: (c) => c.budget.chargeBatch(u8(0, 3), f64(1, 2)),
  },
  {
    name: 'chargeBatch(views into a shared ArrayBuffer)',
    call: (c) => {
      const buf = new ArrayBuffer(64);
      const dims = new Uint8Array(buf, 0, 2);
      dims.set([3, 0]);
      const amounts = new Float64Array(buf, 8, 2);
      amounts.set([1, 2]);
      return c.budget.chargeBatch(dims, amounts);
    },
    plain: (c) => c.budget.chargeBatch(u8(3, 0), f64(1, 2)),
  },
];

describe('extra arguments are ignored; odd but valid inputs work', () => {
  for (const a of [...accepted, ...oddButValid]) {
    it(a.name, () => {
      coercions = 0;
      const ctx = fixture();
      const twin = fixture();
      const got = capture(() => a.call(ctx));
      const want = capture(() => a.plain(twin));
      expect(want.ok, 'the plain call is valid').toBe(true);
      expect(got.ok, `threw ${JSON.stringify(got.ok ? '' : got.error)}`).toBe(true);
      if (got.ok && want.ok) expect(norm(got.value, ctx)).toEqual(norm(want.value, twin));
      expect(spentAll(ctx.budget)).toEqual(spentAll(twin.budget));
      expect(remainingAll(ctx.budget)).toEqual(remainingAll(twin.budget));
      if (a.probe) expect(a.probe(ctx)).toEqual(a.probe(twin));
      else expect(remainingAll(ctx.builder.build())).toEqual(remainingAll(twin.builder.build()));
      expect(coercions).toBe(0);
    });
  }
});

// ------------------------------------------ re-entrancy and odd environments

describe('re-entrancy and hostile environments', () => {
  it('a getter that throws inside chargeMany (array form) propagates its own error and applies nothing', () => {
    const { budget } = fixture();
    const boom = new Error('boom');
    const entry = ['calls', 0];
    Object.defineProperty(entry, 1, {
      get() {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      budget.chargeMany([['tokens', 1], entry as [Dim, number]]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(spentAll(budget)).toEqual(FIXTURE_SPENT);
  });

  it('a getter that throws inside chargeMany (object form) propagates its own error and applies nothing', () => {
    const { budget } = fixture();
    const boom = new Error('boom');
    const charges = {
      tokens: 1,
      get calls(): number {
        throw boom;
      },
    };
    expect(() => budget.chargeMany(charges)).toThrow(boom);
    expect(spentAll(budget)).toEqual(FIXTURE_SPENT);
    // and a later checkpoint is not polluted by the aborted one
    expect(budget.chargeMany([['calls', 1]])).toEqual({ kind: 'continue' });
    expect(spentAll(budget)).toEqual([60n, U, U, 2n, 0n, U, U, U]);
  });

  it('a getter that re-enters chargeMany on the same budget: both checkpoints apply, inner first', () => {
    const { budget } = fixture();
    let inner: Verdict | undefined;
    const entry = ['calls', 0];
    Object.defineProperty(entry, 1, {
      get() {
        inner = budget.chargeMany([['tokens', 5], ['calls', 1]]);
        return 2;
      },
    });
    // inner: tokens 60 → 65 (warn), calls 1 → 2; outer: tokens 65 → 66 (warn), calls 2 → 4
    const outer = budget.chargeMany([['tokens', 1], entry as [Dim, number], ['memory', 3]]);
    expect(inner).toEqual({ kind: 'warn', dim: 'tokens' });
    expect(outer).toEqual({ kind: 'warn', dim: 'tokens' });
    expect(spentAll(budget)).toEqual([66n, U, U, 4n, 3n, U, U, U]);
  });

  it('a getter that re-enters with a failing checkpoint does not poison the outer one', () => {
    const { budget } = fixture();
    const charges = {
      tokens: 2,
      get calls(): number {
        expect(() => budget.chargeMany([['calls', 1], ['bytes', 1]])).toThrow();
        return 1;
      },
    };
    expect(budget.chargeMany(charges)).toEqual({ kind: 'warn', dim: 'tokens' });
    expect(spentAll(budget)).toEqual([62n, U, U, 2n, 0n, U, U, U]);
  });

  it('a getter that resets the budget mid-validation: the outer checkpoint applies to the reset state', () => {
    const { budget } = fixture();
    const charges = {
      tokens: 2,
      get calls(): number {
        budget.reset();
        return 1;
      },
    };
    expect(budget.chargeMany(charges)).toEqual({ kind: 'continue' });
    expect(spentAll(budget)).toEqual([2n, U, U, 1n, 0n, U, U, U]);
  });

  it('Object.prototype pollution does not create dimension names', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.bogus = 0;
    proto.Tokens = 0;
    try {
      const { budget } = fixture();
      expect(capture(() => budget.charge('bogus' as Dim, 1))).toEqual({ ok: false, error: TYPE });
      expect(capture(() => budget.charge('Tokens' as Dim, 1))).toEqual({ ok: false, error: TYPE });
      expect(capture(() => budget.spent('bogus' as Dim))).toEqual({ ok: false, error: TYPE });
      expect(capture(() => budget.chargeMany([['Tokens' as Dim, 1]]))).toEqual({ ok: false, error: TYPE });
      // inherited (polluted) keys are not charges
      expect(budget.chargeMany({ calls: 1 })).toEqual({ kind: 'continue' });
      expect(spentAll(budget)).toEqual([60n, U, U, 2n, 0n, U, U, U]);
    } finally {
      delete proto.bogus;
      delete proto.Tokens;
    }
  });

  it('a 1 MiB dimension name is a TypeError', () => {
    expectRejected({ name: '1 MiB name', call: (c) => c.budget.charge('t'.repeat(1 << 20) as Dim, 1), want: TYPE });
  });

  it('a frozen budget object still charges (state lives in the kernel)', () => {
    const { budget } = fixture();
    Object.freeze(budget);
    expect(budget.charge('calls', 4)).toEqual({ kind: 'continue' });
    expect(budget.charge('calls', 1)).toEqual({ kind: 'exhausted', dim: 'calls' });
  });

  it('a 20 000-entry chargeMany is applied exactly (bounded, no truncation)', () => {
    const { budget } = fixture();
    const entries: Array<[Dim, number]> = [];
    for (let i = 0; i < 20_000; i++) entries.push(['memory', i]);
    // sum of 0..19999 = 19999 * 20000 / 2
    expect(budget.chargeMany(entries)).toEqual({ kind: 'continue' });
    expect(budget.spent('memory')).toBe(199_990_000n);
    const again = budget.chargeBatch(new Uint8Array(20_000).fill(4), new Float64Array(20_000).fill(1));
    expect(again).toEqual({ kind: 'continue' });
    expect(budget.spent('memory')).toBe(200_010_000n);
  });
});

// ------------------------------------------------------- released budgets
//
// A released budget (release(), [Symbol.dispose]() or the end of a `using`
// block) throws ReleasedError from every method, whatever the arguments:
// before any argument is looked at (no coercion, no getter runs), without
// touching the budget it was cloned from or any budget that later reuses its
// native slot.

const RELEASED: Want = { cls: 'ReleasedError', code: 'BUDGET_RELEASED' };
const ADDON_DIR = process.env.BUDGETKERNEL_ADDON_DIR ?? fileURLToPath(new URL('..', import.meta.url));
const { liveBudgets } = createRequire(import.meta.url)(path.join(path.resolve(ADDON_DIR), 'lib', 'engine.js')).selectEngine().engine as { liveBudgets: () => number };

/** A clone of the fixture budget, released: the fixture itself must stay as it was. */
function releasedClone(c: Ctx, how: 'release' | 'dispose' = 'release'): Budget {
  const r = c.budget.clone();
  r.charge('calls', 1);
  if (how === 'release') r.release();
  else r[Symbol.dispose]();
  return r;
}

/** A bad value; some of them (`a Budget`) are made from the fixture. */
const withCtx = (v: () => unknown, c: Ctx): unknown => (v as (c: Ctx) => unknown)(c);

/** Calls on a released budget, by method, with good and bad arguments alike. */
const onReleased: Array<[string, (r: Budget, c: Ctx) => unknown]> = [
  ["charge('tokens', 1)", (r) => r.charge('tokens', 1)],
  ["charge('tokens', 0)", (r) => r.charge('tokens', 0)],
  ["charge('tokens', 1n)", (r) => r.charge('tokens', 1n)],
  ["charge('tokens', 2n**64n-1n)", (r) => r.charge('tokens', 2n ** 64n - 1n)],
  ["charge('bytes' (undeclared), 1)", (r) => r.charge('bytes', 1)],
  ['charge()', (r) => callOn(r, 'charge')],
  ...badDims.map(([n, v]): [string, (r: Budget, c: Ctx) => unknown] => [`charge(${n}, 1)`, (r, c) => r.charge(withCtx(v, c) as Dim, 1)]),
  ...badAmounts.map(([n, v]): [string, (r: Budget) => unknown] => [`charge('tokens', ${n})`, (r) => r.charge('tokens', v() as never)]),
  ["chargeMany([['tokens', 1]])", (r) => r.chargeMany([['tokens', 1]])],
  ['chargeMany({tokens: 1, calls: 1})', (r) => r.chargeMany({ tokens: 1, calls: 1 })],
  ['chargeMany([])', (r) => r.chargeMany([])],
  ['chargeMany(5 entries)', (r) => r.chargeMany([['tokens', 1], ['calls', 1], ['memory', 1], ['tokens', 2], ['calls', 0]])],
  ['chargeMany(null)', (r) => r.chargeMany(null as never)],
  ["chargeMany([['tokenz', 1]])", (r) => r.chargeMany([['tokenz' as Dim, 1]])],
  ['chargeMany with an entry whose getter counts as a coercion', (r) => {
    const entry = ['tokens', 0];
    Object.defineProperty(entry, 1, { get: () => { coercions++; return 1; } });
    return r.chargeMany([entry as never]);
  }],
  ['chargeMany with a Proxy that counts every trap as a coercion', (r) => r.chargeMany(new Proxy({ tokens: 1 }, { ownKeys: (t) => { coercions++; return Reflect.ownKeys(t); }, get: (t, k) => { coercions++; return Reflect.get(t, k); } }))],
  ['chargeBatch(u8(0), f64(1))', (r) => r.chargeBatch(u8(0), f64(1))],
  ['chargeBatch(u8(0), BigUint64Array[1n])', (r) => r.chargeBatch(u8(0), BigUint64Array.of(1n))],
  ['chargeBatch(u8(9), f64(1)) (bad index)', (r) => r.chargeBatch(u8(9), f64(1))],
  ['chargeBatch([0], [1]) (plain arrays)', (r) => r.chargeBatch([0] as never, [1] as never)],
  ['chargeBatch(u8(0, 3), f64(1)) (length mismatch)', (r) => r.chargeBatch(u8(0, 3), f64(1))],
  ["spent('tokens')", (r) => r.spent('tokens')],
  ["spent('bytes') (undeclared)", (r) => r.spent('bytes')],
  ...badDims.map(([n, v]): [string, (r: Budget, c: Ctx) => unknown] => [`spent(${n})`, (r, c) => r.spent(withCtx(v, c) as Dim)]),
  ["remaining('tokens')", (r) => r.remaining('tokens')],
  ...badDims.map(([n, v]): [string, (r: Budget, c: Ctx) => unknown] => [`remaining(${n})`, (r, c) => r.remaining(withCtx(v, c) as Dim)]),
  ['reset()', (r) => r.reset()],
  ['reset(1, 2) (extra arguments)', (r) => callOn(r, 'reset', 1, 2)],
  ['clone()', (r) => r.clone()],
  ['a detached charge, rebound: Budget.prototype.charge.call(released, "tokens", 1)', (r) => Budget.prototype.charge.call(r, 'tokens', 1)],
];

for (const how of ['release', 'dispose'] as const) {
  rejects(
    `a budget released by ${how === 'release' ? 'release()' : '[Symbol.dispose]()'} → ReleasedError from every method, whatever the arguments`,
    onReleased.map(([n, call]): Rejected => ({ name: `released.${n}`, call: (c) => call(releasedClone(c, how), c), want: RELEASED })),
  );
}

describe('release: lifetime rules', () => {
  it('release() and [Symbol.dispose]() return undefined, are idempotent in any mix, and free exactly one native slot', () => {
    for (const order of [['release', 'release'], ['dispose', 'dispose'], ['release', 'dispose'], ['dispose', 'release']] as const) {
      const b = fixture().budget;
      const before = liveBudgets();
      expect(b.released).toBe(false);
      for (const how of order) {
        expect(how === 'release' ? b.release() : b[Symbol.dispose](), order.join(',')).toBeUndefined();
        expect(b.released).toBe(true);
        expect(liveBudgets(), order.join(',')).toBe(before - 1);
      }
      expect(capture(() => b.charge('tokens', 1))).toEqual({ ok: false, error: RELEASED });
    }
  });

  it('the error is a documented typed error: ReleasedError, an Error, code BUDGET_RELEASED, a non-empty message', () => {
    const b = fixture().budget;
    b.release();
    let raw: unknown;
    try {
      b.charge('tokens', 1);
    } catch (e) {
      raw = e;
    }
    expect(raw).toBeInstanceOf(ReleasedError);
    expect(raw).toBeInstanceOf(Error);
    expect((raw as ReleasedError).code).toBe('BUDGET_RELEASED');
    expect((raw as ReleasedError).name).toBe('ReleasedError');
    expect((raw as ReleasedError).message.length).toBeGreaterThan(0);
  });

  it('releasing a clone leaves its original usable, and releasing the original leaves its clones usable', () => {
    const { budget } = fixture();
    const a = budget.clone();
    a.release();
    expect(spentAll(budget)).toEqual(FIXTURE_SPENT);
    expect(budget.charge('calls', 1)).toEqual({ kind: 'continue' });
    const b = budget.clone();
    budget.release();
    expect(spentAll(b)).toEqual([60n, U, U, 2n, 0n, U, U, U]);
    expect(b.charge('calls', 4)).toEqual({ kind: 'exhausted', dim: 'calls' });
    expect(capture(() => budget.clone())).toEqual({ ok: false, error: RELEASED });
    expect(b.released).toBe(false);
  });

  it('a released budget never reaches the budget that reuses its native slot', () => {
    const old = Budget.builder().limit('tokens', 10).build();
    old.charge('tokens', 3);
    const live = liveBudgets();
    old.release();
    // Released slots are reused first (or the table has just dropped the
    // slot and re-creates it): the next budget may well sit where `old` was.
    const fresh = Budget.builder().limit('tokens', 10).build();
    expect(liveBudgets()).toBe(live);
    for (let i = 0; i < 3; i++) {
      expect(capture(() => old.charge('tokens', 1))).toEqual({ ok: false, error: RELEASED });
      expect(capture(() => old.reset())).toEqual({ ok: false, error: RELEASED });
      old.release();
    }
    expect(fresh.spent('tokens')).toBe(0n);
    expect(fresh.charge('tokens', 10)).toEqual({ kind: 'continue' });
    expect(fresh.released).toBe(false);
    expect(liveBudgets()).toBe(live);
  });

  it('`released` and [Symbol.dispose] need a real Budget as this (TypeError otherwise)', () => {
    // The entry's Budget is its engine's subclass of the one facade class: the getter is on the chain.
    let proto: object | null = Budget.prototype;
    while (proto !== null && Object.getOwnPropertyDescriptor(proto, 'released') === undefined) proto = Object.getPrototypeOf(proto) as object | null;
    const getter = proto === null ? undefined : Object.getOwnPropertyDescriptor(proto, 'released')?.get;
    expect(typeof getter).toBe('function');
    const dispose = (Budget.prototype as unknown as Record<symbol, () => void>)[Symbol.dispose];
    expect(typeof dispose).toBe('function');
    const b = fixture().budget;
    for (const recv of [{}, null, undefined, 42, Object.create(Budget.prototype), new Proxy(b, {})]) {
      expect(capture(() => getter?.call(recv))).toEqual({ ok: false, error: { cls: 'TypeError' } });
      expect(capture(() => dispose?.call(recv))).toEqual({ ok: false, error: { cls: 'TypeError' } });
    }
    expect(b.released).toBe(false);
    expect(spentAll(b)).toEqual(FIXTURE_SPENT);
  });

  it('ReleasedError is not a BudgetError (a lifetime mistake, not a kernel rule) and is constructible', () => {
    const e = new ReleasedError();
    expect(e.code).toBe('BUDGET_RELEASED');
    expect(e.message.length).toBeGreaterThan(0);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(BudgetError);
  });
});
