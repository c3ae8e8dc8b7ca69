// budget.signal: an AbortSignal that aborts the first time a charge returns
// `exhausted`, with a BudgetExhaustedError of that verdict's dim. Run on the
// engine BUDGETKERNEL_ENGINE selects (npm test's two vitest passes), and on
// budgetkernel/wasm explicitly, whatever the pass. Every expectation is
// worked out from the limits written next to it (limits inclusive, warn
// strict, exhaustion wins over warn, chargeMany reports the worst verdict).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as main from '../index.js'
import * as wasm from '../wasm.js'
import type { Budget, Dim } from '../index.js'

type Entry = typeof main | typeof wasm

/** tokens: limit 100, warn 80; calls: limit 3. */
function make(entry: Entry): Budget {
  return entry.Budget.builder().limitWithWarn('tokens', 100, 80).limit('calls', 3).build()
}

/** The abort events `signal` dispatches, each with the reason it carried then. */
function listen(signal: AbortSignal): unknown[] {
  const seen: unknown[] = []
  signal.addEventListener('abort', () => seen.push(signal.reason))
  return seen
}

function expectReason(signal: AbortSignal, entry: Entry, dim: Dim): void {
  expect(signal.aborted).toBe(true)
  const reason: unknown = signal.reason
  expect(reason).toBeInstanceOf(entry.BudgetExhaustedError)
  expect(reason).toBeInstanceOf(Error)
  const error = reason as InstanceType<typeof main.BudgetExhaustedError>
  expect(error.code).toBe('BUDGET_EXHAUSTED')
  expect(error.dim).toBe(dim)
  expect(error.name).toBe('BudgetExhaustedError')
  expect(error.message).toContain(dim)
  // Not a kernel refusal.
  expect(reason).not.toBeInstanceOf(entry.BudgetError)
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

afterEach(() => {
  vi.restoreAllMocks()
})

describe('BudgetExhaustedError', () => {
  it('is one class for both entries', () => {
    expect(wasm.BudgetExhaustedError).toBe(main.BudgetExhaustedError)
    const error = new main.BudgetExhaustedError('calls')
    expect(error.dim).toBe('calls')
    expect(error.code).toBe('BUDGET_EXHAUSTED')
    expect(String(error)).toBe('BudgetExhaustedError: budgetkernel: the budget is exhausted (calls passed its limit)')
  })
})

describe('an abort listener that throws', () => {
  it('does not reach the charge: the verdict is returned, the process reports the exception as uncaught', () => {
    // In a child: vitest fails a file on any uncaught exception.
    const script = `
      const { Budget } = require('./index.js')
      const budget = Budget.builder().limit('calls', 1).build()
      process.on('uncaughtException', (error) => console.log('uncaught: ' + error.message))
      budget.signal.addEventListener('abort', () => { throw new Error('listener failed') })
      let verdict
      try { verdict = budget.charge('calls', 2) } catch (error) { verdict = 'threw ' + error.message }
      console.log(JSON.stringify(verdict), budget.spent('calls'), budget.signal.aborted)
    `
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('{"kind":"exhausted","dim":"calls"} 2n true\nuncaught: listener failed\n')
    expect(r.status).toBe(0)
  })
})

for (const [name, entry] of [
  [`budgetkernel (${main.ENGINE})`, main],
  ['budgetkernel/wasm', wasm],
] as const) {
  describe(`budget.signal on ${name}`, () => {
    it('aborts during the charge that first returns exhausted, with that dim, before the charge returns', () => {
      const budget = make(entry)
      const signal = budget.signal
      expect(signal).toBeInstanceOf(AbortSignal)
      expect(signal.aborted).toBe(false)
      const during: unknown[] = []
      signal.addEventListener('abort', () => during.push(budget.spent('calls')))
      expect(budget.charge('calls', 3)).toEqual({ kind: 'continue' }) // 3 ≤ 3: inclusive
      expect(signal.aborted).toBe(false)
      expect(budget.charge('calls', 1)).toEqual({ kind: 'exhausted', dim: 'calls' }) // 4 > 3
      // The listener ran inside that charge, after it was applied.
      expect(during).toEqual([4n])
      expectReason(signal, entry, 'calls')
      // Same object on every read.
      expect(budget.signal).toBe(signal)
    })

    it('is not aborted by warn verdicts', () => {
      const budget = make(entry)
      const seen = listen(budget.signal)
      expect(budget.charge('tokens', 81)).toEqual({ kind: 'warn', dim: 'tokens' }) // 81 > 80
      expect(budget.chargeMany({ tokens: 19, calls: 1 })).toEqual({ kind: 'warn', dim: 'tokens' }) // 100 ≤ 100
      expect(budget.signal.aborted).toBe(false)
      expect(seen).toEqual([])
      expect(budget.charge('tokens', 1)).toEqual({ kind: 'exhausted', dim: 'tokens' }) // 101 > 100
      expect(seen).toHaveLength(1)
      expectReason(budget.signal, entry, 'tokens')
    })

    it('aborts once: later exhausted charges keep the first reason and dispatch nothing', () => {
      const budget = make(entry)
      const signal = budget.signal
      const seen = listen(signal)
      budget.charge('tokens', 101)
      const first = signal.reason
      expect(budget.charge('calls', 9)).toEqual({ kind: 'exhausted', dim: 'calls' })
      expect(budget.charge('tokens', 1)).toEqual({ kind: 'exhausted', dim: 'tokens' })
      expect(seen).toEqual([first])
      expect(signal.reason).toBe(first)
      expectReason(signal, entry, 'tokens')
    })

    it('a listener that charges the budget again does not abort twice', () => {
      const budget = make(entry)
      const signal = budget.signal
      const seen = listen(signal)
      const inner: unknown[] = []
      signal.addEventListener('abort', () => inner.push(budget.charge('calls', 5)))
      expect(budget.charge('tokens', 200)).toEqual({ kind: 'exhausted', dim: 'tokens' })
      expect(inner).toEqual([{ kind: 'exhausted', dim: 'calls' }])
      expect(seen).toHaveLength(1)
      expectReason(signal, entry, 'tokens')
    })

    it('a listener that releases the budget during the exhausting charge: the charge still returns its verdict, later calls throw ReleasedError', () => {
      const budget = make(entry)
      const other = make(entry)
      let reuser: Budget | undefined
      budget.signal.addEventListener('abort', () => {
        budget.release()
        // Its slot may be reused at once; the outer charge must not touch it.
        reuser = make(entry)
        reuser.charge('calls', 1)
      })
      expect(budget.chargeBatch(Uint8Array.of(3), Float64Array.of(3))).toEqual({ kind: 'continue' })
      expect(budget.chargeMany([['calls', 1], ['tokens', 1]])).toEqual({ kind: 'exhausted', dim: 'calls' })
      expect(budget.released).toBe(true)
      expect(() => budget.charge('calls', 1)).toThrow(entry.ReleasedError)
      // The budget made in the listener (in the released slot, or any other) holds only its own charge.
      expect(reuser?.spent('calls')).toBe(1n)
      expect(reuser?.spent('tokens')).toBe(0n)
      expect(other.spent('calls')).toBe(0n)
    })

    // Every charging method, and each way chargeMany crosses into the engine.
    const exhausting: ReadonlyArray<[string, (b: Budget) => unknown, Dim]> = [
      ['charge (number)', (b) => b.charge('calls', 4), 'calls'],
      ['charge (bigint)', (b) => b.charge('tokens', 101n), 'tokens'],
      ['chargeMany pairs', (b) => b.chargeMany([['tokens', 5], ['calls', 4]]), 'calls'],
      ['chargeMany pairs, bigint amount', (b) => b.chargeMany([['tokens', 2n ** 60n]]), 'tokens'],
      ['chargeMany pairs, staged (4 entries)', (b) => b.chargeMany([['calls', 1], ['calls', 1], ['calls', 1], ['calls', 1]]), 'calls'],
      ['chargeMany object', (b) => b.chargeMany({ calls: 1, tokens: 101 }), 'tokens'],
      ['chargeBatch Float64Array', (b) => b.chargeBatch(Uint8Array.of(3, 0), Float64Array.of(4, 1)), 'calls'],
      ['chargeBatch BigUint64Array', (b) => b.chargeBatch(Uint8Array.of(0), BigUint64Array.of(101n)), 'tokens'],
    ]
    for (const [label, exhaust, dim] of exhausting) {
      it(`aborts on an exhausting ${label}`, () => {
        const budget = make(entry)
        const signal = budget.signal
        const seen = listen(signal)
        expect(exhaust(budget)).toEqual({ kind: 'exhausted', dim })
        expect(seen).toHaveLength(1)
        expectReason(signal, entry, dim)
      })
    }

    it('bad input changes nothing and does not abort', () => {
      const budget = make(entry)
      budget.charge('calls', 3)
      const signal = budget.signal
      const seen = listen(signal)
      const refused: ReadonlyArray<[() => unknown, new (...args: never[]) => Error]> = [
        [() => budget.charge('nope' as Dim, 4), TypeError],
        [() => budget.charge('calls', -1), RangeError],
        [() => budget.charge('calls', 1.5), RangeError],
        [() => budget.charge('calls', '4' as unknown as number), TypeError],
        [() => budget.charge('bytes', 1), entry.ChargeError],
        // The first entry alone would exhaust calls; the second is refused, so nothing applies.
        [() => budget.chargeMany([['calls', 1], ['tokens', -1]]), RangeError],
        [() => budget.chargeMany({ calls: 1, bytes: 1 }), entry.ChargeError],
        [() => budget.chargeMany([['calls', 1], ['calls', 1], ['calls', 1], ['nope' as Dim, 1]]), TypeError],
        [() => budget.chargeBatch(Uint8Array.of(3, 2), Float64Array.of(1, 1)), entry.ChargeError],
        [() => budget.chargeBatch(Uint8Array.of(3), Float64Array.of(1, 1)), RangeError],
        [() => budget.chargeBatch(Uint8Array.of(3), Float64Array.of(-1)), RangeError],
      ]
      for (const [call, type] of refused) {
        expect(call).toThrow(type)
        expect(signal.aborted).toBe(false)
      }
      expect(seen).toEqual([])
      expect(budget.spent('calls')).toBe(3n)
      expect(budget.spent('tokens')).toBe(0n)
      expect(budget.charge('calls', 1)).toEqual({ kind: 'exhausted', dim: 'calls' })
      expect(seen).toHaveLength(1)
    })

    it('is made on first read: budgets that never read it make no AbortController', () => {
      const made = vi.fn()
      const Real = globalThis.AbortController
      vi.spyOn(globalThis, 'AbortController').mockImplementation(function (this: unknown) {
        made()
        return new Real()
      } as unknown as () => AbortController)
      const template = make(entry)
      for (let i = 0; i < 3; i++) {
        const budget = template.clone()
        budget.charge('tokens', 50)
        budget.chargeMany({ tokens: 40, calls: 1 }) // warn
        budget.chargeMany({ tokens: 40, calls: 9 }) // exhausted
        budget.chargeBatch(Uint8Array.of(0), Float64Array.of(1))
        budget.reset()
        budget.release()
      }
      template.run((b) => b.charge('calls', 4))
      expect(made).not.toHaveBeenCalled()
      const budget = template.clone()
      const signal = budget.signal
      expect(made).toHaveBeenCalledTimes(1)
      expect(budget.signal).toBe(signal)
      budget.charge('calls', 4)
      expect(made).toHaveBeenCalledTimes(1)
      expectReason(signal, entry, 'calls')
    })

    it('read after the budget is exhausted: already aborted, with the first dimension past its limit in DIMS order', () => {
      const budget = make(entry)
      budget.charge('calls', 4) // calls exhausted first...
      budget.charge('tokens', 101) // ...then tokens, which comes first in DIMS
      expectReason(budget.signal, entry, 'tokens')
      const other = make(entry)
      other.charge('tokens', 100) // exactly the limit: not exhausted
      other.charge('calls', 3)
      expect(other.signal.aborted).toBe(false)
      // The poll that decided it charged nothing.
      expect(other.spent('tokens')).toBe(100n)
      expect(other.spent('calls')).toBe(3n)
      expect(other.charge('calls', 1)).toEqual({ kind: 'exhausted', dim: 'calls' })
      expectReason(other.signal, entry, 'calls')
    })

    it('reset: an aborted signal stays aborted, the next read is a fresh signal; an unaborted one is kept', () => {
      const budget = make(entry)
      const kept = budget.signal
      budget.reset()
      expect(budget.signal).toBe(kept)
      budget.charge('calls', 4)
      expectReason(kept, entry, 'calls')
      budget.reset()
      expectReason(kept, entry, 'calls')
      const fresh = budget.signal
      expect(fresh).not.toBe(kept)
      expect(fresh.aborted).toBe(false)
      expect(budget.charge('tokens', 101)).toEqual({ kind: 'exhausted', dim: 'tokens' })
      expectReason(fresh, entry, 'tokens')
      expectReason(kept, entry, 'calls')
    })

    it('reset before the signal is ever read: the signal reflects the state after the reset', () => {
      const budget = make(entry)
      budget.charge('calls', 4)
      budget.reset()
      expect(budget.signal.aborted).toBe(false)
    })

    it('a clone has its own signal; a clone of an exhausted budget starts aborted', () => {
      const budget = make(entry)
      const signal = budget.signal
      const clone = budget.clone()
      expect(clone.signal).not.toBe(signal)
      clone.charge('calls', 4)
      expectReason(clone.signal, entry, 'calls')
      expect(signal.aborted).toBe(false)
      budget.charge('tokens', 101)
      expectReason(signal, entry, 'tokens')
      const late = budget.clone()
      expectReason(late.signal, entry, 'tokens')
      expect(late.signal).not.toBe(signal)
    })

    it("a run() scope's budget has its own signal", async () => {
      const template = make(entry)
      const reasons = await template.run(async (budget) => {
        const seen = listen(budget.signal)
        await Promise.resolve()
        budget.charge('calls', 4)
        return seen
      })
      expect(reasons).toHaveLength(1)
      expect((reasons[0] as { dim: unknown }).dim).toBe('calls')
      expect(template.signal.aborted).toBe(false)
    })

    it('release never aborts it; reading it after release throws ReleasedError', () => {
      const budget = make(entry)
      const signal = budget.signal
      const seen = listen(signal)
      budget.release()
      expect(signal.aborted).toBe(false)
      expect(seen).toEqual([])
      expect(() => budget.signal).toThrow(entry.ReleasedError)
      expect(() => budget.charge('calls', 4)).toThrow(entry.ReleasedError)
      expect(signal.aborted).toBe(false)
      const never = make(entry)
      never.release()
      expect(() => never.signal).toThrow(entry.ReleasedError)
    })

    it('works with what consumers do with a signal: throwIfAborted, once listeners, AbortSignal.any', () => {
      const budget = make(entry)
      const signal = budget.signal
      expect(() => signal.throwIfAborted()).not.toThrow()
      let calls = 0
      signal.addEventListener('abort', () => calls++, { once: true })
      const other = new AbortController()
      const any = AbortSignal.any([other.signal, signal])
      const anySeen = listen(any)
      budget.charge('tokens', 500)
      expect(calls).toBe(1)
      expect(() => signal.throwIfAborted()).toThrow(entry.BudgetExhaustedError)
      expect(any.aborted).toBe(true)
      expect(any.reason).toBe(signal.reason)
      expect(anySeen).toEqual([signal.reason])
      other.abort(new Error('late'))
      expect(any.reason).toBe(signal.reason)
    })
  })
}
