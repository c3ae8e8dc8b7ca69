// The wasm engine (lib/wasm.js over budgetkernel.wasm) against the native
// binding (binding.js), call for call: random sequences of raw engine calls,
// valid and not (forged and stale handles, bad dimensions and amounts,
// batch length mismatches, builder refusals), applied to both; every return
// value, every thrown message and every takeError() must be equal. Both
// tables start empty in this process and see the same calls, so even the
// handles match. Then the wasm memory's maximum: reaching it is TABLE_FULL,
// never a trap, and the engine works on.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'

const require = createRequire(import.meta.url)
type Engine = ReturnType<typeof import('../lib/wasm.js').loadWasm>
const native = require('../binding.js') as Engine
const { loadWasm, instantiateWasm } = require('../lib/wasm.js') as typeof import('../lib/wasm.js')
const wasm = loadWasm()

const U64 = (1n << 64n) - 1n

type Call =
  | { op: 'create'; decls: [number, number, bigint, bigint][]; extra: number }
  | { op: 'clone' | 'release' | 'reset'; h: number }
  | { op: 'charge'; h: number; dim: number; amount: number }
  | { op: 'chargeBig'; h: number; dim: number; amount: bigint }
  | { op: 'chargeFew'; h: number; packed: number; a: [number, number, number] }
  | { op: 'chargeBatch'; h: number; dims: number[]; amounts: number[]; len: number }
  | { op: 'chargeBatchBig'; h: number; dims: number[]; amounts: bigint[]; len: number }
  | { op: 'spent' | 'remaining'; h: number; dim: number }
  | { op: 'liveBudgets' | 'tableCapacity' }

const dim = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(8, 9, 255, -1, 2 ** 32 + 1, 1.5, Number.NaN))
const amount = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.constantFrom(-1, 0.5, Number.NaN, Infinity, -0, 2 ** 53 - 1, 2 ** 53, 1e300),
)
const bigAmount = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.constantFrom(-1n, U64, U64 + 1n, 1n << 200n))
const limit = fc.oneof(fc.bigInt({ min: 0n, max: 500n }), fc.constantFrom(U64))
// A handle: an index into the handles made so far (maybe released since), or a forgery.
const handle = fc.oneof(
  { weight: 4, arbitrary: fc.nat(40) },
  { weight: 1, arbitrary: fc.constantFrom(-1.5, -2.5, Number.NaN, 2 ** 53, 4294967296.5) },
)
const len = (n: number) => fc.oneof(fc.constant(n), fc.constant(n + 1), fc.constant(Math.max(0, n - 1)), fc.constantFrom(2 ** 32 + n, 2 ** 31))

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    decls: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(8, 99)), fc.integer({ min: 0, max: 1 }), limit, limit), { maxLength: 5 }),
    extra: fc.constantFrom(0, 0, 0, 1, -1),
  }),
  fc.record({ op: fc.constantFrom('clone' as const, 'release' as const, 'reset' as const), h: handle }),
  fc.record({ op: fc.constant('charge' as const), h: handle, dim, amount }),
  fc.record({ op: fc.constant('chargeBig' as const), h: handle, dim, amount: bigAmount }),
  fc.record({
    op: fc.constant('chargeFew' as const),
    h: handle,
    packed: fc.oneof(fc.nat(), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat(7), fc.nat(7), fc.nat(7)).map(([c, a, b, d]) => c | (a << 3) | (b << 6) | (d << 9))),
    a: fc.tuple(amount, amount, amount),
  }),
  fc
    .array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(8, 200)), amount), { maxLength: 6 })
    .chain((entries) =>
      fc.record({
        op: fc.constant('chargeBatch' as const),
        h: handle,
        dims: fc.constant(entries.map((e) => e[0])),
        amounts: fc.constant(entries.map((e) => e[1])),
        len: len(entries.length),
      }),
    ),
  fc
    .array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(8, 200)), fc.bigInt({ min: 0n, max: U64 })), { maxLength: 6 })
    .chain((entries) =>
      fc.record({
        op: fc.constant('chargeBatchBig' as const),
        h: handle,
        dims: fc.constant(entries.map((e) => e[0])),
        amounts: fc.constant(entries.map((e) => e[1])),
        len: len(entries.length),
      }),
    ),
  fc.record({ op: fc.constantFrom('spent' as const, 'remaining' as const), h: handle, dim }),
  fc.record({ op: fc.constantFrom('liveBudgets' as const, 'tableCapacity' as const) }),
)

/** Applies `c` to `engine`; `handles` are that engine's own handles so far. */
function apply(engine: Engine, handles: number[], c: Call): unknown {
  const h = (ref: number) => (Number.isInteger(ref) && ref >= 0 ? (handles[ref % Math.max(1, handles.length)] ?? -1) : ref)
  const keep = (value: number) => {
    if (value >= 0) handles.push(value)
    return value
  }
  try {
    switch (c.op) {
      case 'create': {
        const words = new BigUint64Array(c.decls.flatMap(([d, w, l, t]) => [BigInt(d), BigInt(w), l, t]))
        return keep(engine.create(words, c.decls.length + c.extra))
      }
      case 'clone':
        return keep(engine.clone(h(c.h)))
      case 'release':
        return engine.release(h(c.h))
      case 'reset':
        return engine.reset(h(c.h))
      case 'charge':
        return engine.charge(h(c.h), c.dim, c.amount)
      case 'chargeBig':
        return engine.chargeBig(h(c.h), c.dim, c.amount)
      case 'chargeFew':
        return engine.chargeFew(h(c.h), c.packed, ...c.a)
      case 'chargeBatch':
        return engine.chargeBatch(h(c.h), Uint8Array.from(c.dims), Float64Array.from(c.amounts), c.len)
      case 'chargeBatchBig':
        return engine.chargeBatchBig(h(c.h), Uint8Array.from(c.dims), BigUint64Array.from(c.amounts), c.len)
      case 'spent':
        return engine.spent(h(c.h), c.dim)
      case 'remaining':
        return engine.remaining(h(c.h), c.dim)
      case 'liveBudgets':
        return engine.liveBudgets()
      case 'tableCapacity':
        return engine.tableCapacity()
    }
  } catch (error) {
    return { threw: (error as Error).message }
  }
}

describe('wasm engine vs native binding', () => {
  it('has the same constants and dimension names', () => {
    expect(wasm.MAX_DIMENSIONS).toBe(native.MAX_DIMENSIONS)
    expect(wasm.dimNames()).toEqual(native.dimNames())
    expect(Object.keys(wasm).sort()).toEqual(Object.keys(native).filter((k) => k !== '__napiBindingTarget').sort())
  })

  it('returns and fails alike on random call sequences', () => {
    const nativeHandles: number[] = []
    const wasmHandles: number[] = []
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 40 }), (calls) => {
        for (const c of calls) {
          const n = apply(native, nativeHandles, c)
          const w = apply(wasm, wasmHandles, c)
          expect(w, JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).toEqual(n)
          expect(wasm.takeError()).toEqual(native.takeError())
        }
      }),
      { numRuns: 300 },
    )
    // The runs above did make budgets, fail and succeed on both.
    expect(nativeHandles.length).toBeGreaterThan(0)
    expect(wasm.liveBudgets()).toBe(native.liveBudgets())
  })

  it('survives a huge length and an array far larger than the call uses', () => {
    const h = wasm.create(new BigUint64Array([0n, 0n, 100n, 0n]), 1)
    expect(h).toBeGreaterThanOrEqual(0)
    expect(wasm.chargeBatch(h, new Uint8Array(1), new Float64Array(1), 2 ** 32 - 1)).toBe(-1)
    expect(wasm.takeError()).toEqual({ code: 'LENGTH_MISMATCH' })
    expect(wasm.chargeBatch(h, new Uint8Array(1 << 16), new Float64Array(1 << 16), 1)).toBeGreaterThanOrEqual(0)
    expect(wasm.spent(h, 0)).toBe(0n)
    expect(wasm.release(h)).toBe(true)
  })
})

describe('wasm memory maximum', () => {
  it('is reached as TABLE_FULL, changes nothing, and the engine works on', () => {
    const { engine, memory } = instantiateWasm()
    const first = engine.create(new BigUint64Array([0n, 0n, 1000n, 0n]), 1)
    expect(first).toBeGreaterThanOrEqual(0)
    // Take all but 16 pages (1 MiB) of the memory's maximum away from the module's allocator.
    let pages = memory.buffer.byteLength / 65536
    for (let step = 4096; step >= 1; step = Math.floor(step / 2)) {
      for (;;) {
        try {
          memory.grow(step)
          pages += step
        } catch {
          break
        }
      }
    }
    // The maximum exists and is the built one (scripts/build.mjs: 1 GiB).
    expect(pages * 65536).toBe(1024 * 1024 * 1024)
    // Hand 1 MiB back to the allocator's reach: shrink is impossible, so start a fresh instance
    // and grow it to 16 pages below the maximum instead.
    const fresh = instantiateWasm()
    const e = fresh.engine
    const keep = e.create(new BigUint64Array([0n, 0n, 1000n, 0n]), 1)
    expect(keep).toBeGreaterThanOrEqual(0)
    fresh.memory.grow(16384 - fresh.memory.buffer.byteLength / 65536 - 16)
    const made: number[] = []
    for (let i = 0; i < 1_000_000; i++) {
      const c = e.clone(keep)
      if (c < 0) break
      made.push(c)
    }
    expect(made.length).toBeGreaterThan(100)
    expect(made.length).toBeLessThan(1_000_000)
    expect(e.takeError()).toEqual({ code: 'TABLE_FULL' })
    const live = e.liveBudgets()
    expect(live).toBe(made.length + 1)
    // A failed create changes nothing either.
    expect(e.create(new BigUint64Array([1n, 0n, 5n, 0n]), 1)).toBe(-1)
    expect(e.takeError()).toEqual({ code: 'TABLE_FULL' })
    expect(e.liveBudgets()).toBe(live)
    // A batch larger than the memory left: TABLE_FULL, not a trap.
    expect(e.chargeBatch(keep, new Uint8Array(1 << 21), new Float64Array(1 << 21), 1 << 21)).toBe(-1)
    expect(e.takeError()).toEqual({ code: 'TABLE_FULL' })
    // Every budget still answers; releasing makes room again.
    expect(e.charge(keep, 0, 10)).toBe(0)
    expect(e.spent(keep, 0)).toBe(10n)
    for (const h of made) expect(e.release(h)).toBe(true)
    expect(e.clone(keep)).toBeGreaterThanOrEqual(0)
  })
})

describe('wasm memory maximum through the API (budgetkernel/wasm)', () => {
  it('build, clone, run and chargeBatch throw CapacityError (TABLE_FULL), change nothing, and work again once budgets are released', () => {
    const api = require('../wasm.js') as typeof import('../wasm.js')
    // (@internal: not in the published typings)
    const { loadWasmEngine } = require('../lib/engine.js') as { loadWasmEngine(): Engine }
    const { memoryOf, MOVE_FLOOR } = require('../lib/wasm.js') as typeof import('../lib/wasm.js')
    // The entry's own engine (what its Budget runs on), grown to 16 pages below the maximum.
    const engine = loadWasmEngine()
    const template = api.Budget.builder().limit('tokens', 1000).build()
    template.charge('tokens', 10)
    const memory = memoryOf(engine) as { buffer: ArrayBuffer; grow(pages: number): number }
    memory.grow(16384 - memory.buffer.byteLength / 65536 - 16)
    const made: import('../wasm.js').Budget[] = []
    let full: unknown
    for (let i = 0; i < 1_000_000 && full === undefined; i++) {
      try {
        made.push(template.clone())
      } catch (error) {
        full = error
      }
    }
    expect(made.length).toBeGreaterThan(100)
    expect(full).toBeInstanceOf(api.CapacityError)
    expect(full).toBeInstanceOf(Error)
    expect(full).not.toBeInstanceOf(api.BudgetError)
    expect(full).toMatchObject({ name: 'CapacityError', code: 'TABLE_FULL' })
    const live = engine.liveBudgets()
    expect(live).toBe(made.length + 1)
    // Each refusal is the same typed error, and nothing was created or charged.
    let called = false
    const refusals: Array<() => unknown> = [
      () => template.clone(),
      () => template.run(() => (called = true)),
      () => api.Budget.builder().limit('calls', 5).build(),
      () => template.chargeBatch(new Uint8Array(1 << 21), new Float64Array(1 << 21).fill(1)),
    ]
    for (const refuse of refusals) {
      expect(refuse).toThrow(api.CapacityError)
      expect(engine.liveBudgets()).toBe(live)
    }
    expect(called).toBe(false)
    expect(template.spent('tokens')).toBe(10n)
    // Charges need no memory: every budget works on.
    expect(template.charge('tokens', 5)).toEqual({ kind: 'continue' })
    expect(made[made.length - 1]?.charge('tokens', 991)).toEqual({ kind: 'exhausted', dim: 'tokens' })
    // Released, the budgets make room again, and the drained table moves to a small memory.
    for (const budget of made) budget.release()
    expect(engine.liveBudgets()).toBe(1)
    const again = template.clone()
    expect(again.spent('tokens')).toBe(15n)
    again.release()
    expect((memoryOf(engine) as { buffer: ArrayBuffer }).buffer.byteLength).toBeLessThan(MOVE_FLOOR)
    template.release()
  })
})

describe('moving a drained table to a fresh memory', () => {
  const { memoryOf, MOVE_FLOOR, MOVE_MAX_LIVE } = require('../lib/wasm.js') as typeof import('../lib/wasm.js')
  const bytesOf = (e: Engine) => (memoryOf(e) as { buffer: ArrayBuffer }).buffer.byteLength
  // Declarations: [dim, has warn, limit, warn] per dimension.
  const templates: bigint[][] = [
    [0n, 1n, 1000n, 800n, 3n, 0n, 10n, 0n],
    [1n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n, 1n, 5n, 0n, 7n, 0n, 1n, 0n],
    [0n, 0n, 1n, 0n, 1n, 0n, 2n, 0n, 2n, 0n, 3n, 0n, 3n, 0n, 4n, 0n, 4n, 1n, 9n, 8n, 5n, 0n, 6n, 0n, 6n, 1n, 7n, 6n, 7n, 0n, 8n, 0n],
  ]
  /** Everything a budget shows without being changed: spent and remaining per dimension. */
  const reading = (e: Engine, h: number) => [0, 1, 2, 3, 4, 5, 6, 7].map((d) => [e.spent(h, d), e.remaining(h, d)])
  /** The verdicts of a copy charged through every warn threshold and limit (the copy is released). */
  const verdicts = (e: Engine, h: number) => {
    const c = e.clone(h)
    const codes = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((d) => [1, 3, 4, 100, 799, 2 ** 53 - 1].map((a) => e.charge(c, d, a)))
    e.release(c)
    return codes
  }

  function setUp() {
    const { engine: e } = instantiateWasm()
    const live: number[] = []
    const stale: number[] = []
    for (const [i, words] of templates.entries()) {
      const h = e.create(new BigUint64Array(words), words.length / 4)
      expect(h, JSON.stringify(e.takeError())).toBeGreaterThanOrEqual(0)
      e.charge(h, 0, 7 * i)
      e.chargeBig(h, 1, 2n ** 63n + BigInt(i))
      live.push(h)
      for (let k = 0; k < 3; k++) {
        const c = e.clone(h)
        e.charge(c, 3, k * 4)
        if (k === 1) {
          e.release(c)
          stale.push(c)
        } else {
          live.push(c)
        }
      }
    }
    return { e, live, stale }
  }

  it('returns the burst\'s memory, and every budget, handle and stale handle is as before', () => {
    const { e, live, stale } = setUp()
    const before = live.map((h) => ({ reading: reading(e, h), verdicts: verdicts(e, h) }))
    const liveBefore = e.liveBudgets()
    const small = memoryOf(e)
    const burst: number[] = []
    while (bytesOf(e) < MOVE_FLOOR + 16 * 1024 * 1024) burst.push(e.clone(live[0] as number))
    const grown = bytesOf(e)
    for (const h of burst) expect(e.release(h)).toBe(true)
    // Moved: another memory, back to a few MiB.
    expect(memoryOf(e)).not.toBe(small)
    expect(bytesOf(e), `${grown} bytes before`).toBeLessThan(8 * 1024 * 1024)
    expect(e.liveBudgets()).toBe(liveBefore)
    expect(live.map((h) => ({ reading: reading(e, h), verdicts: verdicts(e, h) }))).toEqual(before)
    for (const h of [...stale, ...burst.slice(-3), burst[0] as number]) {
      expect(e.release(h)).toBe(false)
      expect(e.charge(h, 0, 1)).toBe(-1)
      expect(e.takeError()).toEqual({ code: 'INVALID_HANDLE' })
    }
    // The moved engine works on: charges, arrays through the scratch buffers, errors with messages.
    const h = live[0] as number
    const spent = e.spent(h, 3) as bigint
    expect(e.chargeBatch(h, Uint8Array.from([0, 3]), Float64Array.from([1, 1]), 2)).toBeGreaterThanOrEqual(0)
    expect(e.spent(h, 3)).toBe(spent + 1n)
    expect(e.create(new BigUint64Array([0n, 1n, 5n, 5n]), 1)).toBe(-1)
    expect(e.takeError()).toMatchObject({ code: 'WARN_NOT_BELOW_LIMIT', dim: 0 })
    expect(e.dimNames()).toEqual(native.dimNames())
  })

  it(`keeps its memory while more than ${MOVE_MAX_LIVE} budgets are live (a move would pause for too long), and below ${MOVE_FLOOR / 2 ** 20} MiB`, () => {
    const { e, live } = setUp()
    const kept: number[] = []
    for (let i = 0; i <= MOVE_MAX_LIVE; i++) kept.push(e.clone(live[0] as number))
    const burst: number[] = []
    while (bytesOf(e) < MOVE_FLOOR + 16 * 1024 * 1024) burst.push(e.clone(live[0] as number))
    const memory = memoryOf(e)
    for (const h of burst) e.release(h)
    expect(memoryOf(e)).toBe(memory)
    // A burst that stays below the floor never moves, even when all of it goes.
    const { e: f } = setUp()
    const start = memoryOf(f)
    const few: number[] = []
    while (bytesOf(f) < MOVE_FLOOR / 2) few.push(f.clone(live[0] as number))
    for (const h of few) f.release(h)
    expect(memoryOf(f)).toBe(start)
  })
})

describe('a trap', () => {
  it('becomes an Error, and the instance refuses every later call; other instances go on', () => {
    // No caller can make the module trap (the engine has no reachable
    // panic), so the test corrupts its memory as nothing else can: the word
    // buffer's pointer in the module's statics is pointed past the end of
    // memory, and the next create reads through it.
    const { engine: e, memory } = instantiateWasm()
    const h = e.create(new BigUint64Array([0n, 0n, 100n, 0n]), 1)
    const words = new BigUint64Array(memory.buffer)
    let at = -1
    for (let i = 0; i + 3 < words.length && at < 0; i++) {
      if (words[i] === 0n && words[i + 1] === 0n && words[i + 2] === 100n && words[i + 3] === 0n) at = i * 8
    }
    expect(at).toBeGreaterThan(0)
    const u32 = new Uint32Array(memory.buffer)
    const pointers = [...u32.subarray(0, at / 4).keys()].filter((i) => u32[i] === at)
    expect(pointers.length).toBeGreaterThan(0)
    for (const i of pointers) u32[i] = 0xffff_fff0
    let first: unknown
    try {
      e.create(new BigUint64Array([0n, 0n, 100n, 0n]), 1)
    } catch (error) {
      first = error
    }
    expect(first).toBeInstanceOf(Error)
    expect((first as Error).message).toBe('budgetkernel: the wasm engine trapped; this instance cannot be used again')
    // The compiler's lib for the tests has no WebAssembly types.
    expect((first as Error).cause).toBeInstanceOf((globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError)
    const later: Array<() => unknown> = [
      () => e.charge(h, 0, 1),
      () => e.clone(h),
      () => e.release(h),
      () => e.spent(h, 0),
      () => e.chargeBig(h, 0, 1n),
      () => e.chargeBatch(h, new Uint8Array(1), new Float64Array(1), 1),
      () => e.create(new BigUint64Array([0n, 0n, 100n, 0n]), 1),
      () => e.liveBudgets(),
      () => e.takeError(),
      () => e.dimNames(),
    ]
    for (const call of later) {
      let refused: unknown
      try {
        call()
      } catch (error) {
        refused = error
      }
      expect(refused).toBeInstanceOf(Error)
      expect((refused as Error).message).toBe('budgetkernel: the wasm engine trapped earlier and cannot be used again')
      expect((refused as Error).cause).toBe((first as Error).cause)
    }
    // Another instance of the module is untouched.
    const other = loadWasm()
    const g = other.create(new BigUint64Array([0n, 0n, 100n, 0n]), 1)
    expect(other.charge(g, 0, 101)).toBeGreaterThan(0)
    expect(other.release(g)).toBe(true)
  })
})
