// The per-platform npm packages as the release workflow makes them: the
// binaries laid out as GitHub's download-artifact leaves them
// (bindings-<triple>/budgetkernel.<platform>.node), `napi artifacts` moves
// each into its npm/<platform>/ package (in a copy of npm/, never the repo's),
// then every package packs, and `npm publish --dry-run` of each would publish
// exactly its binary, package.json and README.md. (That npm/ is what
// `napi create-npm-dirs` generates is checked earlier, binaries or not, by
// __test__/packaging.spec.ts.)
//
// The binaries are the ones `node scripts/cross.mjs --all` put in npm/ (the
// host's own included, built by the host toolchain as `npm run build` does).
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, TARGETS, binaryPath, declaredTargets, npmFieldsOf } from '../../scripts/cross.mjs'

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr })
    })
  })
}

interface Packed {
  name: string
  filename: string
  files: Array<{ path: string }>
}

const triples = declaredTargets()
let work = ''
let npmDir = ''

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'bk-packages-'))
  npmDir = path.join(work, 'npm')
  const artifacts = path.join(work, 'artifacts')
  for (const triple of triples) {
    const platform = TARGETS[triple]?.platform ?? triple
    // The generated package dir without any binary in it.
    mkdirSync(path.join(npmDir, platform), { recursive: true })
    for (const f of ['package.json', 'README.md']) copyFileSync(path.join(ROOT, 'npm', platform, f), path.join(npmDir, platform, f))
    const built = binaryPath(triple)
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`node scripts/cross.mjs --target ${triple}\``)
    mkdirSync(path.join(artifacts, `bindings-${triple}`), { recursive: true })
    copyFileSync(built, path.join(artifacts, `bindings-${triple}`, path.basename(built)))
  }
  cpSync(path.join(ROOT, 'package.json'), path.join(work, 'package.json'))
  const napi = path.join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  const r = await run(process.execPath, [napi, 'artifacts', '--package-json-path', 'package.json', '--npm-dir', 'npm', '--output-dir', 'artifacts'], work)
  if (r.status !== 0) throw new Error(`napi artifacts failed\n${r.stdout}\n${r.stderr}`)
}, 120_000)

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('platform packages', () => {
  for (const triple of triples) {
    const platform = TARGETS[triple]?.platform ?? triple
    const binary = path.basename(binaryPath(triple))

    it(`${platform}: napi artifacts moved the ${triple} binary in, byte for byte`, () => {
      expect(readFileSync(path.join(npmDir, platform, binary)).equals(readFileSync(binaryPath(triple)))).toBe(true)
    })

    it(`${platform}: npm pack and npm publish --dry-run list exactly the binary, package.json and README.md`, async () => {
      const dir = path.join(npmDir, platform)
      const pack = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], dir)
      expect(pack.status, pack.stderr).toBe(0)
      // The loader requires the package by name and npm picks it by os/cpu/libc.
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: string; os?: string[]; cpu?: string[]; libc?: string[] }
      expect(manifest.main).toBe(binary)
      expect({ os: manifest.os, cpu: manifest.cpu, ...(manifest.libc === undefined ? {} : { libc: manifest.libc }) }).toEqual(npmFieldsOf(platform))
      const packed = (JSON.parse(pack.stdout) as Packed[])[0] as Packed
      const expected = ['README.md', binary, 'package.json'].sort()
      expect(packed.name).toBe(`budgetkernel-${platform}`)
      expect(packed.files.map((f) => f.path).sort()).toEqual(expected)
      const publish = await run('npm', ['publish', '--dry-run', '--json', '--ignore-scripts', '--access', 'public'], dir)
      expect(publish.status, publish.stderr).toBe(0)
      const published = JSON.parse(publish.stdout) as Packed | Record<string, Packed>
      const entry = 'files' in published ? (published as Packed) : (Object.values(published)[0] as Packed)
      expect(entry.files.map((f) => f.path).sort()).toEqual(expected)
    }, 60_000)
  }
})
