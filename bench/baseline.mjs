// @ts-check
/**
 * Hand-written JavaScript budgets: what a Node user writes instead of
 * installing budgetkernel. They are benchmark baselines, so they must be
 * honest, not minimal: each one performs every check the addon performs on
 * the charge path, with the same semantics as the kernel (0.1.2):
 *
 * - the dimension name is validated, and charging an undeclared dimension
 *   throws without mutating anything;
 * - the amount is validated (type and range) before anything changes;
 * - `spent` is updated on every charge, exhausted or not, and saturates;
 * - exhausted when `spent > limit` (limits are inclusive), else warn when a
 *   warn threshold exists and `spent > warn` (strict), else continue;
 * - verdicts are 17 shared frozen objects, so a charge allocates nothing.
 *
 * Two flavours, because exactness has a price in JavaScript:
 * - {@link NumberBudget} keeps counters in a Float64Array. It is exact only
 *   below 2^53, so limits and amounts must be safe integers and `spent`
 *   saturates at Number.MAX_SAFE_INTEGER instead of 2^64 - 1.
 * - {@link BigIntBudget} keeps counters as BigInt and is exact up to
 *   2^64 - 1 like the kernel; every addition allocates a new BigInt.
 *
 * @module
 */

/** @typedef {'tokens' | 'millis' | 'bytes' | 'calls' | 'memory' | 'custom0' | 'custom1' | 'custom2'} Dim */
/**
 * @typedef {{ readonly kind: 'continue' }
 *   | { readonly kind: 'warn', readonly dim: Dim }
 *   | { readonly kind: 'exhausted', readonly dim: Dim }} Verdict
 */
/**
 * One declared dimension for the constructors below.
 * @template A
 * @typedef {{ dim: Dim, limit: A, warn?: A }} DimSpec
 */

/** Dimension names in kernel index order. */
export const DIMS = /** @type {readonly Dim[]} */ (
  Object.freeze(['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2'])
);

/** The shared continue verdict. */
export const CONTINUE = /** @type {Verdict} */ (Object.freeze({ kind: 'continue' }));
/** Shared warn verdicts, by dimension index. */
export const WARN = /** @type {readonly Verdict[]} */ (
  Object.freeze(DIMS.map((dim) => Object.freeze({ kind: 'warn', dim })))
);
/** Shared exhausted verdicts, by dimension index. */
export const EXHAUSTED = /** @type {readonly Verdict[]} */ (
  Object.freeze(DIMS.map((dim) => Object.freeze({ kind: 'exhausted', dim })))
);

const U64_MAX = (1n << 64n) - 1n;

/**
 * The index of a dimension name. A switch, as a careful hand-written version
 * would use (and as the facade does): no prototype keys can match, and V8
 * compiles it to a few pointer comparisons of internalized strings.
 * @param {unknown} dim
 * @returns {number}
 */
function dimIndex(dim) {
  switch (dim) {
    case 'tokens': return 0;
    case 'millis': return 1;
    case 'bytes': return 2;
    case 'calls': return 3;
    case 'memory': return 4;
    case 'custom0': return 5;
    case 'custom1': return 6;
    case 'custom2': return 7;
    default: throw new TypeError(`expected a dimension name (one of ${DIMS.join(', ')})`);
  }
}

/**
 * @param {Dim} dim
 * @returns {Error}
 */
function undeclared(dim) {
  return Object.assign(new Error(`dimension ${dim} is not declared`), {
    code: 'UNKNOWN_DIMENSION',
    dim,
  });
}

/**
 * Shared builder validation, in the kernel's order: first duplicate, then no
 * dimensions, then per dimension in index order zero limit before warn >= limit.
 * @template A
 * @param {ReadonlyArray<DimSpec<A>>} specs
 * @param {(a: A) => boolean} isZero
 * @param {(a: A, b: A) => boolean} ge
 * @returns {Array<DimSpec<A> | undefined>} specs by dimension index
 */
function validateSpecs(specs, isZero, ge) {
  /** @type {Array<DimSpec<A> | undefined>} */
  const byIndex = new Array(DIMS.length).fill(undefined);
  for (const spec of specs) {
    const i = dimIndex(spec.dim);
    if (byIndex[i] !== undefined) {
      throw Object.assign(new Error(`duplicate ${spec.dim}`), { code: 'DUPLICATE_DIMENSION', dim: spec.dim });
    }
    byIndex[i] = spec;
  }
  if (specs.length === 0) {
    throw Object.assign(new Error('no dimensions'), { code: 'NO_DIMENSIONS', dim: undefined });
  }
  for (const spec of byIndex) {
    if (spec === undefined) continue;
    if (isZero(spec.limit)) {
      throw Object.assign(new Error(`zero limit on ${spec.dim}`), { code: 'ZERO_LIMIT', dim: spec.dim });
    }
    if (spec.warn !== undefined && ge(spec.warn, spec.limit)) {
      throw Object.assign(new Error(`warn not below limit on ${spec.dim}`), {
        code: 'WARN_NOT_BELOW_LIMIT',
        dim: spec.dim,
      });
    }
  }
  return byIndex;
}

/**
 * A budget with `number` counters: exact below 2^53 only.
 */
export class NumberBudget {
  /** Limit per dimension index; 0 means undeclared (a declared limit is never 0). */
  #limit = new Float64Array(DIMS.length);
  /** Warn threshold per dimension index; Infinity means no warn threshold. */
  #warn = new Float64Array(DIMS.length).fill(Infinity);
  #spent = new Float64Array(DIMS.length);

  /** @param {ReadonlyArray<DimSpec<number>>} specs */
  constructor(specs) {
    for (const spec of specs) {
      checkNumber(spec.limit);
      if (spec.warn !== undefined) checkNumber(spec.warn);
    }
    const byIndex = validateSpecs(specs, (a) => a === 0, (a, b) => a >= b);
    byIndex.forEach((spec, i) => {
      if (spec === undefined) return;
      this.#limit[i] = spec.limit;
      if (spec.warn !== undefined) this.#warn[i] = spec.warn;
    });
  }

  /**
   * @param {Dim} dim
   * @param {number} amount a non-negative safe integer
   * @returns {Verdict}
   */
  charge(dim, amount) {
    const i = dimIndex(dim);
    checkNumber(amount);
    const limit = this.#limit[i];
    if (limit === 0) throw undeclared(dim);
    // Both operands are safe integers, so an exact sum above 2^53 - 1 can
    // only round to a value that is still above it: the test is exact.
    let spent = this.#spent[i] + amount;
    if (spent > Number.MAX_SAFE_INTEGER) spent = Number.MAX_SAFE_INTEGER;
    this.#spent[i] = spent;
    if (spent > limit) return EXHAUSTED[i];
    if (spent > this.#warn[i]) return WARN[i];
    return CONTINUE;
  }

  /**
   * @param {Dim} dim
   * @returns {number | undefined}
   */
  spent(dim) {
    const i = dimIndex(dim);
    return this.#limit[i] === 0 ? undefined : this.#spent[i];
  }

  /** Zeroes every counter, keeps limits and warns. */
  reset() {
    this.#spent.fill(0);
  }
}

/**
 * @param {unknown} n
 * @returns {asserts n is number}
 */
function checkNumber(n) {
  if (typeof n !== 'number') throw new TypeError('expected a number');
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('expected a non-negative safe integer');
}

/**
 * A budget with BigInt counters: exact to 2^64 - 1, like the kernel.
 */
export class BigIntBudget {
  /** @type {Array<bigint>} limit per dimension index; 0n means undeclared */
  #limit = new Array(DIMS.length).fill(0n);
  /** @type {Array<bigint | null>} warn per dimension index; null means none */
  #warn = new Array(DIMS.length).fill(null);
  /** @type {Array<bigint>} */
  #spent = new Array(DIMS.length).fill(0n);

  /** @param {ReadonlyArray<DimSpec<bigint>>} specs */
  constructor(specs) {
    for (const spec of specs) {
      checkBigInt(spec.limit);
      if (spec.warn !== undefined) checkBigInt(spec.warn);
    }
    const byIndex = validateSpecs(specs, (a) => a === 0n, (a, b) => a >= b);
    byIndex.forEach((spec, i) => {
      if (spec === undefined) return;
      this.#limit[i] = spec.limit;
      if (spec.warn !== undefined) this.#warn[i] = spec.warn;
    });
  }

  /**
   * @param {Dim} dim
   * @param {bigint} amount 0n ..= 2n ** 64n - 1n
   * @returns {Verdict}
   */
  charge(dim, amount) {
    const i = dimIndex(dim);
    checkBigInt(amount);
    const limit = /** @type {bigint} */ (this.#limit[i]);
    if (limit === 0n) throw undeclared(dim);
    let spent = /** @type {bigint} */ (this.#spent[i]) + amount;
    if (spent > U64_MAX) spent = U64_MAX;
    this.#spent[i] = spent;
    if (spent > limit) return EXHAUSTED[i];
    const warn = this.#warn[i];
    if (warn !== null && warn !== undefined && spent > warn) return WARN[i];
    return CONTINUE;
  }

  /**
   * @param {Dim} dim
   * @returns {bigint | undefined}
   */
  spent(dim) {
    const i = dimIndex(dim);
    return this.#limit[i] === 0n ? undefined : this.#spent[i];
  }

  /** Zeroes every counter, keeps limits and warns. */
  reset() {
    this.#spent.fill(0n);
  }
}

/**
 * @param {unknown} n
 * @returns {asserts n is bigint}
 */
function checkBigInt(n) {
  if (typeof n !== 'bigint') throw new TypeError('expected a bigint');
  if (n < 0n || n > U64_MAX) throw new RangeError('expected a bigint in 0n ..= 2n ** 64n - 1n');
}
