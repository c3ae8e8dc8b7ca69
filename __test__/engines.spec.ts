// Both entry points over one facade, engine selection, and run() scopes.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as main from '../index.js'
import { Budget, ReleasedError } from '../index.js'

const ROOT = path.resolve(__dirname, '..')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wasm = require(path.join(ROOT, 'wasm.js')) as typeof main

function node(code: string, env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const template = (): Budget => Budget.builder().limitWithWarn('tokens', 100, 50).limit('calls', 3).build()

describe('two entries, one facade', () => {
  it('budgetkernel/wasm exports exactly the names of budgetkernel, the shared ones as the same objects', () => {
    const names = Object.keys(main).filter((name) => name !== 'default')
    expect(Object.keys(wasm).sort()).toEqual(names.sort())
    for (const name of names as (keyof typeof main)[]) {
      if (name === 'Budget' || name === 'BudgetBuilder' || name === 'ENGINE') continue
      expect(wasm[name], name).toBe(main[name])
    }
    expect(wasm.ENGINE).toBe('wasm')
  })

  it('a verdict from the wasm entry is the same object as from the main entry, and errors are the same classes', () => {
    const a = main.Budget.builder().limitWithWarn('tokens', 10, 5).build()
    const b = wasm.Budget.builder().limitWithWarn('tokens', 10, 5).build()
    for (const amount of [0, 6, 5]) expect(b.charge('tokens', amount)).toBe(a.charge('tokens', amount))
    let error: unknown
    try {
      b.charge('calls', 1)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(main.ChargeError)
    b.release()
    expect(() => b.spent('tokens')).toThrow(main.ReleasedError)
  })

  it("each entry's budgets are of its own class, clones included", () => {
    const w = wasm.Budget.builder().limit('calls', 1).build()
    expect(w).toBeInstanceOf(wasm.Budget)
    expect(w.clone()).toBeInstanceOf(wasm.Budget)
    expect(w.run((b) => b instanceof wasm.Budget)).toBe(true)
    expect(new wasm.BudgetBuilder().limit('calls', 1).build()).toBeInstanceOf(wasm.Budget)
    const { builder } = wasm.Budget
    expect(builder().limit('calls', 1).build()).toBeInstanceOf(wasm.Budget)
    // ... and only of its own: the other entry's class does not claim it (both ways).
    const m = main.Budget.builder().limit('calls', 1).build()
    expect(w).not.toBeInstanceOf(main.Budget)
    expect(w.clone()).not.toBeInstanceOf(main.Budget)
    expect(m).not.toBeInstanceOf(wasm.Budget)
    expect(m.run((b) => b instanceof wasm.Budget)).toBe(false)
  })
})

describe('BUDGETKERNEL_ENGINE', () => {
  const probe = "const m = require('./index.js'); console.log(m.ENGINE, String(m.Budget.builder().limit('calls', 1).build().charge('calls', 2).kind))"
  it('native and wasm force the engine; unset means native here', () => {
    expect(node(probe, { BUDGETKERNEL_ENGINE: 'native' }).stdout.trim()).toBe('native exhausted')
    expect(node(probe, { BUDGETKERNEL_ENGINE: 'wasm' }).stdout.trim()).toBe('wasm exhausted')
    const unset = node(probe, { BUDGETKERNEL_ENGINE: undefined })
    expect(unset.stdout.trim()).toBe('native exhausted')
    expect(unset.stderr).not.toContain('BUDGETKERNEL_WASM_FALLBACK')
  })

  it('an unknown value is an error that names the allowed ones', () => {
    const r = node(probe, { BUDGETKERNEL_ENGINE: 'fast' })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('BUDGETKERNEL_ENGINE must be "native" or "wasm"')
  })

  it('no loadable native binary: forced native throws the loader error; unset falls back to wasm with one warning', () => {
    const missing = { NAPI_RS_NATIVE_LIBRARY_PATH: path.join(ROOT, 'no-such-binary.node') }
    const forced = node(probe, { ...missing, BUDGETKERNEL_ENGINE: 'native' })
    expect(forced.status).not.toBe(0)
    expect(forced.stderr).toContain('no native binary could be loaded')
    const fallback = node(`${probe}; require('./redis.js'); require('./wasm.js')`, { ...missing, BUDGETKERNEL_ENGINE: undefined })
    expect(fallback.status).toBe(0)
    expect(fallback.stdout.trim()).toBe('wasm exhausted')
    expect(fallback.stderr.match(/BUDGETKERNEL_WASM_FALLBACK/g)).toHaveLength(1)
  })

  it('each thread that loads the package chooses its engine and warns once: a main thread and 2 workers, 3 warnings', () => {
    const missing = { NAPI_RS_NATIVE_LIBRARY_PATH: path.join(ROOT, 'no-such-binary.node'), BUDGETKERNEL_ENGINE: undefined }
    // The main thread loads the package, then two workers load it (twice each: still one warning per thread).
    const threads = [
      "const { Worker } = require('node:worker_threads')",
      "const engines = [require('./index.js').ENGINE]",
      "const inWorker = \"const m = require(process.cwd() + '/index.js'); require(process.cwd() + '/index.js'); require('node:worker_threads').parentPort.postMessage(m.ENGINE)\"",
      "for (let i = 0; i < 2; i++) new Worker(inWorker, { eval: true }).once('message', (e) => { engines.push(e); if (engines.length === 3) console.log(engines.join(' ')) })",
    ].join('\n')
    const r = node(threads, missing)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe('wasm wasm wasm')
    expect(r.stderr.match(/BUDGETKERNEL_WASM_FALLBACK/g)).toHaveLength(3)
  })
})

describe('template.run(fn)', () => {
  it('calls fn with a fresh clone, returns its result, and releases the clone', () => {
    const t = template()
    t.charge('tokens', 10)
    let inner: Budget | undefined
    const result = t.run((b) => {
      inner = b
      expect(b).not.toBe(t)
      expect(b.spent('tokens')).toBe(10n)
      b.charge('tokens', 30)
      return 'done'
    })
    expect(result).toBe('done')
    expect(inner?.released).toBe(true)
    expect(() => inner?.charge('tokens', 1)).toThrow(ReleasedError)
    expect(t.spent('tokens')).toBe(10n)
  })

  it('registers nothing with a FinalizationRegistry (clone() does, as a control)', () => {
    const register = vi.spyOn(FinalizationRegistry.prototype, 'register')
    try {
      const t = template()
      register.mockClear()
      t.run((b) => b.charge('calls', 1))
      expect(register).not.toHaveBeenCalled()
      t.clone().release()
      expect(register).toHaveBeenCalledTimes(1)
    } finally {
      register.mockRestore()
    }
  })

  it('releases the clone when fn throws, and rethrows the same error', () => {
    const t = template()
    let inner: Budget | undefined
    const boom = new Error('boom')
    expect(() =>
      t.run((b) => {
        inner = b
        throw boom
      }),
    ).toThrow(boom)
    expect(inner?.released).toBe(true)
  })

  it('a returned promise: released when it settles, same value or same rejection', async () => {
    const t = template()
    let inner: Budget | undefined
    const pending = t.run(async (b) => {
      inner = b
      await new Promise((r) => setTimeout(r, 1))
      expect(b.released).toBe(false)
      return b.charge('tokens', 60)
    })
    expect(pending).toBeInstanceOf(Promise)
    expect(inner?.released).toBe(false)
    expect((await pending).kind).toBe('warn')
    expect(inner?.released).toBe(true)
    const reason = new Error('rejected')
    await expect(
      t.run(async (b) => {
        inner = b
        throw reason
      }),
    ).rejects.toBe(reason)
    expect(inner?.released).toBe(true)
  })

  it('nested scopes, and returning the budget itself (released on return)', () => {
    const t = template()
    const escaped = t.run((a) => {
      a.charge('calls', 1)
      const innerSpent = a.run((b) => {
        b.charge('calls', 1)
        return b.spent('calls')
      })
      expect(innerSpent).toBe(2n)
      expect(a.spent('calls')).toBe(1n)
      return a
    })
    expect(escaped.released).toBe(true)
    expect(() => escaped.spent('calls')).toThrow(ReleasedError)
    expect(() => escaped.clone()).toThrow(ReleasedError)
  })

  it('refuses a non-function and a released template, cloning nothing', () => {
    const t = template()
    const live = main.Budget.builder().limit('calls', 1).build()
    live.release()
    // The main entry's engine (@internal, not in the typings), to count its budgets.
    const { selectEngine } = require('../lib/engine.js') as { selectEngine(): { engine: { liveBudgets(): number } } }
    const before = selectEngine().engine.liveBudgets()
    let called = false
    expect(() => t.run(42 as never)).toThrow(TypeError)
    expect(() => live.run(() => (called = true))).toThrow(ReleasedError)
    expect(called).toBe(false)
    expect(selectEngine().engine.liveBudgets()).toBe(before)
  })
})

describe('typings', () => {
  it('index.d.ts and wasm.d.ts declare the same surface (declarations equal once comments are dropped)', () => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs')
    const surface = (file: string): string =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
        .replace(/import \{[^}]*\} from '\.\/lib\/engine';/, '')
        .replace(/import \{[^}]*\} from '\.\/lib\/budget';/, '')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .join('\n')
    expect(surface('wasm.d.ts')).toBe(surface('index.d.ts'))
    expect(surface('index.d.ts')).toContain('export declare const Budget: typeof BudgetClass;')
  })
})
