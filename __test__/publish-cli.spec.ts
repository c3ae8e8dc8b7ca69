// The CLI as it ships (cli/*.js, compiled from ts/cli/ by the build) on each
// engine: `budgetkernel replay --engine native|wasm` over every trace fixture
// gives the fixture's expected output and exit status, byte-identical to the
// run without the flag, and loads the engine it names and no other; and
// `--pretty` prints, on either engine, exactly the table the JavaScript CLI
// printed before it moved to TypeScript (`NAME.pretty.out`).

import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = path.join(ROOT, 'cli', 'budgetkernel.js')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces')
const TRACES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort()
const STATUS = JSON.parse(readFileSync(path.join(FIXTURES, 'exit-codes.json'), 'utf8')) as Record<string, number>

const scratch = mkdtempSync(path.join(tmpdir(), 'bk-cli-engine-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

// Preloaded into the CLI: on exit, writes which of the package's engine
// modules were loaded (any native .node addon; the wasm entry) to a file.
const PROBE = path.join(scratch, 'probe.cjs')
writeFileSync(
  PROBE,
  [
    "const fs = require('node:fs')",
    'process.on("exit", () => {',
    '  const loaded = Object.keys(require.cache)',
    '  fs.writeFileSync(process.env.BK_PROBE_OUT, JSON.stringify({',
    "    native: loaded.some((f) => f.endsWith('.node')),",
    `    wasm: loaded.includes(${JSON.stringify(path.join(ROOT, 'wasm.js'))}),`,
    '  }))',
    '})',
    '',
  ].join('\n'),
)

interface Run {
  status: number | null
  stdout: string
  stderr: string
  loaded: { native: boolean; wasm: boolean }
}

let probes = 0
function cli(args: readonly string[]): Promise<Run> {
  const out = path.join(scratch, `probe-${probes++}.json`)
  const env: NodeJS.ProcessEnv = { ...process.env, BK_PROBE_OUT: out, NO_COLOR: '1' }
  delete env.BUDGETKERNEL_ENGINE
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', PROBE, CLI, ...args], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code
      const loaded = JSON.parse(readFileSync(out, 'utf8')) as Run['loaded']
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr, loaded })
    })
  })
}

describe('replay --engine native', () => {
  it.each(TRACES)('%s: the expected output and exit status, identical to the run without --engine, on the native addon', async (trace) => {
    const file = path.join(FIXTURES, trace)
    const name = trace.replace(/\.jsonl$/, '')
    const [plain, native] = await Promise.all([cli(['replay', file]), cli(['replay', '--engine', 'native', file])])
    expect(native.stderr).toBe('')
    expect(native.stdout).toBe(readFileSync(path.join(FIXTURES, `${name}.out`), 'utf8'))
    expect(native.status).toBe(STATUS[name])
    expect(native.stdout).toBe(plain.stdout)
    expect(native.status).toBe(plain.status)
    expect(native.loaded).toEqual({ native: true, wasm: false })
  })

})

describe('replay --engine: bad usage is refused with exit 2 and nothing on stdout', () => {
  it.each([
    [['replay', '--engine', 'gpu'], 'budgetkernel: --engine must be native or wasm, got "gpu"'],
    [['replay', '--engine'], 'budgetkernel: --engine needs a value'],
    [['replay', '--engine', 'native', '--redis', 'redis://127.0.0.1:1'], 'budgetkernel: --engine cannot be combined with --redis (the budget is kept in Redis)'],
  ])('%j', async (args, first) => {
    const r = await cli(args)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')[0]).toBe(first)
    expect(r.loaded).toEqual({ native: false, wasm: false })
  })
})

describe('replay --engine wasm', () => {
  it.each(TRACES)('%s: the expected output and exit status on the wasm engine, byte-identical to native, no addon loaded', async (trace) => {
    const file = path.join(FIXTURES, trace)
    const name = trace.replace(/\.jsonl$/, '')
    const [native, wasm] = await Promise.all([cli(['replay', '--engine', 'native', file]), cli(['replay', '--engine', 'wasm', file])])
    expect(wasm.stderr).toBe('')
    expect(wasm.stdout).toBe(readFileSync(path.join(FIXTURES, `${name}.out`), 'utf8'))
    expect(wasm.status).toBe(STATUS[name])
    expect(wasm.stdout).toBe(native.stdout)
    expect(wasm.loaded).toEqual({ native: false, wasm: true })
  })
})

describe('replay --pretty: the table of the pre-TypeScript CLI, byte for byte, on both engines', () => {
  for (const engine of ['native', 'wasm'] as const) {
    it.each(TRACES)(`%s on ${engine}: NAME.pretty.out and the fixture's exit status`, async (trace) => {
      const name = trace.replace(/\.jsonl$/, '')
      // The table's title names the trace as given: a path relative to the repository, the same in every checkout.
      const r = await cli(['replay', '--pretty', '--engine', engine, path.relative(ROOT, path.join(FIXTURES, trace))])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(readFileSync(path.join(FIXTURES, `${name}.pretty.out`), 'utf8'))
      expect(r.status).toBe(STATUS[name])
      expect(r.loaded).toEqual({ native: engine === 'native', wasm: engine === 'wasm' })
    })
  }
})
