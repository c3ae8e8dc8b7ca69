// The installed package under node, bun and deno (scripts/runtime-smoke.mjs):
// `npm pack` the root package and this platform's package (a temporary copy
// of npm/<platform> with the built binary added, as packaging.spec does),
// install both offline into a fresh project under the OS temp dir, and run
// the contract smoke, the replay fixtures and the bin under each runtime.
// bun and deno are exact-pinned devDependencies. Then the smoke is shown to
// fail, with the check named, on installs broken on purpose (a CLI whose
// output differs, a facade whose signal never aborts).
//
// The runtimes choose their own engines (the default one and --engine wasm),
// so npm test's wasm pass excludes this file.

import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NATIVE, PLATFORM } from './platform.js'
import { runtimeSmoke as smoke } from '../scripts/runtime-smoke.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TRACES = readdirSync(path.join(ROOT, '__test__', 'fixtures', 'traces'))
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.replace(/\.jsonl$/, ''))
  .sort()

function npm(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('npm', args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err === null) resolve()
      else reject(new Error(`npm ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`))
    })
  })
}

let work = ''
let project = ''
/** The root tarball alone (no platform package, as with --omit=optional): the wasm fallback. */
let bare = ''

beforeAll(async () => {
  for (const f of ['index.js', 'wasm.js', 'budgetkernel.wasm', 'cli/budgetkernel.js', NATIVE]) {
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`)
  }
  work = mkdtempSync(path.join(tmpdir(), 'bk-runtimes-'))
  const tarballs = path.join(work, 'tarballs')
  mkdirSync(tarballs)
  await npm(['pack', '--ignore-scripts', '--pack-destination', tarballs], ROOT)
  const platform = path.join(work, PLATFORM)
  cpSync(path.join(ROOT, 'npm', PLATFORM), platform, { recursive: true })
  copyFileSync(path.join(ROOT, NATIVE), path.join(platform, NATIVE))
  await npm(['pack', '--ignore-scripts', '--pack-destination', tarballs], platform)
  project = path.join(work, 'project')
  mkdirSync(project)
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bk-runtimes', version: '1.0.0', private: true }, null, 2))
  const packed = readdirSync(tarballs).map((f) => path.join(tarballs, f))
  expect(packed).toHaveLength(2)
  await npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...packed], project)
  bare = path.join(work, 'bare')
  mkdirSync(bare)
  writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'bk-runtimes-bare', version: '1.0.0', private: true }, null, 2))
  const root = packed.filter((f) => path.basename(f).startsWith('budgetkernel-0'))
  expect(root).toHaveLength(1)
  await npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...root], bare)
}, 180_000)

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe.each(['node', 'bun', 'deno'] as const)('runtimeSmoke under %s', (runtime) => {
  it('loads the native addon and the wasm entry, holds the contract, replays every fixture on both engines, runs the bin', async () => {
    const summary = await smoke({ runtime, projectDir: project })
    expect(summary.runtime).toBe(runtime)
    expect(summary.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(summary.nativeAddon).toBe(true)
    expect(summary.entries.budgetkernel?.engine).toBe('native')
    expect(summary.entries['budgetkernel/wasm']?.engine).toBe('wasm')
    expect(summary.fixtures.map((f) => `${f.trace}/${f.engine}`).sort()).toEqual(TRACES.flatMap((t) => [`${t}/default`, `${t}/wasm`]).sort())
    // Node 20's parser has no `using`; bun 1.4 and deno 2.9 do.
    for (const entry of Object.values(summary.entries)) {
      expect(entry.using).toBe(runtime === 'node' ? 'syntax not supported' : 'releases at block end')
    }
  }, 120_000)
})

describe.each(['node', 'bun', 'deno'] as const)('runtimeSmoke under %s without a platform package', (runtime) => {
  it('falls back to the wasm engine with its one warning, and holds the same contract and fixtures', async () => {
    const summary = await smoke({ runtime, projectDir: bare, engine: 'wasm' })
    expect(summary.nativeAddon).toBe(false)
    expect(summary.entries.budgetkernel?.engine).toBe('wasm')
    expect(summary.fixtures).toHaveLength(2 * TRACES.length)
  }, 120_000)
})

describe('runtimeSmoke fails on a broken install, naming the check', () => {
  /** A copy of the installed project with `file` (under budgetkernel/) edited. */
  function broken(name: string, file: string, from: string, to: string): string {
    const copy = path.join(work, name)
    cpSync(project, copy, { recursive: true })
    const target = path.join(copy, 'node_modules', 'budgetkernel', file)
    const source = readFileSync(target, 'utf8')
    expect(source).toContain(from)
    writeFileSync(target, source.replace(from, to))
    return copy
  }

  it('a CLI whose output differs from a fixture', async () => {
    const dir = broken('bad-cli', 'cli/replay.js', "'verdict'", "'verdikt'")
    await expect(smoke({ runtime: 'node', projectDir: dir })).rejects.toThrow(/replay of \S+\.jsonl \(default engine\) under node: stdout differs/)
  }, 60_000)

  it('an install without the platform package, where the native addon was expected', async () => {
    await expect(smoke({ runtime: 'deno', projectDir: bare })).rejects.toThrow(/budgetkernel selected the wasm engine under deno, expected native/)
  }, 60_000)

  it('a facade whose signal never aborts', async () => {
    const dir = broken('bad-signal', 'lib/signal.js', 'this.#controller?.abort(', 'void (')
    await expect(smoke({ runtime: 'bun', projectDir: dir })).rejects.toThrow(/contract smoke failed under bun[\s\S]*the signal aborted during the exhausting charge/)
  }, 60_000)
})
