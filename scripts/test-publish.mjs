#!/usr/bin/env node
// `npm run test:publish`: the registry round trip, offline. budgetkernel is
// published the way the release publishes it and installed by name the way
// users install it.
//
//   node scripts/test-publish.mjs                  x64 (npm, pnpm, yarn) and the emulated hosts
//   node scripts/test-publish.mjs --no-emulated    x64 only
//   node scripts/test-publish.mjs --report FILE    also write the counts as JSON (scripts/test.mjs)
//
// 1. A Verdaccio (scripts/registry.mjs) on 127.0.0.1 with temporary storage
//    and no uplinks; one htpasswd user, whose token the publishing npm uses.
// 2. scripts/publish.mjs, the release workflow's own publish script, against
//    it, with the binaries `node scripts/cross.mjs --all` left in npm/*/ laid
//    out as the release job's download-artifact leaves them. Every declared
//    target is published (this runs after npm test's cross step, which builds
//    them all).
// 3. Fresh projects outside the repo `npm install budgetkernel` by name (and
//    `pnpm add`, `yarn add`: pnpm and Yarn are devDependencies), and each
//    checks: exactly the matching platform package is installed, at exactly
//    the main version, which the main package pins exactly; the main entry
//    loads that package's binary; the runtimes' contract smoke
//    (scripts/runtime-smoke-contract.mjs: both entries, build, charge to
//    exhausted, the shared frozen verdicts, typed errors for bad input that
//    change nothing, budget.signal, release) passes; the CLI, through the
//    package manager's bin runner, replays every trace fixture byte for byte
//    with its exit status. In the npm projects scripts/runtime-smoke.mjs also
//    runs all of that under node, bun and deno.
// 4. `npm install --omit=optional`: no platform package; the main entry falls
//    back to the wasm engine with exactly one BUDGETKERNEL_WASM_FALLBACK
//    warning; the contract smoke and the fixtures pass on it.
// 5. The same version published again is refused by the registry, both
//    through scripts/publish.mjs and as a plain `npm publish` of the
//    published tarball.
// 6. Emulated hosts (unless --no-emulated): npm, with --os/--cpu/--libc of
//    linux-arm64-gnu and win32-x64, installs by name into fresh projects; the
//    same checks run on that platform's official Node under qemu / Wine
//    (scripts/cross-test.mjs's emulator).
// Verdaccio is stopped and every temporary directory removed at the end,
// also on failure. It ends with `publish: N passed, M failed`.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { EMULATED_NODE_VERSION, ROOT, TARGETS, binaryPath, declaredTargets, npmFieldsOf } from './cross.mjs'
import { HOSTS, emulator, runNode } from './cross-test.mjs'
import { expectedOptionalDependencies } from './publish.mjs'
import { startRegistry } from './registry.mjs'
import { runtimeSmoke } from './runtime-smoke.mjs'
import { userEnv } from './user-env.mjs'

const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const NAME = MANIFEST.name
const VERSION = MANIFEST.version
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces')
const TRACES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort()
const STATUS = JSON.parse(readFileSync(path.join(FIXTURES, 'exit-codes.json'), 'utf8'))
const PNPM = path.join(ROOT, 'node_modules', 'pnpm', JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'pnpm', 'package.json'), 'utf8')).bin.pnpm)
const YARN = path.join(ROOT, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')

/** @type {Array<{ name: string, ok: boolean }>} */
const results = []
function record(name, ok, detail) {
  results.push({ name, ok })
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === undefined ? '' : `\n     ${String(detail).trim().split('\n').join('\n     ')}`}`)
  return ok
}

function sh(command, args, { cwd, env, input }) {
  const r = spawnSync(command, args, { cwd, env, input, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 })
  return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: `${r.stderr?.toString('utf8') ?? ''}${r.error ? `\n${r.error.message}` : ''}` }
}

/**
 * Which engine the main entry chose, which .node files it loaded and which
 * process warnings it emitted, printed as one JSON line once the warnings
 * have been delivered. The API itself is checked by the runtimes' contract
 * smoke (scripts/runtime-smoke-contract.mjs), copied into each project.
 */
const PROBE = `'use strict'
const warnings = []
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code }))
const bk = require('budgetkernel')
const binaries = Object.keys(require.cache).filter((k) => k.endsWith('.node')).map((k) => k.split('\\\\').join('/'))
setImmediate(() => process.stdout.write(JSON.stringify({ engine: bk.ENGINE, binaries, warnings }) + '\\n'))
`
const CONTRACT = path.join(ROOT, 'scripts', 'runtime-smoke-contract.mjs')

function parseLine(buf) {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    return { unparsed: buf.toString('utf8') }
  }
}

/**
 * Every installed package named budgetkernel or budgetkernel-*, found by
 * their package.json under node_modules (npm and Yarn's node-modules linker
 * put them at the top, pnpm under node_modules/.pnpm/<name>@<version>/).
 * @returns {string[]} `name@version`, sorted
 */
function installedPackages(project) {
  const found = new Set()
  const walk = (dir, depth) => {
    if (depth > 6 || !existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const sub = path.join(dir, entry.name)
      if (entry.name === NAME || entry.name.startsWith(`${NAME}-`)) {
        const file = path.join(sub, 'package.json')
        if (existsSync(file)) {
          const m = JSON.parse(readFileSync(file, 'utf8'))
          if (m.name === NAME || m.name.startsWith(`${NAME}-`)) found.add(`${m.name}@${m.version}`)
        }
      }
      if (entry.name === 'node_modules' || entry.name === '.pnpm' || depth === 0 || entry.name.includes('@')) walk(sub, depth + 1)
    }
  }
  walk(path.join(project, 'node_modules'), 0)
  return [...found].sort()
}

function newProject(work, name) {
  const dir = path.join(work, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `bk-${name}`, version: '1.0.0', private: true }, null, 2)}\n`)
  for (const trace of TRACES) copyFileSync(path.join(FIXTURES, trace), path.join(dir, trace))
  writeFileSync(path.join(dir, 'probe.cjs'), PROBE)
  copyFileSync(CONTRACT, path.join(dir, 'contract.mjs'))
  return dir
}

/**
 * The checks every installed project makes. `node` runs a script in it on
 * the host's Node (or the emulated one); `bin` runs the CLI the way that
 * package manager runs a dependency's bin.
 */
function checkProject(label, project, { expectPackages, expectEngine, expectBinary, node, bin }) {
  const installed = installedPackages(project)
  record(`${label}: installed ${installed.join(', ') || '(nothing)'}`, JSON.stringify(installed) === JSON.stringify(expectPackages),
    `expected exactly ${expectPackages.join(', ')}`)
  const main = path.join(project, 'node_modules', NAME, 'package.json')
  const pins = existsSync(main) ? JSON.parse(readFileSync(main, 'utf8')).optionalDependencies : undefined
  record(`${label}: the installed ${NAME} pins every platform package at exactly ${VERSION}`, JSON.stringify(sortKeys(pins ?? {})) === JSON.stringify(sortKeys(expectedOptionalDependencies())),
    `optionalDependencies: ${JSON.stringify(pins)}`)

  const probe = node(['probe.cjs'])
  const got = parseLine(probe.stdout)
  const problems = probe.status === 0 ? [] : [`exit ${probe.status}: ${probe.stdout}${probe.stderr}`]
  if (got.engine !== expectEngine) problems.push(`engine ${got.engine}, expected ${expectEngine}`)
  const binaries = got.binaries ?? []
  if (expectBinary === undefined ? binaries.length !== 0 : binaries.length !== 1 || !binaries[0].endsWith(expectBinary)) {
    problems.push(`loaded binaries ${JSON.stringify(binaries)}, expected ${expectBinary ?? 'none'}`)
  }
  const fallbacks = (got.warnings ?? []).filter((w) => w.code === 'BUDGETKERNEL_WASM_FALLBACK').length
  if (fallbacks !== (expectEngine === 'wasm' ? 1 : 0) || (got.warnings ?? []).length !== fallbacks) {
    problems.push(`warnings ${JSON.stringify(got.warnings)}, expected ${expectEngine === 'wasm' ? 'exactly one BUDGETKERNEL_WASM_FALLBACK' : 'none'}`)
  }
  record(`${label}: require('${NAME}') runs on the ${expectEngine} engine${expectBinary ? `, loading ${expectBinary}` : ', loading no binary, with one BUDGETKERNEL_WASM_FALLBACK warning'}`, problems.length === 0, problems.join('\n'))

  // The contract smoke (both entries, required and imported): build, charge to exhausted, shared frozen verdicts,
  // typed errors for bad input that change nothing, budget.signal, release.
  const contract = node(['contract.mjs', '.'])
  const report = parseLine(contract.stdout)
  const warned = (contract.stderr.match(/BUDGETKERNEL_WASM_FALLBACK/g) ?? []).length
  const contractOk = contract.status === 0 && report.entries?.[NAME]?.engine === expectEngine && report.entries?.[`${NAME}/wasm`]?.engine === 'wasm' &&
    (expectEngine === 'wasm' ? warned === 1 : contract.stderr === '')
  record(`${label}: the contract smoke (scripts/runtime-smoke-contract.mjs) passes on ${NAME} (${expectEngine}) and ${NAME}/wasm`, contractOk,
    `exit ${contract.status}\nstdout: ${contract.stdout}\nstderr: ${contract.stderr}`)

  const bad = []
  for (const trace of TRACES) {
    const name = trace.slice(0, -'.jsonl'.length)
    const r = bin(['replay', trace])
    const expected = readFileSync(path.join(FIXTURES, `${name}.out`))
    if (!r.stdout.equals(expected) || r.status !== STATUS[name]) bad.push(`${name}: exit ${r.status} (expected ${STATUS[name]}), stdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
    const warned = (r.stderr.match(/BUDGETKERNEL_WASM_FALLBACK/g) ?? []).length
    if (warned !== (expectEngine === 'wasm' ? 1 : 0)) bad.push(`${name}: the fallback warning appeared ${warned} times on stderr:\n${r.stderr}`)
  }
  record(`${label}: replay of ${TRACES.length} fixtures through the bin is byte-identical to the .out files, with their exit statuses`, bad.length === 0, bad.join('\n'))
}

/**
 * scripts/runtime-smoke.mjs (the runtimes' contract smoke, every fixture on
 * both engines, the bin) on an installed project, under node, bun and deno.
 */
async function runtimes(label, project, engine) {
  for (const runtime of /** @type {const} */ (['node', 'bun', 'deno'])) {
    try {
      const summary = await runtimeSmoke({ runtime, projectDir: project, engine })
      record(`${label}: ${runtime} ${summary.version}: contract smoke (${summary.entries.budgetkernel?.engine} engine), ${summary.fixtures.length} fixture replays, the bin (${summary.bin})`, true)
    } catch (error) {
      record(`${label}: ${runtime}: runtime smoke (scripts/runtime-smoke.mjs) on the ${engine} engine`, false, error instanceof Error ? error.message : String(error))
    }
  }
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
}

async function main(argv) {
  const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined)
  const emulated = !argv.includes('--no-emulated')
  const started = Date.now()
  const timings = {}
  const work = mkdtempSync(path.join(tmpdir(), 'budgetkernel-registry-'))
  let registry
  try {
    // Every declared target's binary must be there: the main package names them all.
    const artifacts = path.join(work, 'artifacts')
    const missing = []
    for (const triple of declaredTargets()) {
      const built = binaryPath(triple)
      if (!existsSync(built)) {
        missing.push(triple)
        continue
      }
      mkdirSync(path.join(artifacts, `bindings-${triple}`), { recursive: true })
      copyFileSync(built, path.join(artifacts, `bindings-${triple}`, path.basename(built)))
    }
    if (!record(`every declared target's binary is built (${declaredTargets().length})`, missing.length === 0,
      `missing: ${missing.join(', ')}: run \`node scripts/cross.mjs --all\` (npm test's cross step) first`)) return finish()

    mkdirSync(path.join(work, 'verdaccio'))
    registry = await startRegistry(path.join(work, 'verdaccio'))
    const listening = registry.listening()
    record(`Verdaccio listens only on 127.0.0.1:${registry.port}: ${listening.join(', ')}`, JSON.stringify(listening) === JSON.stringify([`127.0.0.1:${registry.port}`]))
    const proxied = await registry.json('left-pad')
    // (The config scripts/registry.mjs writes has no uplinks; offline, this shows only that nothing else is served.)
    record('a package never published here is not served (left-pad: 404)', proxied === undefined, `got ${JSON.stringify(proxied)?.slice(0, 200)}`)

    // npm's config for every command here: this registry, a fresh cache, and the user's token.
    const token = await registry.addUser('bk-release', 'bk-release-password')
    const npmrc = path.join(work, 'npmrc')
    const host = registry.url.replace(/^http:/, '')
    writeFileSync(npmrc, `registry=${registry.url}\n${host}:_authToken=${token}\n`)
    const env = userEnv({ npm_config_userconfig: npmrc, npm_config_cache: path.join(work, 'npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', NO_COLOR: '1' }, { stripPathUnder: ROOT })

    let t = Date.now()
    const published = sh(process.execPath, [path.join(ROOT, 'scripts', 'publish.mjs'), '--registry', registry.url, '--artifacts', artifacts], { cwd: ROOT, env })
    timings.publish = Date.now() - t
    process.stdout.write(published.stdout)
    record(`scripts/publish.mjs published ${declaredTargets().length} platform packages and ${NAME}@${VERSION}`, published.status === 0, published.stderr)

    const meta = (await registry.json(NAME))?.versions?.[VERSION] ?? {}
    record(`the registry's ${NAME}@${VERSION} pins the platform packages exactly: ${JSON.stringify(meta.optionalDependencies)}`,
      JSON.stringify(sortKeys(meta.optionalDependencies ?? {})) === JSON.stringify(sortKeys(expectedOptionalDependencies())),
      `expected ${JSON.stringify(expectedOptionalDependencies())}`)
    for (const triple of declaredTargets()) {
      const platform = TARGETS[triple]?.platform ?? triple
      const m = (await registry.json(`${NAME}-${platform}`))?.versions?.[VERSION] ?? {}
      const { os, cpu, libc } = npmFieldsOf(platform)
      record(`the registry's ${NAME}-${platform}@${VERSION}: os ${JSON.stringify(m.os)} cpu ${JSON.stringify(m.cpu)} libc ${JSON.stringify(m.libc)}, as ${platform} says`,
        JSON.stringify([m.version, m.os, m.cpu, m.libc]) === JSON.stringify([VERSION, os, cpu, libc]), `expected os ${JSON.stringify(os)}, cpu ${JSON.stringify(cpu)}, libc ${JSON.stringify(libc)}`)
    }

    // x64, natively: npm, pnpm, Yarn.
    const native = `node_modules/${NAME}-linux-x64-gnu/budgetkernel.linux-x64-gnu.node`
    const hostNode = (project) => (args) => sh(process.execPath, args, { cwd: project, env })
    const matching = [`${NAME}-linux-x64-gnu@${VERSION}`, `${NAME}@${VERSION}`]

    t = Date.now()
    const npmProject = newProject(work, 'npm')
    const npmInstall = sh('npm', ['install', `${NAME}`, '--no-package-lock'], { cwd: npmProject, env })
    if (record(`npm install ${NAME} (by name, from the registry)`, npmInstall.status === 0, npmInstall.stderr)) {
      checkProject('x64 npm', npmProject, {
        expectPackages: matching, expectEngine: 'native', expectBinary: native, node: hostNode(npmProject),
        bin: (args) => sh('npx', ['--no', NAME, ...args], { cwd: npmProject, env }),
      })
      await runtimes('x64 npm', npmProject, 'native')
    }
    timings.npm = Date.now() - t

    t = Date.now()
    const pnpmProject = newProject(work, 'pnpm')
    // pnpm keeps its store, metadata cache and state under the XDG directories: temporary ones here.
    const xdg = Object.fromEntries(['DATA', 'CACHE', 'STATE', 'CONFIG'].map((d) => [`XDG_${d}_HOME`, path.join(work, 'xdg', d.toLowerCase())]))
    const pnpmEnv = { ...env, ...xdg }
    const pnpm = (args) => sh(process.execPath, [PNPM, ...args], { cwd: pnpmProject, env: pnpmEnv })
    const pnpmInstall = pnpm(['add', NAME, '--registry', registry.url])
    if (record(`pnpm ${pnpm(['--version']).stdout.toString().trim()} add ${NAME}`, pnpmInstall.status === 0, `${pnpmInstall.stdout}${pnpmInstall.stderr}`)) {
      checkProject('x64 pnpm', pnpmProject, {
        expectPackages: matching, expectEngine: 'native', expectBinary: native.replace('node_modules/', ''), node: hostNode(pnpmProject),
        bin: (args) => pnpm(['exec', NAME, ...args]),
      })
    }
    timings.pnpm = Date.now() - t

    t = Date.now()
    const yarnProject = newProject(work, 'yarn')
    writeFileSync(path.join(yarnProject, '.yarnrc.yml'), [
      `npmRegistryServer: "${registry.url.replace(/\/$/, '')}"`, 'unsafeHttpWhitelist: ["127.0.0.1"]', 'nodeLinker: node-modules',
      // Yarn quarantines versions younger than its age gate; this one was published seconds ago.
      'npmMinimalAgeGate: 0', 'enableTelemetry: false', 'enableGlobalCache: false', `cacheFolder: "${path.join(work, 'yarn-cache')}"`,
      // Its metadata cache too (by default ~/.yarn/berry, where a packument of an earlier run's registry would be reused).
      `globalFolder: "${path.join(work, 'yarn-global')}"`, '',
    ].join('\n'))
    writeFileSync(path.join(yarnProject, 'yarn.lock'), '')
    const yarnEnv = { ...env, YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', YARN_ENABLE_PROGRESS_BARS: 'false' }
    const yarn = (args) => sh(process.execPath, [YARN, ...args], { cwd: yarnProject, env: yarnEnv })
    const yarnInstall = yarn(['add', NAME])
    if (record(`yarn ${yarn(['--version']).stdout.toString().trim()} add ${NAME} (node-modules linker)`, yarnInstall.status === 0, `${yarnInstall.stdout}${yarnInstall.stderr}`)) {
      checkProject('x64 yarn', yarnProject, {
        expectPackages: matching, expectEngine: 'native', expectBinary: native, node: hostNode(yarnProject),
        bin: (args) => yarn(['run', NAME, ...args]),
      })
    }
    timings.yarn = Date.now() - t

    t = Date.now()
    const omitProject = newProject(work, 'omit-optional')
    const omitInstall = sh('npm', ['install', NAME, '--omit=optional', '--no-package-lock'], { cwd: omitProject, env })
    if (record(`npm install ${NAME} --omit=optional`, omitInstall.status === 0, omitInstall.stderr)) {
      checkProject('x64 npm --omit=optional', omitProject, {
        expectPackages: [`${NAME}@${VERSION}`], expectEngine: 'wasm', expectBinary: undefined, node: hostNode(omitProject),
        bin: (args) => sh('npx', ['--no', NAME, ...args], { cwd: omitProject, env }),
      })
      await runtimes('x64 npm --omit=optional', omitProject, 'wasm')
    }
    timings.omitOptional = Date.now() - t

    // A version in the registry cannot be published again.
    t = Date.now()
    const again = sh(process.execPath, [path.join(ROOT, 'scripts', 'publish.mjs'), '--registry', registry.url, '--artifacts', artifacts], { cwd: ROOT, env })
    const refusal = (r) => r.stderr.split('\n').find((l) => /E409|EPUBLISHCONFLICT|cannot publish over|already present/i.test(l))?.trim()
    const againWhy = refusal(again)
    record(`republishing ${VERSION} through scripts/publish.mjs is refused by the registry: ${againWhy ?? '(no refusal)'}`, again.status !== 0 && againWhy !== undefined,
      `exit ${again.status}\n${again.stderr}`)
    const tarballs = path.join(work, 'republish')
    mkdirSync(tarballs)
    const fetched = sh('npm', ['pack', `${NAME}@${VERSION}`, '--json', '--pack-destination', tarballs], { cwd: tarballs, env })
    const tarball = fetched.status === 0 ? path.join(tarballs, JSON.parse(fetched.stdout.toString('utf8'))[0].filename) : ''
    const direct = sh('npm', ['publish', tarball, '--ignore-scripts'], { cwd: tarballs, env })
    const directWhy = refusal(direct)
    record(`npm publish of the published ${NAME}@${VERSION} tarball again is refused by the registry: ${directWhy ?? '(no refusal)'}`, fetched.status === 0 && direct.status !== 0 && directWhy !== undefined,
      `${fetched.stderr}\nexit ${direct.status}\n${direct.stderr}`)
    const after = (await registry.json(NAME))?.versions?.[VERSION]?.dist?.shasum
    record(`${NAME}@${VERSION} in the registry is still the first publish (shasum ${after})`, after !== undefined && after === meta.dist?.shasum, `before ${meta.dist?.shasum}`)
    timings.republish = Date.now() - t

    // Emulated hosts: npm installs for that platform, the platform's own Node runs.
    if (emulated) {
      for (const [triple, flags] of [['aarch64-unknown-linux-gnu', ['--os=linux', '--cpu=arm64', '--libc=glibc']], ['x86_64-pc-windows-msvc', ['--os=win32', '--cpu=x64']]]) {
        t = Date.now()
        const host = TARGETS[triple]?.runner
        const platform = TARGETS[triple]?.platform ?? triple
        const label = `${platform} (${host === 'qemu' ? 'qemu' : 'Wine'}, Node ${EMULATED_NODE_VERSION} ${HOSTS[host].nodePackage}) npm`
        const project = newProject(work, `emulated-${platform}`)
        const inst = sh('npm', ['install', NAME, ...flags, '--no-package-lock'], { cwd: project, env })
        if (record(`npm install ${NAME} ${flags.join(' ')} (by name, from the registry)`, inst.status === 0, inst.stderr)) {
          const emu = emulator(host)
          const run = (args) => runNode(emu, args, { cwd: project })
          checkProject(label, project, {
            expectPackages: [`${NAME}-${platform}@${VERSION}`, `${NAME}@${VERSION}`], expectEngine: 'native',
            expectBinary: `node_modules/${NAME}-${platform}/budgetkernel.${platform}.node`, node: run,
            // npx starts bins through a .cmd shim under Wine whose output never arrives (scripts/cross-test.mjs), so
            // on every emulated host the bin's script runs directly, as the shim would.
            bin: (args) => run([`node_modules/${NAME}/cli/budgetkernel.js`, ...args]),
          })
        }
        timings[platform] = Date.now() - t
      }
    }
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? `\ncause: ${error.cause instanceof Error ? error.cause.message : String(error.cause)}` : ''
    record('registry round trip ran to the end', false, `${error instanceof Error ? error.stack : String(error)}${cause}\nVerdaccio's log:\n${registry?.log() ?? ''}`)
  } finally {
    if (registry !== undefined) await registry.stop()
    rmSync(work, { recursive: true, force: true })
  }
  return finish()

  function finish() {
    const passed = results.filter((r) => r.ok).length
    const failed = results.length - passed
    const seconds = (Date.now() - started) / 1000
    const out = value('--report')
    if (out !== undefined) writeFileSync(out, JSON.stringify({ passed, failed, seconds, timings }))
    console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}`)
    console.log(`publish: ${passed} passed, ${failed} failed (${seconds.toFixed(0)} s)`)
    return failed === 0 ? 0 : 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error) => {
      console.error(error instanceof Error ? error.stack : error)
      process.exitCode = 1
    },
  )
}
