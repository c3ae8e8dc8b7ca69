// An independent reference model of budgetkernel's semantics, written from the
// specification (issues 2 and 3, the team brief), not from the addon's code.
//
// It is deliberately naive: plain BigInt arithmetic, Maps, linear scans. Its
// verdicts are plain `{ kind, dim? }` data and its failures are plain
// `{ cls, code?, dim? }` data, so tests can compare them with the addon's
// results field by field.
//
// The argument checks (which JavaScript values are accepted, and which error
// class a rejected value gets) follow the public contract; where the contract
// is silent, the choices are the ones listed in the test report and are
// marked "decision" below.

export const DIM_NAMES = [
  'tokens',
  'millis',
  'bytes',
  'calls',
  'memory',
  'custom0',
  'custom1',
  'custom2',
] as const;
export type MDim = (typeof DIM_NAMES)[number];

export const U64_MAX = 2n ** 64n - 1n;

export type MVerdict =
  | { kind: 'continue' }
  | { kind: 'warn'; dim: MDim }
  | { kind: 'exhausted'; dim: MDim };

export type ErrClass = 'TypeError' | 'RangeError' | 'BuilderError' | 'ChargeError' | 'ReleasedError';
export type ErrCode =
  | 'DUPLICATE_DIMENSION'
  | 'WARN_NOT_BELOW_LIMIT'
  | 'ZERO_LIMIT'
  | 'NO_DIMENSIONS'
  | 'UNKNOWN_DIMENSION'
  | 'BUDGET_RELEASED';

/** A failure as data. `code` only for BuilderError, ChargeError and ReleasedError; `dim` only for the first two. */
export interface MError {
  cls: ErrClass;
  code?: ErrCode;
  dim?: MDim;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: MError };

/** Thrown inside the model; turned into an Outcome by `run`. */
export class ModelFailure {
  constructor(readonly error: MError) {}
}

function fail(cls: ErrClass, code?: ErrCode, dim?: MDim): never {
  const error: MError = { cls };
  if (code !== undefined) error.code = code;
  if (dim !== undefined) error.dim = dim;
  throw new ModelFailure(error);
}

/** Run a model operation and capture its result or its failure as data. */
export function run<T>(op: () => T): Outcome<T> {
  try {
    return { ok: true, value: op() };
  } catch (e) {
    if (e instanceof ModelFailure) return { ok: false, error: e.error };
    throw e; // a bug in the model itself
  }
}

// ---------------------------------------------------------------- arguments

/** A dimension argument: exactly one of the eight names, nothing coerced. */
export function parseDim(x: unknown): MDim {
  if (typeof x === 'string' && (DIM_NAMES as readonly string[]).includes(x)) return x as MDim;
  return fail('TypeError');
}

/**
 * An amount argument: a non-negative safe integer number, or a bigint in
 * 0..2^64-1. Any other number is a RangeError; any other type a TypeError.
 * Decision: -0 is a non-negative safe integer and counts as 0.
 */
export function parseAmount(x: unknown): bigint {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return BigInt(x);
    return fail('RangeError');
  }
  if (typeof x === 'bigint') {
    if (x >= 0n && x <= U64_MAX) return x;
    return fail('RangeError');
  }
  return fail('TypeError');
}

/** Decision: the object form of chargeMany takes plain objects only. */
function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * chargeMany's argument as a list of checked entries, in application order.
 * Type and range problems are found here, entry by entry in order (dimension
 * before amount), before any declared-dimension check.
 */
export function parseCharges(x: unknown): Array<[MDim, bigint]> {
  const out: Array<[MDim, bigint]> = [];
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const entry: unknown = x[i]; // a hole reads as undefined: not a pair
      // Decision: an entry must be an array of exactly two elements.
      if (!Array.isArray(entry) || entry.length !== 2) return fail('TypeError');
      out.push([parseDim(entry[0]), parseAmount(entry[1])]);
    }
    return out;
  }
  if (isPlainObject(x)) {
    // Decision: an enumerable symbol key is not a dimension name.
    for (const s of Object.getOwnPropertySymbols(x)) {
      if (Object.prototype.propertyIsEnumerable.call(x, s)) return fail('TypeError');
    }
    for (const key of Object.keys(x)) {
      // Decision: a key whose value is undefined is skipped, as the type
      // Partial<Record<Dim, Amount>> allows `{ tokens: undefined }`.
      if (x[key] === undefined) continue;
      out.push([parseDim(key), parseAmount(x[key])]);
    }
    return out;
  }
  return fail('TypeError');
}

/** chargeBatch's arguments as checked entries. */
export function parseBatch(dims: unknown, amounts: unknown): Array<[MDim, bigint]> {
  if (!(dims instanceof Uint8Array)) return fail('TypeError');
  const isF64 = amounts instanceof Float64Array;
  const isU64 = amounts instanceof BigUint64Array;
  if (!isF64 && !isU64) return fail('TypeError');
  // Decision: unequal lengths are a RangeError.
  if (dims.length !== (amounts as Float64Array | BigUint64Array).length) return fail('RangeError');
  const out: Array<[MDim, bigint]> = [];
  for (let i = 0; i < dims.length; i++) {
    const index = dims[i] as number;
    // Decision: an index of 8 or more is a RangeError.
    if (index >= DIM_NAMES.length) return fail('RangeError');
    const amount = isF64
      ? parseAmount((amounts as Float64Array)[i])
      : (amounts as BigUint64Array)[i] as bigint;
    out.push([DIM_NAMES[index] as MDim, amount]);
  }
  return out;
}

// ----------------------------------------------------------------- verdicts

export const CONTINUE: MVerdict = { kind: 'continue' };

function severity(v: MVerdict): number {
  return v.kind === 'exhausted' ? 2 : v.kind === 'warn' ? 1 : 0;
}

/** Exhausted > Warn > Continue; on a tie the left one wins. */
export function worst(a: MVerdict, b: MVerdict): MVerdict {
  return severity(b) > severity(a) ? b : a;
}

export function isContinuing(v: MVerdict): boolean {
  return v.kind !== 'exhausted';
}

export function isExhausted(v: MVerdict): boolean {
  return v.kind === 'exhausted';
}

// --------------------------------------------------------------- the budget

interface Decl {
  dim: MDim;
  limit: bigint;
  warn: bigint | undefined;
}

export class ModelBuilder {
  private readonly decls: Decl[] = [];

  /** Arguments are checked at the call; a rejected call records nothing. */
  limit(dim: unknown, limit: unknown): void {
    const d = parseDim(dim);
    const l = parseAmount(limit);
    this.decls.push({ dim: d, limit: l, warn: undefined });
  }

  limitWithWarn(dim: unknown, limit: unknown, warn: unknown): void {
    const d = parseDim(dim);
    const l = parseAmount(limit);
    const w = parseAmount(warn);
    this.decls.push({ dim: d, limit: l, warn: w });
  }

  /** Decision: build() may be called again; each call yields a fresh budget. */
  build(): ModelBudget {
    const seen = new Set<MDim>();
    for (const d of this.decls) {
      if (seen.has(d.dim)) fail('BuilderError', 'DUPLICATE_DIMENSION', d.dim);
      seen.add(d.dim);
    }
    if (this.decls.length === 0) fail('BuilderError', 'NO_DIMENSIONS');
    for (const dim of DIM_NAMES) {
      const d = this.decls.find((x) => x.dim === dim);
      if (d === undefined) continue;
      if (d.limit === 0n) fail('BuilderError', 'ZERO_LIMIT', dim);
      if (d.warn !== undefined && d.warn >= d.limit) {
        fail('BuilderError', 'WARN_NOT_BELOW_LIMIT', dim);
      }
    }
    const budget = new ModelBudget();
    for (const d of this.decls) {
      budget.limits.set(d.dim, d.limit);
      if (d.warn !== undefined) budget.warns.set(d.dim, d.warn);
      budget.spentBy.set(d.dim, 0n);
    }
    return budget;
  }
}

export class ModelBudget {
  readonly limits = new Map<MDim, bigint>();
  readonly warns = new Map<MDim, bigint>();
  readonly spentBy = new Map<MDim, bigint>();
  /** Set by `release()`: from then on every other method fails, before looking at its arguments. */
  released = false;

  private live(): void {
    if (this.released) fail('ReleasedError', 'BUDGET_RELEASED');
  }

  /** Idempotent; never fails. */
  release(): void {
    this.released = true;
  }

  /** Apply one checked charge to a declared dimension. */
  private apply(dim: MDim, amount: bigint): MVerdict {
    const limit = this.limits.get(dim) as bigint;
    const sum = (this.spentBy.get(dim) as bigint) + amount;
    const spent = sum > U64_MAX ? U64_MAX : sum;
    this.spentBy.set(dim, spent);
    if (spent > limit) return { kind: 'exhausted', dim };
    const warn = this.warns.get(dim);
    if (warn !== undefined && spent > warn) return { kind: 'warn', dim };
    return CONTINUE;
  }

  private applyAll(entries: Array<[MDim, bigint]>): MVerdict {
    for (const [dim] of entries) {
      if (!this.limits.has(dim)) fail('ChargeError', 'UNKNOWN_DIMENSION', dim);
    }
    let verdict = CONTINUE;
    for (const [dim, amount] of entries) verdict = worst(verdict, this.apply(dim, amount));
    return verdict;
  }

  charge(dim: unknown, amount: unknown): MVerdict {
    this.live();
    const d = parseDim(dim);
    const a = parseAmount(amount);
    return this.applyAll([[d, a]]);
  }

  chargeMany(charges: unknown): MVerdict {
    this.live();
    return this.applyAll(parseCharges(charges));
  }

  chargeBatch(dims: unknown, amounts: unknown): MVerdict {
    this.live();
    return this.applyAll(parseBatch(dims, amounts));
  }

  spent(dim: unknown): bigint | undefined {
    this.live();
    return this.spentBy.get(parseDim(dim));
  }

  remaining(dim: unknown): bigint | undefined {
    this.live();
    const d = parseDim(dim);
    const limit = this.limits.get(d);
    if (limit === undefined) return undefined;
    const spent = this.spentBy.get(d) as bigint;
    return spent >= limit ? 0n : limit - spent;
  }

  reset(): void {
    this.live();
    for (const dim of this.spentBy.keys()) this.spentBy.set(dim, 0n);
  }

  clone(): ModelBudget {
    this.live();
    const copy = new ModelBudget();
    for (const [k, v] of this.limits) copy.limits.set(k, v);
    for (const [k, v] of this.warns) copy.warns.set(k, v);
    for (const [k, v] of this.spentBy) copy.spentBy.set(k, v);
    return copy;
  }
}
