// The package's TypeScript surface, as users compile against it:
//   - __test__/types/usage.ts (every export, plus @ts-expect-error lines for
//     calls the typings must reject) compiles under --strict;
//   - the harness has teeth: the same compiler fails on a wrong call;
//   - the CLI is TypeScript (ts/cli/*.ts, compiled by the build to cli/*.js)
//     and its typings serve a TypeScript user of the in-process replay;
//   - the committed generated files are exactly what the build produces
//     (npm test builds before running vitest, so any drift shows up in git).

import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
// The facade's entry points (index, wasm, redis) and their modules (ts/lib/ -> lib/), the CLI (ts/cli/ -> cli/),
// and the napi-rs loader.
const GENERATED = ['index.d.ts', 'index.js', 'wasm.d.ts', 'wasm.js', 'redis.d.ts', 'redis.js', 'lib', 'cli', 'binding.js', 'binding.d.ts']

interface Result {
  status: number | null
  out: string
}

function exec(cmd: string, args: readonly string[], cwd = ROOT): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, out: stdout + stderr })
    })
  })
}

const tsc = (...args: string[]) => exec(process.execPath, [TSC, ...args])

const scratch: string[] = []
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

describe('typings', () => {
  it('usage.ts (every export, wrong calls under @ts-expect-error) compiles with --strict', async () => {
    const r = await tsc('-p', path.join(ROOT, '__test__', 'types', 'tsconfig.json'), '--pretty', 'false')
    expect(r.out, r.out).toBe('')
    expect(r.status).toBe(0)
  }, 120_000)

  it('the same compiler setup rejects a wrong call that is not marked (the check has teeth)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bk-typings-'))
    scratch.push(dir)
    const index = path.join(ROOT, 'index.js').split(path.sep).join('/')
    writeFileSync(
      path.join(dir, 'wrong.ts'),
      [
        `import { Budget } from ${JSON.stringify(index)}`,
        `const b = Budget.builder().limit('tokens', 10).build()`,
        `b.charge('tokens', '5')`,
        `b.charge('tokenz', 5)`,
        `b.chargeBatch([0], [5])`,
        '',
      ].join('\n'),
    )
    const config = JSON.parse(
      readFileSync(path.join(ROOT, '__test__', 'types', 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
    ) as { compilerOptions: Record<string, unknown> }
    config.compilerOptions.typeRoots = [path.join(ROOT, 'node_modules', '@types')]
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: config.compilerOptions, files: ['wrong.ts'] }))
    const r = await tsc('-p', path.join(dir, 'tsconfig.json'), '--pretty', 'false')
    expect(r.status).not.toBe(0)
    // One error per wrong line (3, 4, 5), each an argument type error.
    const lines = r.out.split('\n').filter((l) => l.includes('error TS'))
    expect(lines.map((l) => /wrong\.ts\((\d+),/.exec(l)?.[1]), r.out).toEqual(['3', '4', '5'])
    for (const l of lines) expect(l).toMatch(/error TS(2345|2769):/)
  }, 120_000)

  it('the CLI is compiled from TypeScript: every cli/*.js has its ts/cli/*.ts source, and its typings type-check', async () => {
    const emitted = readdirSync(path.join(ROOT, 'cli')).filter((f) => f.endsWith('.js')).sort()
    const sources = readdirSync(path.join(ROOT, 'ts', 'cli')).filter((f) => f.endsWith('.ts')).sort()
    expect(emitted.length).toBeGreaterThan(0)
    expect(emitted, 'cli/ holds only what ts/cli/ compiles to (no hand-written JavaScript)').toEqual(
      sources.map((f) => f.replace(/\.ts$/, '.js')),
    )
    const tsconfig = readFileSync(path.join(ROOT, 'ts', 'tsconfig.json'), 'utf8')
    for (const f of sources) expect(tsconfig, `ts/tsconfig.json compiles ts/cli/${f}`).toContain(`"cli/${f}"`)
    const r = await tsc('-p', path.join(ROOT, '__test__', 'types', 'tsconfig.cli.json'), '--pretty', 'false')
    expect(r.out, r.out).toBe('')
    expect(r.status).toBe(0)
  }, 120_000)
})

describe('generated files do not drift', () => {
  it('index.d.ts, index.js, redis.d.ts, redis.js, lib/, cli/, binding.js and binding.d.ts are committed', async () => {
    const r = await exec('git', ['ls-files', '--error-unmatch', '--', ...GENERATED])
    expect(r.status, `not tracked by git:\n${r.out}`).toBe(0)
  })

  it('the build left them byte-identical to the committed versions', async () => {
    // `npm test` runs the build (napi build + tsc) before vitest. If the
    // committed typings or loader differ from what the build generates, the
    // working tree now differs from HEAD.
    const r = await exec('git', ['diff', '--exit-code', '--stat', '--', ...GENERATED])
    expect(
      r.status,
      `Generated files differ from the committed ones. Run \`npm run build\` and commit the result ` +
        `(never edit them by hand):\n${r.out}`,
    ).toBe(0)
  })
})
