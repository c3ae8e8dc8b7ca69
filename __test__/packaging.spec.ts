// The package as a user installs it. `npm pack` the root package and the
// current platform's package (from a temporary copy of npm/<platform> with
// the built .node file added, never writing into the repo), install both
// tarballs offline into a fresh project under the OS temp dir (no access to
// this repo's node_modules), then use it the four ways a user does:
// require(), import, `npx budgetkernel replay`, and tsc against the installed
// typings.

import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userEnv } from '../scripts/user-env.mjs'
import { declaredTargets, npmFieldsOf, platformOf } from '../scripts/cross.mjs'
import { NATIVE, PLATFORM, PLATFORM_PACKAGE } from './platform.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PLATFORM_DIR = path.join(ROOT, 'npm', PLATFORM)
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces')

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs `cmd` as a user would (scripts/user-env.mjs), with `env` on top. */
function exec(cmd: string, args: readonly string[], cwd: string, input?: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd, env: userEnv(env, { stripPathUnder: ROOT }), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

const npm = (args: readonly string[], cwd: string) => exec('npm', args, cwd)
const node = (args: readonly string[], cwd: string, input?: string, env?: NodeJS.ProcessEnv) => exec(process.execPath, args, cwd, input, env)

function must(r: Result, what: string): Result {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}

interface Packed {
  filename: string
  files: Array<{ path: string }>
}

let work = ''
let project = ''
let tarballs = ''
let rootPack: Packed
let platformPack: Packed

beforeAll(async () => {
  for (const f of ['index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', NATIVE]) {
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`)
  }
  work = mkdtempSync(path.join(tmpdir(), 'bk-packaging-'))
  tarballs = path.join(work, 'tarballs')
  mkdirSync(tarballs)

  // The root package as published: only what `files` lists, scripts not run.
  const root = must(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs], ROOT), 'npm pack (root)')
  rootPack = (JSON.parse(root.stdout) as Packed[])[0] as Packed

  // The platform package, as `napi artifacts` would fill it: a copy of the
  // generated npm/<platform> with the built binary moved in.
  const platform = path.join(work, PLATFORM)
  cpSync(PLATFORM_DIR, platform, { recursive: true })
  copyFileSync(path.join(ROOT, NATIVE), path.join(platform, NATIVE))
  const plat = must(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs], platform), `npm pack (${PLATFORM})`)
  platformPack = (JSON.parse(plat.stdout) as Packed[])[0] as Packed

  // A fresh project, outside the repo, that installs both tarballs offline.
  // The published root package names the platform packages in
  // optionalDependencies (written by `napi prepublish` at publish time); here
  // the current platform's one is installed alongside explicitly, as npm would
  // pick it from those optional dependencies on this platform.
  project = path.join(work, 'project')
  mkdirSync(project)
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bk-consumer', version: '1.0.0', private: true }, null, 2))
  must(
    await npm(
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        path.join(tarballs, rootPack.filename),
        path.join(tarballs, platformPack.filename),
      ],
      project,
    ),
    'npm install of the tarballs',
  )
}, 180_000)

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('npm/: the platform packages as napi create-npm-dirs generates them', () => {
  // No binaries needed: the earliest check of what npm will match each platform package by.
  it('one directory per declared target, package.json and README.md exactly as generated, and os/cpu/libc as each name says', async () => {
    const fresh = path.join(work, 'generated')
    mkdirSync(fresh)
    copyFileSync(path.join(ROOT, 'package.json'), path.join(fresh, 'package.json'))
    const napi = path.join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
    must(await node([napi, 'create-npm-dirs', '--package-json-path', 'package.json', '--npm-dir', 'npm'], fresh), 'napi create-npm-dirs')
    const committed = readdirSync(path.join(ROOT, 'npm')).sort()
    expect(committed).toEqual(readdirSync(path.join(fresh, 'npm')).sort())
    expect(committed).toEqual(declaredTargets().map(platformOf).sort())
    for (const dir of committed) {
      for (const f of ['package.json', 'README.md']) {
        expect(readFileSync(path.join(ROOT, 'npm', dir, f), 'utf8'), `npm/${dir}/${f}`).toBe(readFileSync(path.join(fresh, 'npm', dir, f), 'utf8'))
      }
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'npm', dir, 'package.json'), 'utf8')) as { name: string; os?: string[]; cpu?: string[]; libc?: string[] }
      expect(manifest.name).toBe(`budgetkernel-${dir}`)
      expect({ os: manifest.os, cpu: manifest.cpu, ...(manifest.libc === undefined ? {} : { libc: manifest.libc }) }, `npm/${dir}/package.json`).toEqual(npmFieldsOf(dir))
    }
  }, 60_000)
})

describe('npm pack', () => {
  it('the root tarball holds the built JS, typings and CLI, and no native binary or sources', () => {
    const files = rootPack.files.map((f) => f.path).sort()
    for (const f of ['package.json', 'index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', 'cli/budgetkernel.js', 'cli/replay.js', 'cli/pretty.js', 'cli/engine.js']) {
      expect(files, f).toContain(f)
    }
    expect(files.filter((f) => f.endsWith('.node') || f.startsWith('ts/') || f.startsWith('__test__/') || f.startsWith('crates/'))).toEqual([])
  })

  it('the platform tarball holds the native binary it names as main', () => {
    const files = platformPack.files.map((f) => f.path).sort()
    expect(files).toContain(NATIVE)
    expect(files).toContain('package.json')
    const manifest = JSON.parse(readFileSync(path.join(PLATFORM_DIR, 'package.json'), 'utf8')) as { main: string; name: string }
    expect(manifest.main).toBe(NATIVE)
    expect(manifest.name).toBe(PLATFORM_PACKAGE)
  })

  it('installs the built files, byte for byte', () => {
    for (const f of ['index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', 'cli/budgetkernel.js', 'cli/replay.js', 'cli/engine.js']) {
      const installed = readFileSync(path.join(project, 'node_modules', 'budgetkernel', f))
      expect(installed.equals(readFileSync(path.join(ROOT, f))), f).toBe(true)
    }
    const binary = readFileSync(path.join(project, 'node_modules', PLATFORM_PACKAGE, NATIVE))
    expect(binary.equals(readFileSync(path.join(ROOT, NATIVE)))).toBe(true)
  })
})

describe('the installed package', () => {
  it("require('budgetkernel') resolves inside the project and works", async () => {
    const script = `
      const bk = require('budgetkernel');
      const b = bk.Budget.builder().limitWithWarn('tokens', 10, 5).limit('calls', 2n).build();
      const out = {
        resolved: require.resolve('budgetkernel'),
        platform: require.resolve(${JSON.stringify(PLATFORM_PACKAGE)}),
        dims: bk.DIMS,
        max: bk.MAX_DIMS,
        v: [b.charge('tokens', 5), b.charge('tokens', 1), b.charge('tokens', 4n), b.charge('tokens', 1)],
        many: b.chargeMany([['calls', 1], ['calls', 1]]),
        spent: String(b.spent('tokens')),
        remaining: String(b.remaining('calls')),
        undeclared: b.spent('bytes'),
      };
      let err;
      try { b.charge('bytes', 1) } catch (e) { err = { builder: e instanceof bk.BuilderError, charge: e instanceof bk.ChargeError, code: e.code, dim: e.dim } }
      out.err = err;
      console.log(JSON.stringify(out));
    `
    const r = must(await node(['-e', script], project), 'require')
    const out = JSON.parse(r.stdout) as Record<string, unknown>
    expect(out.resolved).toBe(path.join(project, 'node_modules', 'budgetkernel', 'index.js'))
    expect(out.platform).toBe(path.join(project, 'node_modules', PLATFORM_PACKAGE, NATIVE))
    expect(out.dims).toEqual(['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2'])
    expect(out.max).toBe(8)
    // tokens limit 10 warn 5: spent 5 (not > 5), 6 (> 5), 10 (not > 10), 11 (> 10).
    expect(out.v).toEqual([{ kind: 'continue' }, { kind: 'warn', dim: 'tokens' }, { kind: 'warn', dim: 'tokens' }, { kind: 'exhausted', dim: 'tokens' }])
    // calls limit 2: 1 then 2, neither above the limit.
    expect(out.many).toEqual({ kind: 'continue' })
    expect(out.spent).toBe('11')
    expect(out.remaining).toBe('0')
    expect(out.undeclared).toBeUndefined()
    expect(out.err).toEqual({ builder: false, charge: true, code: 'UNKNOWN_DIMENSION', dim: 'bytes' })
  }, 60_000)

  it("import { ... } from 'budgetkernel' works from ESM with named exports", async () => {
    writeFileSync(
      path.join(project, 'esm.mjs'),
      `
      import { Budget, DIMS, MAX_DIMS, worst, isContinuing, isExhausted, BudgetError, BuilderError, ChargeError } from 'budgetkernel';
      import * as ns from 'budgetkernel';
      import { Budget as WasmBudget, ENGINE as WASM_ENGINE, worst as wasmWorst } from 'budgetkernel/wasm';
      const b = Budget.builder().limit('millis', 100).build();
      const w = WasmBudget.builder().limit('millis', 100).build();
      const v = b.charge('millis', 101);
      let code;
      try { Budget.builder().limit('tokens', 0).build() } catch (e) { code = [e instanceof BuilderError, e instanceof BudgetError, e.code, e.dim] }
      console.log(JSON.stringify({
        kinds: [typeof Budget, typeof worst, typeof ChargeError, Array.isArray(DIMS), MAX_DIMS],
        v, worst: worst({ kind: 'continue' }, v), cont: isContinuing(v), exh: isExhausted(v), code,
        same: ns.Budget === Budget,
        wasm: [WASM_ENGINE, w.charge('millis', 101) === v, wasmWorst === worst, w instanceof Budget],
      }));
      `,
    )
    const r = must(await node(['esm.mjs'], project), 'import')
    expect(JSON.parse(r.stdout)).toEqual({
      kinds: ['function', 'function', 'function', true, 8],
      v: { kind: 'exhausted', dim: 'millis' },
      worst: { kind: 'exhausted', dim: 'millis' },
      cont: false,
      exh: true,
      code: [true, true, 'ZERO_LIMIT', 'tokens'],
      same: true,
      // budgetkernel/wasm by import: its engine, the shared verdict objects and helpers, its own Budget class.
      wasm: ['wasm', true, true, false],
    })
  }, 60_000)

  it('npx budgetkernel replay prints the expected JSON lines (file and stdin)', async () => {
    copyFileSync(path.join(FIXTURES, 'basics.jsonl'), path.join(project, 'trace.jsonl'))
    const expected = readFileSync(path.join(FIXTURES, 'basics.out'), 'utf8')
    const fromFile = await exec('npx', ['--offline', '--no', 'budgetkernel', 'replay', 'trace.jsonl'], project)
    expect(fromFile.stderr).toBe('')
    expect(fromFile.stdout).toBe(expected)
    expect(fromFile.status).toBe(0)
    const invalid = readFileSync(path.join(FIXTURES, 'invalid-lines.jsonl'), 'utf8')
    const fromStdin = await exec('npx', ['--offline', '--no', 'budgetkernel', 'replay', '-'], project, invalid)
    expect(fromStdin.stdout).toBe(readFileSync(path.join(FIXTURES, 'invalid-lines.out'), 'utf8'))
    expect(fromStdin.status).toBe(1)
  }, 60_000)

  it('a TypeScript file type-checks against the installed typings (CJS and ESM), and wrong calls do not', async () => {
    writeFileSync(
      path.join(project, 'check.ts'),
      `
      import { Budget, DIMS, worst, type Dim, type Verdict } from 'budgetkernel'
      const b: Budget = Budget.builder().limit('tokens', 10).build()
      const v: Verdict = worst(b.charge('tokens', 1), b.chargeMany({ tokens: 2n }))
      const d: Dim | undefined = v.kind === 'continue' ? DIMS[0] : v.dim
      const s: bigint | undefined = b.spent('tokens')
      // @ts-expect-error not a dimension
      b.charge('tokenz', 1)
      // @ts-expect-error a string amount
      b.charge('tokens', '1')
      export { d, s }
      `,
    )
    writeFileSync(
      path.join(project, 'check-esm.mts'),
      `
      import { Budget, type Verdict } from 'budgetkernel'
      import { Budget as WasmBudget, CapacityError, ENGINE, type EngineName } from 'budgetkernel/wasm'
      const v: Verdict = Budget.builder().limit('calls', 1).build().charge('calls', 1)
      // @ts-expect-error a continue verdict has no dimension
      if (v.kind === 'continue') console.log(v.dim)
      const w: Verdict = WasmBudget.builder().limit('calls', 1).build().charge('calls', 2n)
      const engine: EngineName = ENGINE
      const code: 'TABLE_FULL' = new CapacityError().code
      // @ts-expect-error not a dimension, on the wasm entry's typings too
      WasmBudget.builder().limit('callz', 1)
      export { v, w, engine, code }
      `,
    )
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false },
        files: ['check.ts', 'check-esm.mts'],
      }),
    )
    const ok = await node([TSC, '-p', path.join(project, 'tsconfig.json'), '--pretty', 'false'], project)
    expect(ok.stdout + ok.stderr).toBe('')
    expect(ok.status).toBe(0)
    // The same setup fails on an unmarked wrong call: the typings are really in use.
    writeFileSync(path.join(project, 'check-esm.mts'), `import { Budget } from 'budgetkernel'\nBudget.builder().limit('tokens', '5')\n`)
    const bad = await node([TSC, '-p', path.join(project, 'tsconfig.json'), '--pretty', 'false'], project)
    expect(bad.status).not.toBe(0)
    expect(bad.stdout).toMatch(/check-esm\.mts\(2,\d+\): error TS2345/)
  }, 120_000)

  it("budgetkernel/redis: require, import and typings work from the installed package, sharing the facade's verdicts and errors", async () => {
    const files = rootPack.files.map((f) => f.path)
    for (const f of ['redis.js', 'redis.d.ts', 'lib/redis/store.js', 'lib/redis/store.d.ts', 'lib/redis/scripts.js', 'lib/redis/client.js', 'cli/replay-redis.js']) {
      expect(files, f).toContain(f)
    }
    // A stand-in for an ioredis client whose script answers "continue" (0)
    // then "exhausted on entry 0" (2), and whose server is on noeviction
    // (the store's first-use check): no Redis needed to check the wiring.
    const fake = `{ replies: [0, 2], evalsha() { return Promise.resolve(this.replies.shift()) }, eval() {}, defineCommand() {}, call() { return Promise.resolve(['maxmemory-policy', 'noeviction']) } }`
    writeFileSync(
      path.join(project, 'redis-cjs.cjs'),
      `
      const { RedisBudgets, StoreError, BudgetError } = require('budgetkernel/redis');
      const { Budget } = require('budgetkernel');
      const store = new RedisBudgets(${fake});
      const b = Budget.builder().limit('calls', 1).build();
      (async () => {
        const a = await store.charge('k', 'calls', 1);
        const z = await store.charge('k', 'calls', 1);
        console.log(JSON.stringify({ same: [a === b.charge('calls', 1), z === b.charge('calls', 1)], err: new StoreError('NO_BUDGET', 'm') instanceof BudgetError }));
      })();
      `,
    )
    const cjs = must(await node(['redis-cjs.cjs'], project), 'require budgetkernel/redis')
    expect(JSON.parse(cjs.stdout)).toEqual({ same: [true, true], err: true })
    writeFileSync(
      path.join(project, 'redis-esm.mjs'),
      `
      import { RedisBudgets, StoreError } from 'budgetkernel/redis';
      import { BudgetError } from 'budgetkernel';
      const store = new RedisBudgets(${fake});
      console.log(JSON.stringify({ v: await store.chargeMany('k', { calls: 1 }), err: new StoreError('STORE_UNAVAILABLE', 'm') instanceof BudgetError }));
      `,
    )
    const esm = must(await node(['redis-esm.mjs'], project), 'import budgetkernel/redis')
    expect(JSON.parse(esm.stdout)).toEqual({ v: { kind: 'continue' }, err: true })
    writeFileSync(
      path.join(project, 'check-redis.ts'),
      `
      import { RedisBudgets, StoreError, type RedisClientLike, type Verdict, type StoreErrorCode } from 'budgetkernel/redis'
      declare const client: RedisClientLike
      const store = new RedisBudgets(client, { prefix: 'bk', timeoutMs: 1000, requestTtlMs: 600_000 })
      export async function f(): Promise<Verdict> {
        const s: bigint | undefined = await store.spent('k', 'tokens')
        const code: StoreErrorCode = new StoreError('NO_BUDGET', String(s)).code
        // @ts-expect-error not a dimension
        await store.charge('k', 'tokenz', 1)
        // @ts-expect-error a string amount
        await store.charge('k', 'tokens', '1')
        // @ts-expect-error requestId is a string
        await store.charge('k', 'tokens', 1, { requestId: 5 })
        return store.chargeMany(code, { tokens: 1n }, { requestId: 'r', createWith: [{ dim: 'tokens', limit: 10, warn: 5 }], ttlMs: 1000 })
      }
      `,
    )
    writeFileSync(
      path.join(project, 'tsconfig.redis.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], skipLibCheck: false },
        files: ['check-redis.ts'],
      }),
    )
    const typed = await node([TSC, '-p', path.join(project, 'tsconfig.redis.json'), '--pretty', 'false'], project)
    expect(typed.stdout + typed.stderr).toBe('')
    expect(typed.status).toBe(0)
  }, 120_000)

  it('without its platform package: forced native fails with one clear error (platform, libc, package, how to build) and the CLI exits 70; unforced, the wasm engine takes over with one warning', async () => {
    // A user who installed with --omit=optional, or on a platform with no
    // prebuilt binary: only the root tarball.
    const bare = path.join(work, 'bare-project')
    mkdirSync(bare)
    writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'bk-bare', version: '1.0.0', private: true }))
    must(
      await npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', path.join(tarballs, rootPack.filename)], bare),
      'npm install of the root tarball alone',
    )
    expect(existsSync(path.join(bare, 'node_modules', PLATFORM_PACKAGE))).toBe(false)
    const native = { BUDGETKERNEL_ENGINE: 'native' }
    const r = await node(['-e', "try { require('budgetkernel'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ message: String(e.message) })) }"], bare, undefined, native)
    expect(r.status, r.stderr).toBe(0)
    const { message } = JSON.parse(r.stdout) as { message: string }
    expect(message).toContain(process.platform)
    expect(message).toContain(process.arch)
    if (PLATFORM.endsWith('-gnu')) expect(message).toContain('glibc')
    if (PLATFORM.endsWith('-musl')) expect(message).toContain('musl')
    expect(message).toContain(PLATFORM_PACKAGE)
    expect(message).toMatch(/build from source/i)
    expect(message).not.toMatch(/Cannot find module/)
    const cli = await exec('npx', ['--offline', '--no', 'budgetkernel', 'replay', '-'], bare, '{"op":"reset"}\n', native)
    expect(cli.status).toBe(70)
    expect(cli.stdout).toBe('')
    expect(cli.stderr).toContain(PLATFORM_PACKAGE)

    // Not forced (what a user gets): the same package runs on wasm, and
    // says so once, naming the package that would make it native.
    const probe = "const bk = require('budgetkernel'); const b = bk.Budget.builder().limit('calls', 2).build(); b.charge('calls', 2); console.log(b.charge('calls', 1).kind, bk.ENGINE)"
    const fallback = await node(['-e', probe], bare)
    expect(fallback.status, fallback.stderr).toBe(0)
    expect(fallback.stdout).toBe('exhausted wasm\n')
    expect(fallback.stderr.match(/BUDGETKERNEL_WASM_FALLBACK/g)?.length, fallback.stderr).toBe(1)
    expect(fallback.stderr, fallback.stderr).toContain(PLATFORM_PACKAGE)
    const replayed = await exec('npx', ['--offline', '--no', 'budgetkernel', 'replay', '-'], bare, '{"op":"build","limits":[{"dim":"calls","limit":1}]}\n{"op":"charge","dim":"calls","amount":2}\n')
    expect(replayed.status, replayed.stderr).toBe(0)
    expect(replayed.stdout).toContain('exhausted')
  }, 60_000)
})
