#!/usr/bin/env node
// Publishes budgetkernel: every platform package, then the main package
// whose optionalDependencies pin them at exactly its own version. The one
// publish sequence: .github/workflows/release.yml runs it against npmjs.org,
// scripts/test-publish.mjs (npm run test:publish) against a Verdaccio on
// loopback.
//
//   node scripts/publish.mjs --registry URL --artifacts DIR [--provenance]
//
// --artifacts DIR holds the built binaries, anywhere below it (the release
// job's download-artifact leaves bindings-<triple>/budgetkernel.<platform>.node).
// Authentication is npm's own (.npmrc or npm_config_userconfig, trusted
// publishing in CI); the registry is passed to every npm that runs here as
// npm_config_registry. A version with a prerelease part (0.3.0-rc.1) is
// published under the dist-tag `next`, any other under `latest`.
//
// Steps, in a staging copy (the checkout is never written to):
//   1. the main package exactly as `npm pack` packs it (refused if a file
//      that package.json `files` names is missing, e.g. an unbuilt
//      budgetkernel.wasm), and the committed npm/<platform>/ directories
//      (packages.cross.ts proves they are what `napi create-npm-dirs` makes);
//   2. `napi artifacts`: each binary into its npm/<platform>/ package;
//   3. `napi pre-publish --tag-style npm --no-gh-release`: sets every platform
//      package's version to the main one, writes the exact-version
//      optionalDependencies into the main package.json, and runs
//      `npm publish` in each platform package (no GitHub release: nothing
//      downloads binaries from one);
//   4. checks that optionalDependencies name every declared target at
//      exactly the main version, then `npm publish` of the main package.
// A version already in the registry is refused by the registry, and this
// script then fails (exit 1) with npm's error.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { TARGETS, declaredTargets } from './cross.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const NAPI = path.join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')

/** The platform packages' names and the version they must be pinned at, from package.json. */
export function expectedOptionalDependencies() {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  return Object.fromEntries(declaredTargets().map((t) => [`${manifest.name}-${TARGETS[t]?.platform ?? t}`, manifest.version]))
}

function run(command, args, { cwd, env, quiet = false }) {
  console.log(`publish: ${path.basename(command)} ${args.map((a) => (a === NAPI ? 'napi' : a)).join(' ')}  (in ${cwd})`)
  const r = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.stdout && !quiet) process.stdout.write(r.stdout)
  if (r.stderr) process.stderr.write(r.stderr)
  if (r.status !== 0) {
    const error = new Error(`publish: ${args.map((a) => (a === NAPI ? 'napi' : a)).join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`)
    throw Object.assign(error, { stderr: r.stderr ?? '' })
  }
  return r
}

/**
 * Every file package.json `files` names literally (not a glob) must exist,
 * or npm would pack the package without it.
 */
function checkFiles() {
  const { files } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const missing = files.filter((f) => !f.includes('*') && !existsSync(path.join(ROOT, f)))
  if (missing.length > 0) throw new Error(`publish: package.json "files" names ${missing.join(', ')}, which is missing: run \`npm run build\` first`)
}

/**
 * @param {{ registry: string, artifacts: string, provenance?: boolean, env?: NodeJS.ProcessEnv }} options
 * @returns {{ name: string, version: string, tag: string, packages: string[] }} what was published, in order
 */
export function publish({ registry, artifacts, provenance = false, env: baseEnv = process.env }) {
  if (!/^https?:\/\//.test(registry ?? '')) throw new Error(`publish: --registry must be an http(s) URL, got ${JSON.stringify(registry)}`)
  if (artifacts === undefined || !existsSync(artifacts)) throw new Error(`publish: --artifacts must name the directory of built binaries, got ${JSON.stringify(artifacts)}`)
  checkFiles()
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const tag = manifest.version.includes('-') ? 'next' : 'latest'
  const env = { ...baseEnv, npm_config_registry: registry, npm_config_tag: tag, npm_config_access: 'public' }
  if (provenance) env.npm_config_provenance = 'true'
  for (const key of Object.keys(env)) if (key.startsWith('npm_lifecycle') || key === 'npm_package_json') delete env[key]

  const stage = mkdtempSync(path.join(tmpdir(), 'budgetkernel-publish-'))
  try {
    // 1. The main package as npm packs it, and the platform packages' directories.
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', stage], { cwd: ROOT, env: baseEnv, quiet: true })
    const tarball = path.join(stage, JSON.parse(packed.stdout)[0].filename)
    run('tar', ['xzf', tarball, '-C', stage], { cwd: stage, env })
    rmSync(tarball)
    const pkg = path.join(stage, 'package')
    for (const triple of declaredTargets()) {
      const platform = TARGETS[triple]?.platform ?? triple
      const dir = path.join(pkg, 'npm', platform)
      mkdirSync(dir, { recursive: true })
      for (const f of readdirSync(path.join(ROOT, 'npm', platform)).filter((f) => !f.endsWith('.node'))) {
        copyFileSync(path.join(ROOT, 'npm', platform, f), path.join(dir, f))
      }
    }
    // 2. + 3. The napi-rs CLI fills and publishes the platform packages.
    run(process.execPath, [NAPI, 'artifacts', '--cwd', pkg, '--npm-dir', 'npm', '--output-dir', path.resolve(artifacts)], { cwd: pkg, env })
    for (const triple of declaredTargets()) {
      const platform = TARGETS[triple]?.platform ?? triple
      const binary = path.join(pkg, 'npm', platform, `${manifest.napi.binaryName}.${platform}.node`)
      if (!existsSync(binary)) throw new Error(`publish: no ${path.basename(binary)} under ${artifacts} (napi artifacts found none for ${triple})`)
    }
    run(process.execPath, [NAPI, 'pre-publish', '--cwd', pkg, '--npm-dir', 'npm', '--tag-style', 'npm', '--no-gh-release'], { cwd: pkg, env })
    // 4. The main package, once its pins are exactly what they must be.
    const staged = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'))
    const expected = expectedOptionalDependencies()
    const sorted = (o) => JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    if (sorted(staged.optionalDependencies) !== sorted(expected)) {
      throw new Error(`publish: optionalDependencies after napi pre-publish are ${JSON.stringify(staged.optionalDependencies)}, expected exactly ${JSON.stringify(expected)}`)
    }
    run('npm', ['publish', '--ignore-scripts'], { cwd: pkg, env })
    return { name: manifest.name, version: manifest.version, tag, packages: [...Object.keys(expected), manifest.name] }
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2)
  const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined)
  try {
    const done = publish({ registry: value('--registry'), artifacts: value('--artifacts'), provenance: argv.includes('--provenance') })
    console.log(`publish: ${done.packages.join(', ')} ${done.version} published to ${value('--registry')} (dist-tag ${done.tag})`)
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    console.error('usage: node scripts/publish.mjs --registry URL --artifacts DIR [--provenance]')
    process.exitCode = 1
  }
}
