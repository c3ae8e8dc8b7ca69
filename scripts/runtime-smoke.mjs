// @ts-check
/**
 * The installed package under a JavaScript runtime: node, bun or deno.
 *
 *   import { runtimeSmoke } from './scripts/runtime-smoke.mjs'
 *   const summary = await runtimeSmoke({ runtime: 'bun', projectDir })
 *
 * `projectDir` is a project with budgetkernel installed in its node_modules
 * (from a tarball or a registry). Under the runtime it runs
 *   1. the contract smoke (scripts/runtime-smoke-contract.mjs): both entries
 *      load (the native addon through N-API, the wasm engine), create,
 *      charge, verdicts frozen and `===` across calls and entries, typed
 *      errors on bad input that change nothing, `budget.signal`,
 *      `Symbol.dispose` and `using` (where the runtime parses it);
 *   2. the replay fixtures (__test__/fixtures/traces): the installed CLI,
 *      `cli/budgetkernel.js replay <trace>` on the default engine and with
 *      `--engine wasm`, whose stdout must be byte-identical to `<trace>.out`
 *      and whose exit status must be the one in exit-codes.json;
 *   3. the `bin` as the runtime runs one: node runs node_modules/.bin/budgetkernel
 *      (its shebang, or pnpm's shim), bun `bun --bun x budgetkernel`, deno
 *      `deno run node_modules/.bin/budgetkernel` (or, where that is a shim,
 *      the file the package's `bin` names), on the first fixture.
 * and throws an Error saying which check failed, with the command, its exit
 * status and output. It returns a summary (see {@link RuntimeSummary}).
 *
 * bun and deno are this repository's exact-pinned devDependencies
 * (node_modules/.bin/bun, node_modules/.bin/deno); `command` overrides the
 * executable. deno runs with `-A` (the addon needs --allow-ffi, the CLI reads
 * files and the environment) and `--node-modules-dir=manual` (use the
 * installed node_modules, never install or modify it).
 *
 * `engine` is the engine the main entry must select: 'native' (default; a
 * matching platform package is installed) or 'wasm' (e.g. installed with
 * --omit=optional: the fallback, whose one warning must then be on stderr).
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { userEnv } from './user-env.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces');
const CONTRACT = fileURLToPath(new URL('./runtime-smoke-contract.mjs', import.meta.url));
const FALLBACK_WARNING = 'BUDGETKERNEL_WASM_FALLBACK';

/**
 * @typedef {'node' | 'bun' | 'deno'} Runtime
 * @typedef {{ trace: string, engine: 'default' | 'wasm', status: number }} FixtureRun
 * @typedef {{
 *   runtime: Runtime,
 *   version: string,
 *   command: string,
 *   nativeAddon: boolean,
 *   entries: Record<string, { engine: string, using: string }>,
 *   fixtures: FixtureRun[],
 *   bin: string,
 * }} RuntimeSummary
 */

/** @param {Runtime} runtime */
function defaultCommand(runtime) {
  if (runtime === 'node') return process.execPath;
  return path.join(ROOT, 'node_modules', '.bin', runtime);
}

/** What runs a script file under the runtime. @param {Runtime} runtime @param {string} command */
function scriptArgs(runtime, command) {
  return runtime === 'deno' ? [command, 'run', '-A', '--node-modules-dir=manual'] : [command];
}

/**
 * @param {readonly string[]} argv
 * @param {string} cwd
 * @returns {Promise<{ argv: readonly string[], status: number | null, stdout: string, stderr: string }>}
 */
function run(argv, cwd) {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    execFile(/** @type {string} */ (file), args, { cwd, env: userEnv({ NO_COLOR: '1' }), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = /** @type {{ code?: unknown } | null} */ (err)?.code;
      resolve({ argv, status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** @param {string} what @param {{ argv: readonly string[], status: number | null, stdout: string, stderr: string }} r */
function failure(what, r) {
  const clip = (/** @type {string} */ s) => (s.length > 4000 ? `${s.slice(0, 4000)}… (${s.length} chars)` : s);
  return new Error(`runtime smoke: ${what}\n  command: ${r.argv.join(' ')}\n  exit status: ${r.status}\n  stdout: ${clip(r.stdout)}\n  stderr: ${clip(r.stderr)}`);
}

/**
 * The stderr the main entry may write: nothing on the native addon; on the
 * wasm fallback, its one warning line, and the runtime's hint after it
 * (Node and Bun: "(Use `node --trace-warnings ...` ..."; Deno writes none).
 * @param {string} stderr @param {'native' | 'wasm'} engine
 */
function stderrAllowed(stderr, engine) {
  if (engine === 'native') return stderr === '';
  const lines = stderr.split('\n').filter((line) => line !== '');
  const warnings = lines.filter((line) => line.includes(FALLBACK_WARNING));
  const rest = lines.filter((line) => !line.includes(FALLBACK_WARNING) && !/^\(Use `\S+ --trace-warnings \.\.\.` to show where the warning was created\)$/.test(line));
  return warnings.length === 1 && rest.length === 0;
}

/** The installed package's `bin.budgetkernel`. @param {string} project */
function binOf(project) {
  const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules', 'budgetkernel', 'package.json'), 'utf8'));
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.budgetkernel;
  if (typeof bin !== 'string') throw new Error('runtime smoke: the installed budgetkernel/package.json has no bin.budgetkernel');
  return bin;
}

/**
 * Runs the contract smoke, the replay fixtures and the bin under `runtime`
 * in `projectDir`. Throws on the first failed check.
 *
 * @param {{ runtime: Runtime, projectDir: string, command?: string, engine?: 'native' | 'wasm' }} options
 * @returns {Promise<RuntimeSummary>}
 */
export async function runtimeSmoke({ runtime, projectDir, command = defaultCommand(runtime), engine = 'native' }) {
  if (runtime !== 'node' && runtime !== 'bun' && runtime !== 'deno') throw new TypeError(`runtime must be 'node', 'bun' or 'deno', got ${String(runtime)}`);
  const project = path.resolve(projectDir);
  const script = scriptArgs(runtime, command);

  // 1. The contract smoke.
  const smoke = await run([...script, CONTRACT, project], project);
  if (smoke.status !== 0) throw failure(`the contract smoke failed under ${runtime}`, smoke);
  /** @type {{ runtime: string, version: string, nativeAddon: boolean, entries: RuntimeSummary['entries'] }} */
  let report;
  try {
    report = JSON.parse(smoke.stdout);
  } catch {
    throw failure(`the contract smoke did not print its JSON summary under ${runtime}`, smoke);
  }
  if (report.runtime !== runtime) throw failure(`the contract smoke ran under ${report.runtime}, not ${runtime}`, smoke);
  const mainEngine = report.entries.budgetkernel?.engine;
  if (mainEngine !== engine) throw failure(`budgetkernel selected the ${mainEngine} engine under ${runtime}, expected ${engine}`, smoke);
  if (!stderrAllowed(smoke.stderr, engine)) throw failure(`the contract smoke wrote to stderr under ${runtime}`, smoke);

  // 2. The replay fixtures, through the installed CLI.
  const cli = path.join(project, 'node_modules', 'budgetkernel', 'cli', 'budgetkernel.js');
  const traces = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();
  if (traces.length === 0) throw new Error(`runtime smoke: no fixtures in ${FIXTURES}`);
  /** @type {Record<string, number>} */
  const statuses = JSON.parse(readFileSync(path.join(FIXTURES, 'exit-codes.json'), 'utf8'));
  /** @type {FixtureRun[]} */
  const fixtures = [];
  for (const [label, flags] of /** @type {const} */ ([['default', []], ['wasm', ['--engine', 'wasm']]])) {
    const runs = await Promise.all(
      traces.map(async (trace) => {
        const name = trace.replace(/\.jsonl$/, '');
        const r = await run([...script, cli, 'replay', ...flags, path.join(FIXTURES, trace)], project);
        const expected = readFileSync(path.join(FIXTURES, `${name}.out`), 'utf8');
        const expectedStatus = statuses[name];
        if (expectedStatus === undefined) throw new Error(`runtime smoke: ${name} has no exit status in exit-codes.json`);
        if (r.stdout !== expected) throw failure(`replay of ${trace} (${label} engine) under ${runtime}: stdout differs from ${name}.out`, r);
        if (r.status !== expectedStatus) throw failure(`replay of ${trace} (${label} engine) under ${runtime}: exit status ${r.status}, expected ${expectedStatus}`, r);
        const stderrEngine = label === 'wasm' ? 'native' : engine; // --engine wasm never falls back: no warning
        if (!stderrAllowed(r.stderr, stderrEngine)) throw failure(`replay of ${trace} (${label} engine) under ${runtime}: unexpected stderr`, r);
        return { trace: name, engine: label, status: r.status };
      }),
    );
    fixtures.push(...runs);
  }

  // 3. The bin, as the runtime runs a package's bin.
  const first = /** @type {string} */ (traces[0]);
  const firstName = first.replace(/\.jsonl$/, '');
  const bin = path.join(project, 'node_modules', '.bin', 'budgetkernel');
  // deno runs a script, not a shell shim (pnpm's .bin entries are shims): the
  // .bin link where it is one (npm), else the file the package's `bin` names.
  const denoBin = lstatSync(bin, { throwIfNoEntry: false })?.isSymbolicLink() === true ? bin : path.join(project, 'node_modules', 'budgetkernel', binOf(project));
  const binArgv =
    runtime === 'node' ? [bin] : runtime === 'bun' ? [command, '--bun', 'x', 'budgetkernel'] : [...script, denoBin];
  const viaBin = await run([...binArgv, 'replay', path.join(FIXTURES, first)], project);
  if (viaBin.stdout !== readFileSync(path.join(FIXTURES, `${firstName}.out`), 'utf8') || viaBin.status !== statuses[firstName] || !stderrAllowed(viaBin.stderr, engine)) {
    throw failure(`the bin (${binArgv.join(' ')}) under ${runtime} did not replay ${first} as expected`, viaBin);
  }

  return {
    runtime,
    version: report.version,
    command,
    nativeAddon: report.nativeAddon,
    entries: report.entries,
    fixtures,
    bin: binArgv.map((a) => (a === command ? runtime : a.startsWith(project) ? path.relative(project, a) : a)).join(' '),
  };
}
