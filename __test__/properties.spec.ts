// The security model's seven properties, stated at the JS level, plus
// chargeMany atomicity and clone independence. Expectations are computed with
// plain BigInt arithmetic inside each property (no addon involved).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, BudgetBuilder, ChargeError, DIMS, worst, type Amount, type Dim, type Verdict } from '../index.js';
import { capture, spentAll, remainingAll } from './helpers.js';

const MAX = 2n ** 64n - 1n;
const RUNS = Number(process.env.BK_PROP_RUNS ?? 200);
const sat = (a: bigint, b: bigint): bigint => (a + b > MAX ? MAX : a + b);

const dimArb = fc.constantFrom<Dim>(...(DIMS as readonly Dim[]));
/** Amounts from the whole u64 range, with the edges and small values over-represented. */
const bigAmount = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX }),
  fc.bigInt({ min: 0n, max: 100n }),
  fc.bigInt({ min: MAX - 100n, max: MAX }),
  fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 63n, MAX),
);
/** The same amount given either as a bigint or (when safe) as a number. */
const amountArb: fc.Arbitrary<{ big: bigint; arg: Amount }> = fc
  .tuple(bigAmount, fc.boolean())
  .map(([big, asNumber]) => ({ big, arg: asNumber && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big }));
const limitArb = fc.oneof(fc.bigInt({ min: 1n, max: MAX }), fc.bigInt({ min: 1n, max: 200n }), fc.constantFrom(1n, MAX - 1n, MAX));
const limitWarnArb = limitArb.chain((limit) => fc.tuple(fc.constant(limit), fc.bigInt({ min: 0n, max: limit - 1n })));

/** A random valid declaration set: distinct dims, each with a limit and maybe a warn below it. */
const declsArb = fc
  .uniqueArray(dimArb, { minLength: 1, maxLength: 8 })
  .chain((dims) => fc.tuple(...dims.map((d) => fc.tuple(fc.constant(d), limitWarnArb, fc.boolean()))));
type Decls = Array<[Dim, [bigint, bigint], boolean]>;

function buildFrom(decls: Decls): Budget {
  let b: BudgetBuilder = Budget.builder();
  for (const [d, [limit, warn], hasWarn] of decls) b = hasWarn ? b.limitWithWarn(d, limit, warn) : b.limit(d, limit);
  return b.build();
}

const C = { kind: 'continue' };

describe('security model properties', () => {
  it('1. accumulation matches the saturating sum', () => {
    fc.assert(
      fc.property(dimArb, limitArb, fc.array(amountArb, { maxLength: 30 }), (dim, limit, amounts) => {
        const b = Budget.builder().limit(dim, limit).build();
        let expected = 0n;
        for (const { big, arg } of amounts) {
          b.charge(dim, arg);
          expected = sat(expected, big);
          expect(b.spent(dim)).toBe(expected);
          expect(b.remaining(dim)).toBe(expected >= limit ? 0n : limit - expected);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('2. spent never decreases without reset (whatever else is called)', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('charge' as const), dimArb, amountArb),
      fc.tuple(fc.constant('many' as const), fc.array(fc.tuple(dimArb, amountArb), { maxLength: 4 })),
      fc.tuple(fc.constant('batch' as const), fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), bigAmount), { maxLength: 4 })),
      fc.tuple(fc.constant('clone' as const)),
    );
    fc.assert(
      fc.property(declsArb, fc.array(op, { maxLength: 30 }), (decls, ops) => {
        let b = buildFrom(decls);
        let before = spentAll(b);
        for (const o of ops) {
          if (o[0] === 'charge') capture(() => b.charge(o[1], o[2].arg));
          else if (o[0] === 'many') capture(() => b.chargeMany(o[1].map(([d, a]) => [d, a.arg] as [Dim, Amount])));
          else if (o[0] === 'batch')
            capture(() => b.chargeBatch(Uint8Array.from(o[1].map(([i]) => i)), BigUint64Array.from(o[1].map(([, a]) => a))));
          else b = b.clone();
          const after = spentAll(b);
          after.forEach((s, i) => {
            const prev = before[i];
            if (prev === undefined) expect(s).toBeUndefined();
            else expect(s !== undefined && s >= prev).toBe(true);
          });
          before = after;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('3. dimensions accumulate independently', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(dimArb, amountArb), { maxLength: 40 }), (charges) => {
        let builder = Budget.builder();
        for (const d of DIMS) builder = builder.limit(d, MAX);
        const b = builder.build();
        const expected = new Map<Dim, bigint>(DIMS.map((d) => [d, 0n]));
        for (const [dim, { big, arg }] of charges) {
          const others = DIMS.filter((d) => d !== dim).map((d) => b.spent(d));
          b.charge(dim, arg);
          expect(DIMS.filter((d) => d !== dim).map((d) => b.spent(d))).toEqual(others);
          expected.set(dim, sat(expected.get(dim) as bigint, big));
        }
        expect(spentAll(b)).toEqual(DIMS.map((d) => expected.get(d)));
      }),
      { numRuns: RUNS },
    );
  });

  it('4. unknown dimensions do not mutate declared ones', () => {
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(dimArb, amountArb), { maxLength: 10 }), fc.array(fc.tuple(dimArb, amountArb), { maxLength: 20 }), (decls, warmup, charges) => {
        const b = buildFrom(decls);
        const declared = new Set(decls.map(([d]) => d));
        for (const [d, a] of warmup) if (declared.has(d)) b.charge(d, a.arg);
        for (const [d, a] of charges) {
          if (declared.has(d)) continue;
          const before = spentAll(b);
          const rem = remainingAll(b);
          const got = capture(() => b.charge(d, a.arg));
          expect(got).toEqual({ ok: false, error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: d } });
          expect(spentAll(b)).toEqual(before);
          expect(remainingAll(b)).toEqual(rem);
          expect(b.spent(d)).toBeUndefined();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('5. reset restores the initial accounting state', () => {
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(dimArb, amountArb), { maxLength: 20 }), fc.array(fc.tuple(dimArb, amountArb), { maxLength: 20 }), (decls, first, then) => {
        const b = buildFrom(decls);
        const fresh = buildFrom(decls);
        const initialSpent = spentAll(fresh);
        const initialRemaining = remainingAll(fresh);
        for (const [d, a] of first) capture(() => b.charge(d, a.arg));
        b.reset();
        expect(spentAll(b)).toEqual(initialSpent);
        expect(remainingAll(b)).toEqual(initialRemaining);
        // and it behaves like a fresh budget from then on
        for (const [d, a] of then) {
          const x = capture(() => b.charge(d, a.arg));
          const y = capture(() => fresh.charge(d, a.arg));
          expect(x).toEqual(y);
        }
        expect(spentAll(b)).toEqual(spentAll(fresh));
      }),
      { numRuns: RUNS },
    );
  });

  it('6. inclusive limits: exhausted exactly when spent > limit', () => {
    fc.assert(
      fc.property(dimArb, limitArb, fc.array(amountArb, { maxLength: 30 }), (dim, limit, amounts) => {
        const b = Budget.builder().limit(dim, limit).build();
        let spent = 0n;
        for (const { big, arg } of amounts) {
          spent = sat(spent, big);
          const v = b.charge(dim, arg);
          expect(v).toEqual(spent > limit ? { kind: 'exhausted', dim } : C);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('6b. charging exactly the limit continues; one more unit exhausts', () => {
    fc.assert(
      fc.property(dimArb, limitArb.filter((l) => l < MAX), (dim, limit) => {
        const b = Budget.builder().limit(dim, limit).build();
        expect(b.charge(dim, limit)).toEqual(C);
        expect(b.charge(dim, 0n)).toEqual(C);
        expect(b.charge(dim, 1n)).toEqual({ kind: 'exhausted', dim });
      }),
      { numRuns: RUNS },
    );
  });

  it('7. warn thresholds fire before exhaustion', () => {
    fc.assert(
      fc.property(dimArb, limitWarnArb, fc.array(amountArb, { maxLength: 30 }), (dim, [limit, warn], amounts) => {
        const b = Budget.builder().limitWithWarn(dim, limit, warn).build();
        // stepping up to warn + 1 never skips the warn state: warn + 1 <= limit
        expect(b.charge(dim, warn)).toEqual(C);
        expect(b.charge(dim, 1n)).toEqual({ kind: 'warn', dim });
        if (limit - warn - 1n > 0n) expect(b.charge(dim, limit - warn - 1n)).toEqual({ kind: 'warn', dim });
        expect(b.spent(dim)).toBe(limit);
        // and in general the verdict follows spent: continue <= warn < warn <= limit < exhausted
        b.reset();
        let spent = 0n;
        for (const { big, arg } of amounts) {
          spent = sat(spent, big);
          const v = b.charge(dim, arg);
          expect(v).toEqual(spent > limit ? { kind: 'exhausted', dim } : spent > warn ? { kind: 'warn', dim } : C);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('7b. unit steps from zero: continue (warn times), warn (limit - warn times), then exhausted', () => {
    fc.assert(
      fc.property(dimArb, fc.integer({ min: 1, max: 60 }).chain((l) => fc.tuple(fc.constant(l), fc.integer({ min: 0, max: l - 1 }))), (dim, [limit, warn]) => {
        const b = Budget.builder().limitWithWarn(dim, limit, warn).build();
        const kinds: string[] = [];
        for (let i = 0; i <= limit; i++) kinds.push(b.charge(dim, 1).kind);
        expect(kinds).toEqual([
          ...Array<string>(warn).fill('continue'),
          ...Array<string>(limit - warn).fill('warn'),
          'exhausted',
        ]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('chargeMany atomicity', () => {
  it('with an undeclared entry: ChargeError for the first undeclared, nothing applied', () => {
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(dimArb, amountArb), { minLength: 1, maxLength: 8 }), fc.boolean(), (decls, entries, asObject) => {
        const declared = new Set(decls.map(([d]) => d));
        const firstUndeclared = entries.find(([d]) => !declared.has(d))?.[0];
        fc.pre(firstUndeclared !== undefined);
        const b = buildFrom(decls);
        for (const d of declared) b.charge(d, 1);
        const before = spentAll(b);
        let arg: unknown;
        let first = firstUndeclared;
        if (asObject) {
          const o: Record<string, Amount> = {};
          for (const [d, a] of entries) o[d] = a.arg;
          arg = o;
          first = Object.keys(o).find((k) => !declared.has(k as Dim)) as Dim;
        } else {
          arg = entries.map(([d, a]) => [d, a.arg]);
        }
        const got = capture(() => b.chargeMany(arg as never));
        expect(got).toEqual({ ok: false, error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: first } });
        expect(spentAll(b)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('with an undeclared index, chargeBatch applies nothing', () => {
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), bigAmount), { minLength: 1, maxLength: 8 }), (decls, entries) => {
        const declared = new Set(decls.map(([d]) => d));
        const first = entries.map(([i]) => DIMS[i] as Dim).find((d) => !declared.has(d));
        fc.pre(first !== undefined);
        const b = buildFrom(decls);
        const before = spentAll(b);
        const got = capture(() => b.chargeBatch(Uint8Array.from(entries.map(([i]) => i)), BigUint64Array.from(entries.map(([, a]) => a))));
        expect(got).toEqual({ ok: false, error: { cls: 'ChargeError', code: 'UNKNOWN_DIMENSION', dim: first } });
        expect(spentAll(b)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('with all entries declared: same as sequential charges, reduced with worst', () => {
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(fc.nat(), amountArb), { maxLength: 8 }), fc.constantFrom('array', 'batch'), (decls, picks, form) => {
        const dims = decls.map(([d]) => d);
        const entries = picks.map(([n, a]) => [dims[n % dims.length] as Dim, a] as const);
        const b = buildFrom(decls);
        const seq = b.clone();
        // empty input continues; otherwise the left fold of worst over the sequential verdicts
        let expected: Verdict | undefined;
        for (const [d, a] of entries) {
          const one = seq.charge(d, a.arg);
          expected = expected === undefined ? one : worst(expected, one);
        }
        expected ??= C as Verdict;
        const v =
          form === 'array'
            ? b.chargeMany(entries.map(([d, a]) => [d, a.arg] as [Dim, Amount]))
            : b.chargeBatch(Uint8Array.from(entries.map(([d]) => DIMS.indexOf(d))), BigUint64Array.from(entries.map(([, a]) => a.big)));
        expect(v).toEqual(expected);
        expect(spentAll(b)).toEqual(spentAll(seq));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('many live budgets', () => {
  it('thousands of budgets created, charged, cloned and dropped stay independent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 1000 }), fc.boolean()), { minLength: 1, maxLength: 3000 }), (plan) => {
        const kept: Array<[Budget, bigint]> = [];
        plan.forEach(([amount, keep], i) => {
          const b = Budget.builder().limit('bytes', MAX).build();
          b.charge('bytes', amount);
          const c = b.clone();
          c.charge('bytes', i); // the clone diverges from the original
          if (keep) kept.push([b, BigInt(amount)], [c, BigInt(amount + i)]);
        });
        for (const [b, want] of kept) expect(b.spent('bytes')).toBe(want);
      }),
      { numRuns: 10 },
    );
  });
});

describe('clone independence', () => {
  it('a clone and its original evolve as two separately built budgets would', () => {
    const op = fc.tuple(fc.boolean(), dimArb, amountArb, fc.nat({ max: 9 }));
    fc.assert(
      fc.property(declsArb, fc.array(fc.tuple(dimArb, amountArb), { maxLength: 10 }), fc.array(op, { maxLength: 30 }), (decls, prefix, ops) => {
        const original = buildFrom(decls);
        const twinA = buildFrom(decls); // stands in for the original
        const twinB = buildFrom(decls); // stands in for the clone
        for (const [d, a] of prefix) {
          for (const b of [original, twinA, twinB]) capture(() => b.charge(d, a.arg));
        }
        const clone = original.clone();
        for (const [onClone, d, a, r] of ops) {
          const [target, twin] = onClone ? [clone, twinB] : [original, twinA];
          if (r === 0) {
            target.reset();
            twin.reset();
          } else {
            expect(capture(() => target.charge(d, a.arg))).toEqual(capture(() => twin.charge(d, a.arg)));
          }
          expect(spentAll(original)).toEqual(spentAll(twinA));
          expect(spentAll(clone)).toEqual(spentAll(twinB));
          expect(remainingAll(clone)).toEqual(remainingAll(twinB));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('every ChargeError from a clone is a ChargeError (class is preserved across clones)', () => {
    const b = Budget.builder().limit('tokens', 1).build().clone();
    expect(() => b.charge('calls', 1)).toThrow(ChargeError);
  });
});
