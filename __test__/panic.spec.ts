// A panic must never abort the Node process. The binding has no
// caller-triggerable panic (that is what the hostile-input suite checks);
// this proves the defence in depth behind it: every export is
// #[napi(catch_unwind)] and the workspace keeps panic = "unwind", so a panic
// becomes a JavaScript exception. It builds a test-only variant of the addon
// with the `panic-probe` feature (an export that panics on purpose) into a
// temporary directory, never over the shipped binary.
//
// On an emulated host (scripts/cross-test.mjs) no Rust toolchain can run, so
// the runner builds the same variant for the target under test with
// scripts/cross.mjs and names its directory in BUDGETKERNEL_PANIC_ADDON_DIR
// (binding.js plus budgetkernel.<platform>.node); this suite then loads that.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NATIVE } from './platform.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)

let dir = ''
let probe: { panicProbe: () => void; liveBudgets: () => number; create: (d: BigUint64Array, n: number) => number; charge: (h: number, d: number, a: number) => number }

const prebuilt = process.env.BUDGETKERNEL_PANIC_ADDON_DIR

beforeAll(() => {
  if (prebuilt !== undefined) {
    const from = path.resolve(prebuilt)
    expect(existsSync(path.join(from, NATIVE)), `${NATIVE} in ${from}`).toBe(true)
    probe = require(path.join(from, 'binding.js'))
    return
  }
  dir = mkdtempSync(path.join(tmpdir(), 'bk-panic-'))
  const napi = path.join(ROOT, 'node_modules/@napi-rs/cli/dist/cli.js')
  const build = spawnSync(
    process.execPath,
    [napi, 'build', '--platform', '--manifest-path', 'crates/budgetkernel-node/Cargo.toml', '--package-json-path', 'package.json',
      '--output-dir', dir, '--js', 'binding.js', '--dts', 'binding.d.ts', '--features', 'panic-probe'],
    { cwd: ROOT, encoding: 'utf8' },
  )
  expect(build.status, build.stderr).toBe(0)
  expect(existsSync(path.join(dir, NATIVE)), `${NATIVE} in ${dir}`).toBe(true)
  probe = require(path.join(dir, 'binding.js'))
}, 600_000)

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

describe('a panic inside the addon', () => {
  it('surfaces as a JavaScript Error carrying the panic message', () => {
    expect(() => probe.panicProbe()).toThrow(/budgetkernel panic probe/)
  })

  it('leaves the process and the addon working: the next calls succeed', () => {
    expect(() => probe.panicProbe()).toThrow(Error)
    // One declaration: tokens (index 0), no warn, limit 10.
    const handle = probe.create(new BigUint64Array([0n, 0n, 10n, 0n]), 1)
    expect(handle).toBeGreaterThanOrEqual(0)
    expect(probe.charge(handle, 0, 10)).toBe(0) // continue: spent == limit
    expect(probe.charge(handle, 0, 1)).toBe(9) // exhausted on tokens: 1 + MAX_DIMS + 0
    expect(probe.liveBudgets()).toBeGreaterThanOrEqual(1)
  })
})
