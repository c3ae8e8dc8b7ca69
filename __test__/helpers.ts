// Shared helpers for the budget, model, property and hostile-input suites.
import { expect } from 'vitest';
import { Budget, BudgetError, BuilderError, ChargeError, ReleasedError } from '../index.js';
import { DIM_NAMES, type MError, type MVerdict, type Outcome } from './model.js';

/** What the addon did, as data comparable with a model Outcome. */
export type Got = { ok: true; value: unknown } | { ok: false; error: GotError };
export interface GotError {
  cls: string;
  code?: unknown;
  dim?: unknown;
}

/** The most specific documented class of a thrown value, plus code/dim for BudgetErrors. */
export function classify(e: unknown): GotError {
  if (e instanceof BuilderError) return { cls: 'BuilderError', code: e.code, dim: e.dim };
  if (e instanceof ChargeError) return { cls: 'ChargeError', code: e.code, dim: e.dim };
  if (e instanceof BudgetError) return { cls: 'BudgetError', code: e.code, dim: e.dim };
  if (e instanceof ReleasedError) return { cls: 'ReleasedError', code: e.code };
  if (e instanceof RangeError) return { cls: 'RangeError' };
  if (e instanceof TypeError) return { cls: 'TypeError' };
  if (e instanceof Error) return { cls: `undocumented ${e.name}: ${e.message}` };
  return { cls: `non-Error thrown: ${String(e)}` };
}

/** Run an addon call and capture its value or its error as data. */
export function capture(op: () => unknown): Got {
  try {
    return { ok: true, value: op() };
  } catch (e) {
    return { ok: false, error: classify(e) };
  }
}

/** A model error in the same shape as `classify` gives. */
export function expectedError(e: MError): GotError {
  if (e.cls === 'BuilderError' || e.cls === 'ChargeError') {
    return { cls: e.cls, code: e.code, dim: e.dim };
  }
  if (e.cls === 'ReleasedError') return { cls: e.cls, code: e.code };
  return { cls: e.cls };
}

/** A verdict's own enumerable data, for comparison with a model verdict. */
export function verdictData(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return { notAnObject: v };
  return { ...(v as Record<string, unknown>) };
}

/** spent() of all eight dimensions. */
export function spentAll(b: Budget): Array<bigint | undefined> {
  return DIM_NAMES.map((d) => b.spent(d));
}

/** remaining() of all eight dimensions. */
export function remainingAll(b: Budget): Array<bigint | undefined> {
  return DIM_NAMES.map((d) => b.remaining(d));
}

/**
 * Assert that an addon outcome matches a model outcome: same error class,
 * code and dim, or (on success) values equal after `map` (applied to both).
 */
export function expectSameOutcome<T>(
  got: Got,
  want: Outcome<T>,
  map: (v: unknown) => unknown = (v) => v,
  what = '',
): void {
  if (want.ok) {
    expect(got, `${what}: expected success`).toMatchObject({ ok: true });
    if (got.ok) expect(map(got.value), what).toEqual(map(want.value));
  } else {
    expect(got, `${what}: expected error ${JSON.stringify(want.error)}`).toEqual({
      ok: false,
      error: expectedError(want.error),
    });
  }
}

/** A model verdict written the way the addon's verdict objects should look. */
export function verdictOf(v: MVerdict): Record<string, unknown> {
  return v.kind === 'continue' ? { kind: v.kind } : { kind: v.kind, dim: v.dim };
}

/** Printable form of a value for test names and messages (bigints, symbols, holes). */
export function show(x: unknown): string {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return x.toString();
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'function') return 'function';
  if (Object.is(x, -0)) return '-0';
  if (typeof x !== 'object' || x === null) return String(x);
  if (Array.isArray(x)) {
    const parts: string[] = [];
    for (let i = 0; i < x.length; i++) parts.push(i in x ? show(x[i]) : '<hole>');
    return `[${parts.join(', ')}]`;
  }
  if (ArrayBuffer.isView(x)) {
    const name = x.constructor.name;
    if (x instanceof DataView) return `DataView(${x.byteLength})`;
    return `${name}[${Array.from(x as unknown as ArrayLike<unknown>, show).join(', ')}]`;
  }
  const proto = Object.getPrototypeOf(x);
  const tag = proto === Object.prototype ? '' : proto === null ? 'null-proto ' : `${proto?.constructor?.name ?? '?'} `;
  const keys = Reflect.ownKeys(x).map((k) => {
    const desc = Object.getOwnPropertyDescriptor(x, k);
    const val = desc && 'value' in desc ? show(desc.value) : '<accessor>';
    return `${typeof k === 'symbol' ? `[${k.toString()}]` : JSON.stringify(k)}: ${val}`;
  });
  return `${tag}{${keys.join(', ')}}`;
}
