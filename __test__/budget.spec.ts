// Deterministic examples of every documented rule of the public JS API.
// Expected values come from the semantics in issues 2 and 3 (worked out by
// hand in the comments), never from running the addon.
import { describe, expect, it } from 'vitest';
import {
  Budget,
  BudgetBuilder,
  BudgetError,
  BuilderError,
  ChargeError,
  DIMS,
  MAX_DIMS,
  worst,
  isContinuing,
  isExhausted,
  type Dim,
  type Verdict,
  type Amount,
} from '../index.js';
import { capture, spentAll, remainingAll } from './helpers.js';
import * as model from './model.js';

const MAX = 2n ** 64n - 1n;
const ALL: readonly Dim[] = ['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2'];

const C = { kind: 'continue' };
const W = (dim: Dim) => ({ kind: 'warn', dim });
const E = (dim: Dim) => ({ kind: 'exhausted', dim });

function only(dim: Dim, limit: Amount, warn?: Amount): Budget {
  const b = Budget.builder();
  return (warn === undefined ? b.limit(dim, limit) : b.limitWithWarn(dim, limit, warn)).build();
}

function buildError(b: BudgetBuilder): { cls: string; code?: unknown; dim?: unknown } {
  const got = capture(() => b.build());
  expect(got.ok, 'build() should have failed').toBe(false);
  return got.ok ? { cls: 'none' } : got.error;
}

describe('DIMS and MAX_DIMS', () => {
  it('DIMS lists the eight dimensions in kernel index order', () => {
    expect([...DIMS]).toEqual(ALL);
  });
  it('DIMS has length 8 === MAX_DIMS', () => {
    expect(MAX_DIMS).toBe(8);
    expect(DIMS.length).toBe(MAX_DIMS);
  });
  it('DIMS is frozen and cannot be mutated', () => {
    expect(Object.isFrozen(DIMS)).toBe(true);
    expect(() => (DIMS as Dim[]).push('tokens')).toThrow(TypeError);
    expect(() => {
      (DIMS as Dim[])[0] = 'calls';
    }).toThrow(TypeError);
    expect([...DIMS]).toEqual(ALL);
  });
});

describe('limits are inclusive', () => {
  it('spent == limit continues, limit + 1 exhausts', () => {
    const b = only('tokens', 10);
    expect(b.charge('tokens', 10)).toEqual(C);
    expect(b.spent('tokens')).toBe(10n);
    expect(b.remaining('tokens')).toBe(0n);
    expect(b.charge('tokens', 1)).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(11n);
    expect(b.remaining('tokens')).toBe(0n);
  });
  it('a single charge of limit + 1 exhausts', () => {
    expect(only('calls', 5).charge('calls', 6)).toEqual(E('calls'));
  });
  it('limit 1: charge 1 continues, the next unit exhausts', () => {
    const b = only('bytes', 1n);
    expect(b.charge('bytes', 1n)).toEqual(C);
    expect(b.charge('bytes', 0n)).toEqual(C);
    expect(b.charge('bytes', 1n)).toEqual(E('bytes'));
  });
  it('charging after exhaustion keeps exhausting and keeps counting', () => {
    const b = only('tokens', 3);
    expect(b.charge('tokens', 4)).toEqual(E('tokens'));
    expect(b.charge('tokens', 1)).toEqual(E('tokens'));
    expect(b.charge('tokens', 0)).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(5n);
  });
});

describe('warn thresholds', () => {
  it('are strict: spent == warn continues, warn + 1 warns', () => {
    const b = only('tokens', 10, 5);
    expect(b.charge('tokens', 5)).toEqual(C);
    expect(b.charge('tokens', 1)).toEqual(W('tokens'));
  });
  it('repeat on every charge until exhaustion, including at the limit', () => {
    const b = only('tokens', 10, 5);
    expect(b.charge('tokens', 6)).toEqual(W('tokens')); // 6
    expect(b.charge('tokens', 0)).toEqual(W('tokens')); // poll: 6
    expect(b.charge('tokens', 1)).toEqual(W('tokens')); // 7
    expect(b.charge('tokens', 3)).toEqual(W('tokens')); // 10 == limit
    expect(b.charge('tokens', 1)).toEqual(E('tokens')); // 11
    expect(b.charge('tokens', 0)).toEqual(E('tokens'));
  });
  it('exhaustion wins when one charge crosses both warn and limit', () => {
    const b = only('millis', 10, 5);
    expect(b.charge('millis', 11)).toEqual(E('millis'));
    expect(b.spent('millis')).toBe(11n);
  });
  it('a dimension without a warn threshold never warns', () => {
    const b = only('calls', 10);
    for (let i = 0; i < 10; i++) expect(b.charge('calls', 1)).toEqual(C);
    expect(b.charge('calls', 1)).toEqual(E('calls'));
  });
  it('warn = 0: a zero poll on a fresh budget continues, any positive spend warns', () => {
    const b = only('tokens', 1, 0);
    expect(b.charge('tokens', 0)).toEqual(C);
    expect(b.spent('tokens')).toBe(0n);
    expect(b.charge('tokens', 1)).toEqual(W('tokens')); // 1 > 0 and 1 <= 1
    expect(b.charge('tokens', 0)).toEqual(W('tokens')); // poll still warns
    expect(b.charge('tokens', 1)).toEqual(E('tokens'));
  });
  it('warn = 0 with a bigint poll and -0 behave like the number 0', () => {
    const b = only('tokens', 10, 0);
    expect(b.charge('tokens', 0n)).toEqual(C);
    expect(b.charge('tokens', -0)).toEqual(C);
    expect(b.spent('tokens')).toBe(0n);
  });
});

describe('spent and remaining', () => {
  it('spent is updated even by an exhausting charge', () => {
    const b = only('tokens', 10);
    expect(b.charge('tokens', 100)).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(100n);
    expect(b.remaining('tokens')).toBe(0n);
    b.charge('tokens', 5);
    expect(b.spent('tokens')).toBe(105n);
  });
  it('a declared, uncharged dimension has spent 0n and remaining = limit', () => {
    const b = Budget.builder().limit('tokens', 7).limitWithWarn('custom2', MAX, 3).build();
    expect(b.spent('tokens')).toBe(0n);
    expect(b.remaining('tokens')).toBe(7n);
    expect(b.spent('custom2')).toBe(0n);
    expect(b.remaining('custom2')).toBe(MAX);
  });
  it('undeclared dimensions give undefined for both', () => {
    const b = only('tokens', 7);
    for (const d of ALL.slice(1)) {
      expect(b.spent(d)).toBeUndefined();
      expect(b.remaining(d)).toBeUndefined();
    }
  });
  it('values are bigints, exact above 2^53', () => {
    const b = only('memory', MAX);
    b.charge('memory', 2n ** 60n + 1n);
    expect(typeof b.spent('memory')).toBe('bigint');
    expect(b.spent('memory')).toBe(2n ** 60n + 1n);
    expect(b.remaining('memory')).toBe(MAX - (2n ** 60n + 1n));
  });
  it('number and bigint amounts add up in the same counter', () => {
    const b = only('tokens', MAX);
    b.charge('tokens', Number.MAX_SAFE_INTEGER);
    b.charge('tokens', 2n ** 53n);
    expect(b.spent('tokens')).toBe(2n ** 54n - 1n);
  });
});

describe('saturation at 2^64-1', () => {
  it('charging 2^64-1 twice saturates spent at 2^64-1 (limit 10)', () => {
    const b = only('tokens', 10);
    expect(b.charge('tokens', MAX)).toEqual(E('tokens'));
    expect(b.charge('tokens', MAX)).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(MAX);
    expect(b.remaining('tokens')).toBe(0n);
  });
  it('with limit 2^64-1 a saturated counter equals the limit and so never exhausts', () => {
    const b = only('bytes', MAX);
    expect(b.charge('bytes', MAX)).toEqual(C);
    expect(b.charge('bytes', MAX)).toEqual(C);
    expect(b.charge('bytes', 1)).toEqual(C);
    expect(b.spent('bytes')).toBe(MAX);
    expect(b.remaining('bytes')).toBe(0n);
  });
  it('saturation reaches exactly 2^64-1 from mixed number and bigint charges', () => {
    const b = only('bytes', MAX, MAX - 1n);
    expect(b.charge('bytes', Number.MAX_SAFE_INTEGER)).toEqual(C);
    expect(b.charge('bytes', MAX - (2n ** 53n - 1n) - 1n)).toEqual(C); // spent = MAX - 1 == warn
    expect(b.charge('bytes', 1)).toEqual(W('bytes')); // spent = MAX
    expect(b.charge('bytes', 2)).toEqual(W('bytes')); // saturates at MAX, still == limit
    expect(b.spent('bytes')).toBe(MAX);
  });
});

describe('build validation', () => {
  it('an empty builder fails with NO_DIMENSIONS and no dim', () => {
    const e = buildError(Budget.builder());
    expect(e).toEqual({ cls: 'BuilderError', code: 'NO_DIMENSIONS', dim: undefined });
  });
  it('a duplicate wins over every other error', () => {
    // tokens has a zero limit and calls a bad warn, but calls is declared twice.
    const b = Budget.builder().limit('tokens', 0).limitWithWarn('calls', 5, 9).limit('calls', 3);
    expect(buildError(b)).toEqual({ cls: 'BuilderError', code: 'DUPLICATE_DIMENSION', dim: 'calls' });
  });
  it('the first duplicate in declaration order is reported, not the first in DIMS order', () => {
    const b1 = Budget.builder().limit('bytes', 1).limit('tokens', 1).limit('tokens', 2).limit('bytes', 2);
    expect(buildError(b1)).toMatchObject({ code: 'DUPLICATE_DIMENSION', dim: 'tokens' });
    const b2 = Budget.builder().limit('tokens', 1).limit('calls', 1).limit('calls', 2).limit('tokens', 2);
    expect(buildError(b2)).toMatchObject({ code: 'DUPLICATE_DIMENSION', dim: 'calls' });
  });
  it('identical repeated declarations are still duplicates, via limit or limitWithWarn', () => {
    expect(buildError(Budget.builder().limit('memory', 4).limit('memory', 4))).toMatchObject({
      code: 'DUPLICATE_DIMENSION',
      dim: 'memory',
    });
    expect(buildError(Budget.builder().limit('memory', 4).limitWithWarn('memory', 4, 1))).toMatchObject({
      code: 'DUPLICATE_DIMENSION',
      dim: 'memory',
    });
  });
  it('ZERO_LIMIT is reported for the first zero-limit dim in DIMS order', () => {
    const b = Budget.builder().limit('calls', 0).limit('tokens', 0);
    expect(buildError(b)).toEqual({ cls: 'BuilderError', code: 'ZERO_LIMIT', dim: 'tokens' });
  });
  it('per dim in DIMS order: an earlier dim\'s WARN_NOT_BELOW_LIMIT beats a later dim\'s ZERO_LIMIT', () => {
    const b = Budget.builder().limit('calls', 0).limitWithWarn('tokens', 5, 5);
    expect(buildError(b)).toEqual({ cls: 'BuilderError', code: 'WARN_NOT_BELOW_LIMIT', dim: 'tokens' });
  });
  it('per dim in DIMS order: an earlier dim\'s ZERO_LIMIT beats a later dim\'s WARN_NOT_BELOW_LIMIT', () => {
    const b = Budget.builder().limitWithWarn('calls', 5, 9).limit('bytes', 0);
    expect(buildError(b)).toEqual({ cls: 'BuilderError', code: 'ZERO_LIMIT', dim: 'bytes' });
  });
  it('on the same dim ZERO_LIMIT comes before WARN_NOT_BELOW_LIMIT', () => {
    expect(buildError(Budget.builder().limitWithWarn('custom1', 0, 0))).toEqual({
      cls: 'BuilderError',
      code: 'ZERO_LIMIT',
      dim: 'custom1',
    });
  });
  it('warn must be strictly below the limit', () => {
    expect(buildError(Budget.builder().limitWithWarn('tokens', 100, 100))).toMatchObject({
      code: 'WARN_NOT_BELOW_LIMIT',
      dim: 'tokens',
    });
    expect(buildError(Budget.builder().limitWithWarn('tokens', 100, 101))).toMatchObject({
      code: 'WARN_NOT_BELOW_LIMIT',
      dim: 'tokens',
    });
    expect(buildError(Budget.builder().limitWithWarn('tokens', MAX, MAX))).toMatchObject({
      code: 'WARN_NOT_BELOW_LIMIT',
      dim: 'tokens',
    });
    expect(Budget.builder().limitWithWarn('tokens', 100, 99).build()).toBeInstanceOf(Budget);
    expect(Budget.builder().limitWithWarn('tokens', 1, 0).build()).toBeInstanceOf(Budget);
    expect(Budget.builder().limitWithWarn('tokens', MAX, MAX - 1n).build()).toBeInstanceOf(Budget);
  });
  it('all eight dimensions can be declared', () => {
    let b = Budget.builder();
    ALL.forEach((d, i) => {
      b = b.limit(d, i + 1);
    });
    const budget = b.build();
    expect(remainingAll(budget)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });
  it('builder methods chain on the same builder object', () => {
    const b = Budget.builder();
    expect(b).toBeInstanceOf(BudgetBuilder);
    expect(b.limit('tokens', 1)).toBe(b);
    expect(b.limitWithWarn('calls', 2, 1)).toBe(b);
    expect(b.build()).toBeInstanceOf(Budget);
  });
  it('build() can be called again and gives an independent budget with the same limits', () => {
    const b = Budget.builder().limitWithWarn('tokens', 10, 5);
    const x = b.build();
    const y = b.build();
    expect(x).not.toBe(y);
    x.charge('tokens', 6);
    expect(y.spent('tokens')).toBe(0n);
    expect(y.charge('tokens', 6)).toEqual(W('tokens'));
    expect(y.charge('tokens', 5)).toEqual(E('tokens'));
  });
  it('a failed build error is a BuilderError < BudgetError < Error', () => {
    let caught: unknown;
    try {
      Budget.builder().limit('tokens', 0).build();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BuilderError);
    expect(caught).toBeInstanceOf(BudgetError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(ChargeError);
    const e = caught as BuilderError;
    expect(e.name).toBe('BuilderError');
    expect(e.code).toBe('ZERO_LIMIT');
    expect(e.dim).toBe('tokens');
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  });
});

describe('reset', () => {
  it('zeroes spent and keeps limits and warn thresholds', () => {
    const b = Budget.builder().limitWithWarn('tokens', 10, 5).limit('calls', 2).build();
    b.charge('tokens', 11);
    b.charge('calls', 1);
    b.reset();
    expect(spentAll(b)).toEqual([0n, undefined, undefined, 0n, undefined, undefined, undefined, undefined]);
    expect(remainingAll(b)).toEqual([10n, undefined, undefined, 2n, undefined, undefined, undefined, undefined]);
    expect(b.charge('tokens', 0)).toEqual(C);
    expect(b.charge('tokens', 6)).toEqual(W('tokens'));
    expect(b.charge('tokens', 5)).toEqual(E('tokens'));
    expect(b.charge('calls', 2)).toEqual(C);
    expect(b.charge('calls', 1)).toEqual(E('calls'));
  });
  it('resets a saturated counter', () => {
    const b = only('tokens', 1);
    b.charge('tokens', MAX);
    b.charge('tokens', MAX);
    b.reset();
    expect(b.spent('tokens')).toBe(0n);
    expect(b.charge('tokens', 1)).toEqual(C);
  });
  it('returns undefined and does not add dimensions', () => {
    const b = only('tokens', 1);
    expect(b.reset()).toBeUndefined();
    expect(b.spent('calls')).toBeUndefined();
  });
});

describe('clone', () => {
  it('copies spent, limits and warns', () => {
    const b = Budget.builder().limitWithWarn('tokens', 10, 5).limit('calls', 3).build();
    b.charge('tokens', 6);
    const c = b.clone();
    expect(c).toBeInstanceOf(Budget);
    expect(c).not.toBe(b);
    expect(spentAll(c)).toEqual(spentAll(b));
    expect(remainingAll(c)).toEqual(remainingAll(b));
    expect(c.charge('tokens', 0)).toEqual(W('tokens'));
    expect(c.charge('tokens', 5)).toEqual(E('tokens'));
  });
  it('charging the clone leaves the original alone', () => {
    const b = only('tokens', 10);
    b.charge('tokens', 3);
    const c = b.clone();
    c.charge('tokens', 2);
    expect(c.spent('tokens')).toBe(5n);
    expect(b.spent('tokens')).toBe(3n);
  });
  it('charging the original leaves the clone alone', () => {
    const b = only('tokens', 10);
    b.charge('tokens', 3);
    const c = b.clone();
    b.charge('tokens', 4);
    expect(b.spent('tokens')).toBe(7n);
    expect(c.spent('tokens')).toBe(3n);
  });
  it('reset on either side does not reach the other', () => {
    const b = only('tokens', 10);
    b.charge('tokens', 3);
    const c = b.clone();
    c.reset();
    expect(b.spent('tokens')).toBe(3n);
    const d = b.clone();
    b.reset();
    expect(d.spent('tokens')).toBe(3n);
    expect(c.spent('tokens')).toBe(0n);
  });
  it('a clone of a clone is independent too', () => {
    const b = only('calls', 10);
    const c = b.clone();
    const d = c.clone();
    d.charge('calls', 9);
    expect([b.spent('calls'), c.spent('calls'), d.spent('calls')]).toEqual([0n, 0n, 9n]);
  });
});

describe('charge errors', () => {
  it('an undeclared dim throws ChargeError UNKNOWN_DIMENSION and changes nothing', () => {
    const b = Budget.builder().limit('tokens', 10).build();
    b.charge('tokens', 4);
    let caught: unknown;
    try {
      b.charge('bytes', 1);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ChargeError);
    expect(caught).toBeInstanceOf(BudgetError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(BuilderError);
    const e = caught as ChargeError;
    expect(e.name).toBe('ChargeError');
    expect(e.code).toBe('UNKNOWN_DIMENSION');
    expect(e.dim).toBe('bytes');
    expect(e.message.length).toBeGreaterThan(0);
    expect(spentAll(b)).toEqual([4n, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
  it('every undeclared dim is reported by name', () => {
    const b = only('custom2', 1);
    for (const d of ALL.slice(0, 7)) {
      expect(capture(() => b.charge(d, 0))).toEqual({
        ok: false,
        error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: d },
      });
    }
  });
});

describe('error classes', () => {
  it('form the chain BudgetError <- BuilderError / ChargeError <- Error', () => {
    expect(Object.getPrototypeOf(BudgetError.prototype)).toBe(Error.prototype);
    expect(Object.getPrototypeOf(BuilderError.prototype)).toBe(BudgetError.prototype);
    expect(Object.getPrototypeOf(ChargeError.prototype)).toBe(BudgetError.prototype);
  });
  it('are named after themselves', () => {
    expect(BudgetError.name).toBe('BudgetError');
    expect(BuilderError.name).toBe('BuilderError');
    expect(ChargeError.name).toBe('ChargeError');
  });
});

describe('chargeMany', () => {
  function tc(): Budget {
    return Budget.builder().limitWithWarn('tokens', 10, 2).limitWithWarn('calls', 10, 2).limit('millis', 5).build();
  }
  it('array form applies every entry and returns the worst verdict', () => {
    const b = tc();
    expect(b.chargeMany([['tokens', 1], ['calls', 3n], ['millis', 6]])).toEqual(E('millis'));
    expect(spentAll(b).slice(0, 4)).toEqual([1n, 6n, undefined, 3n]);
  });
  it('object form applies every property', () => {
    const b = tc();
    expect(b.chargeMany({ tokens: 3, millis: 1n })).toEqual(W('tokens'));
    expect(spentAll(b).slice(0, 4)).toEqual([3n, 1n, undefined, 0n]);
  });
  it('ties go to the earlier entry: array order', () => {
    expect(tc().chargeMany([['calls', 3], ['tokens', 3]])).toEqual(W('calls'));
    expect(tc().chargeMany([['tokens', 3], ['calls', 3]])).toEqual(W('tokens'));
    expect(tc().chargeMany([['calls', 11], ['tokens', 11]])).toEqual(E('calls'));
  });
  it('ties go to the earlier entry: object property order', () => {
    expect(tc().chargeMany({ calls: 3, tokens: 3 })).toEqual(W('calls'));
    expect(tc().chargeMany({ tokens: 3, calls: 3 })).toEqual(W('tokens'));
    expect(tc().chargeMany({ millis: 6, tokens: 11 })).toEqual(E('millis'));
  });
  it('exhaustion beats warn whatever the order', () => {
    expect(tc().chargeMany([['tokens', 3], ['millis', 6]])).toEqual(E('millis'));
    expect(tc().chargeMany([['millis', 6], ['tokens', 3]])).toEqual(E('millis'));
  });
  // More than three entries take the staged (typed-array) path rather than
  // plain arguments; the results must not depend on the path.
  it('checkpoints longer than three entries: array and object forms, numbers and wide bigints', () => {
    const b = tc();
    expect(b.chargeMany([['tokens', 1], ['calls', 1], ['millis', 1], ['tokens', 1], ['calls', 2]])).toEqual(W('calls'));
    expect(spentAll(b).slice(0, 4)).toEqual([2n, 1n, undefined, 3n]);
    expect(b.chargeMany([['tokens', 0], ['calls', 0], ['millis', 0], ['tokens', 2n ** 60n]])).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(2n ** 60n + 2n);
    const c = Budget.builder().limit('tokens', 9).limit('millis', 9).limit('bytes', 9).limit('calls', 9).limit('memory', 2n ** 62n).build();
    expect(c.chargeMany({ tokens: 1, millis: 2, bytes: 3, calls: 4, memory: 2n ** 61n })).toEqual(C);
    expect(spentAll(c).slice(0, 5)).toEqual([1n, 2n, 3n, 4n, 2n ** 61n]);
    expect(c.chargeMany({ tokens: 0, millis: 0, bytes: 0, calls: 6, memory: 0 })).toEqual(E('calls'));
    expect(c.spent('calls')).toBe(10n);
  });
  it('entries for the same dim apply in order and accumulate', () => {
    const b = tc();
    // 2 (== warn: continue), then 5 (warn), then 11 (exhausted): worst is exhausted
    expect(b.chargeMany([['tokens', 2], ['tokens', 3], ['tokens', 6]])).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(11n);
  });
  it('saturates like charge', () => {
    const b = tc();
    expect(b.chargeMany([['tokens', MAX], ['tokens', MAX]])).toEqual(E('tokens'));
    expect(b.spent('tokens')).toBe(MAX);
  });
  it('empty array and empty object continue and change nothing', () => {
    const b = tc();
    b.charge('tokens', 5);
    const before = spentAll(b);
    expect(b.chargeMany([])).toEqual(C);
    expect(b.chargeMany({})).toEqual(C);
    expect(spentAll(b)).toEqual(before);
  });
  it('zero amounts poll: the result reflects the current state', () => {
    const b = tc();
    b.charge('tokens', 3);
    expect(b.chargeMany([['tokens', 0], ['calls', 0]])).toEqual(W('tokens'));
    expect(b.spent('tokens')).toBe(3n);
  });
  it('an undeclared dim applies nothing and names the first undeclared entry (array order)', () => {
    const b = tc();
    b.charge('tokens', 1);
    const before = spentAll(b);
    // bytes (index 2) comes first in the array, custom0 (index 5) later, memory (index 4) last
    expect(capture(() => b.chargeMany([['tokens', 1], ['bytes', 1], ['custom0', 1], ['memory', 1]]))).toEqual({
      ok: false,
      error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: 'bytes' },
    });
    expect(capture(() => b.chargeMany([['custom0', 1], ['bytes', 1]]))).toEqual({
      ok: false,
      error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: 'custom0' },
    });
    expect(spentAll(b)).toEqual(before);
  });
  it('an undeclared dim applies nothing and names the first undeclared property (object order)', () => {
    const b = tc();
    const before = spentAll(b);
    expect(capture(() => b.chargeMany({ tokens: 5, custom2: 1, bytes: 1 }))).toEqual({
      ok: false,
      error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: 'custom2' },
    });
    expect(spentAll(b)).toEqual(before);
  });
  it('does not mutate its argument', () => {
    const arr: Array<[Dim, Amount]> = [['tokens', 1], ['calls', 2n]];
    const obj = { tokens: 1, calls: 2n };
    const b = tc();
    b.chargeMany(arr);
    b.chargeMany(obj);
    expect(arr).toEqual([['tokens', 1], ['calls', 2n]]);
    expect(obj).toEqual({ tokens: 1, calls: 2n });
  });
  it('accepts a null-prototype object', () => {
    const o = Object.assign(Object.create(null) as Record<string, Amount>, { calls: 4 });
    const b = tc();
    expect(b.chargeMany(o)).toEqual(W('calls'));
    expect(b.spent('calls')).toBe(4n);
  });
});

describe('chargeBatch', () => {
  // DIMS indexes: tokens 0, millis 1, bytes 2, calls 3
  function tc(): Budget {
    return Budget.builder().limitWithWarn('tokens', 10, 2).limitWithWarn('calls', 10, 2).limit('millis', 5).build();
  }
  it('Float64Array amounts apply by DIMS index', () => {
    const b = tc();
    expect(b.chargeBatch(new Uint8Array([0, 3, 1]), new Float64Array([1, 3, 5]))).toEqual(W('calls'));
    expect(spentAll(b).slice(0, 4)).toEqual([1n, 5n, undefined, 3n]);
  });
  it('BigUint64Array amounts apply by DIMS index and saturate', () => {
    const b = tc();
    expect(b.chargeBatch(new Uint8Array([1, 1]), new BigUint64Array([MAX, MAX]))).toEqual(E('millis'));
    expect(b.spent('millis')).toBe(MAX);
    expect(b.spent('tokens')).toBe(0n);
  });
  it('Float64Array accepts 2^53-1 exactly', () => {
    const b = Budget.builder().limit('bytes', MAX).build();
    b.chargeBatch(new Uint8Array([2, 2]), new Float64Array([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]));
    expect(b.spent('bytes')).toBe(2n * (2n ** 53n - 1n));
  });
  it('ties go to the earlier entry, exhaustion beats warn', () => {
    expect(tc().chargeBatch(new Uint8Array([3, 0]), new Float64Array([3, 3]))).toEqual(W('calls'));
    expect(tc().chargeBatch(new Uint8Array([0, 3]), new BigUint64Array([3n, 3n]))).toEqual(W('tokens'));
    expect(tc().chargeBatch(new Uint8Array([0, 1]), new Float64Array([3, 6]))).toEqual(E('millis'));
  });
  it('empty arrays continue and change nothing', () => {
    const b = tc();
    b.charge('calls', 4);
    const before = spentAll(b);
    expect(b.chargeBatch(new Uint8Array(0), new Float64Array(0))).toEqual(C);
    expect(b.chargeBatch(new Uint8Array(0), new BigUint64Array(0))).toEqual(C);
    expect(spentAll(b)).toEqual(before);
  });
  it('length mismatch is a RangeError and applies nothing', () => {
    const b = tc();
    expect(capture(() => b.chargeBatch(new Uint8Array([0, 3]), new Float64Array([1])))).toEqual({
      ok: false,
      error: { cls: 'RangeError' },
    });
    expect(capture(() => b.chargeBatch(new Uint8Array([0]), new BigUint64Array([1n, 1n])))).toEqual({
      ok: false,
      error: { cls: 'RangeError' },
    });
    expect(spentAll(b).slice(0, 4)).toEqual([0n, 0n, undefined, 0n]);
  });
  it('an index >= 8 is a RangeError and applies nothing', () => {
    const b = tc();
    for (const bad of [8, 9, 255]) {
      expect(capture(() => b.chargeBatch(new Uint8Array([0, bad]), new Float64Array([1, 1])))).toEqual({
        ok: false,
        error: { cls: 'RangeError' },
      });
    }
    expect(b.spent('tokens')).toBe(0n);
  });
  it('an undeclared index throws ChargeError naming DIMS[index] and applies nothing', () => {
    const b = tc();
    expect(capture(() => b.chargeBatch(new Uint8Array([0, 7, 2]), new Float64Array([1, 1, 1])))).toEqual({
      ok: false,
      error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: 'custom2' },
    });
    expect(b.spent('tokens')).toBe(0n);
  });
  it('honours typed-array views (subarray offsets)', () => {
    const b = tc();
    const dims = new Uint8Array([7, 0, 3, 7]).subarray(1, 3);
    const amounts = new Float64Array([99, 2, 4, 99]).subarray(1, 3);
    expect(b.chargeBatch(dims, amounts)).toEqual(W('calls'));
    expect(spentAll(b).slice(0, 4)).toEqual([2n, 0n, undefined, 4n]);
  });
  it('does not mutate its arguments', () => {
    const dims = new Uint8Array([0, 3]);
    const amounts = new Float64Array([1, 2]);
    tc().chargeBatch(dims, amounts);
    expect([...dims]).toEqual([0, 3]);
    expect([...amounts]).toEqual([1, 2]);
  });
});

describe('the 17 shared frozen verdict objects', () => {
  function everyVerdict(): Verdict[] {
    let builder = Budget.builder();
    for (const d of ALL) builder = builder.limitWithWarn(d, 2, 0);
    const b = builder.build();
    const out: Verdict[] = [b.charge('tokens', 0)];
    for (const d of ALL) out.push(b.charge(d, 1)); // 1 > warn 0, 1 <= 2
    for (const d of ALL) out.push(b.charge(d, 2)); // 3 > 2
    return out;
  }
  it('are what the semantics say', () => {
    expect(everyVerdict()).toEqual([C, ...ALL.map(W), ...ALL.map(E)]);
  });
  it('are 17 distinct objects, the same ones every time', () => {
    const first = everyVerdict();
    const second = everyVerdict();
    expect(new Set(first).size).toBe(17);
    first.forEach((v, i) => expect(second[i]).toBe(v));
  });
  it('are frozen and have exactly the documented keys', () => {
    for (const v of everyVerdict()) {
      expect(Object.isFrozen(v)).toBe(true);
      expect(Object.keys(v).sort()).toEqual(v.kind === 'continue' ? ['kind'] : ['dim', 'kind']);
      expect(() => {
        (v as { kind: string }).kind = 'continue';
      }).toThrow(TypeError);
    }
  });
  it('are also what chargeMany and chargeBatch return', () => {
    const shared = everyVerdict();
    const find = (v: Verdict) => shared.find((s) => s.kind === v.kind && (s as { dim?: Dim }).dim === (v as { dim?: Dim }).dim);
    const b = Budget.builder().limitWithWarn('tokens', 5, 1).limit('calls', 1).build();
    for (const v of [
      b.chargeMany([]),
      b.chargeMany({}),
      b.chargeMany([['tokens', 1]]),
      b.chargeMany({ tokens: 1 }),
      b.chargeBatch(new Uint8Array([0]), new Float64Array([0])),
      b.chargeBatch(new Uint8Array([3, 0]), new BigUint64Array([2n, 0n])),
      b.chargeBatch(new Uint8Array(0), new Float64Array(0)),
    ]) {
      expect(v).toBe(find(v));
    }
  });
});

describe('worst, isContinuing, isExhausted', () => {
  const shared = (() => {
    let builder = Budget.builder();
    for (const d of ALL) builder = builder.limitWithWarn(d, 2, 0);
    const b = builder.build();
    const out: Verdict[] = [b.charge('tokens', 0)];
    for (const d of ALL) out.push(b.charge(d, 1));
    for (const d of ALL) out.push(b.charge(d, 2));
    return out;
  })();
  const cont = shared[0] as Verdict;
  const warnT = shared[1] as Verdict; // warn tokens
  const warnC = shared[4] as Verdict; // warn calls
  const exhT = shared[9] as Verdict; // exhausted tokens
  const exhC = shared[12] as Verdict; // exhausted calls

  it.each([
    ['continue, continue', cont, cont, C],
    ['continue, warn', cont, warnT, W('tokens')],
    ['warn, continue', warnT, cont, W('tokens')],
    ['warn, exhausted', warnC, exhT, E('tokens')],
    ['exhausted, warn', exhT, warnC, E('tokens')],
    ['continue, exhausted', cont, exhC, E('calls')],
    ['exhausted, continue', exhC, cont, E('calls')],
    ['tie warn: left wins', warnC, warnT, W('calls')],
    ['tie warn: left wins (swapped)', warnT, warnC, W('tokens')],
    ['tie exhausted: left wins', exhC, exhT, E('calls')],
    ['tie exhausted: left wins (swapped)', exhT, exhC, E('tokens')],
  ])('worst(%s)', (_name, a, b, want) => {
    const got = worst(a, b);
    expect(got).toEqual(want);
    expect([a, b]).toContain(got); // one of its arguments, i.e. a shared object
  });

  it('worst over all 17 x 17 pairs agrees with the model', () => {
    for (const a of shared) {
      for (const b of shared) {
        expect(worst(a, b)).toEqual(model.worst(a as model.MVerdict, b as model.MVerdict));
      }
    }
  });

  it('isContinuing / isExhausted over all 17', () => {
    for (const v of shared) {
      expect(isContinuing(v)).toBe(v.kind !== 'exhausted');
      expect(isExhausted(v)).toBe(v.kind === 'exhausted');
    }
    expect([isContinuing(cont), isContinuing(warnT), isContinuing(exhT)]).toEqual([true, true, false]);
    expect([isExhausted(cont), isExhausted(warnT), isExhausted(exhT)]).toEqual([false, false, true]);
  });

  it('accept structurally equal verdict literals (the type is structural)', () => {
    expect(worst({ kind: 'continue' }, { kind: 'warn', dim: 'memory' })).toEqual(W('memory'));
    expect(worst({ kind: 'exhausted', dim: 'bytes' }, { kind: 'exhausted', dim: 'calls' })).toEqual(E('bytes'));
    expect(isContinuing({ kind: 'warn', dim: 'custom0' })).toBe(true);
    expect(isExhausted({ kind: 'exhausted', dim: 'custom1' })).toBe(true);
    expect(isExhausted({ kind: 'continue' })).toBe(false);
  });
});
