// @ts-check
/**
 * The Rust half of the benchmark run: runs the kernel's criterion benchmarks
 * and the crosscheck crate's ours-versus-published benchmarks, then reads
 * criterion's JSON estimates back. Only results written by this run are
 * used (their files must be newer than the run's start), so a stale result
 * from an earlier run is never reported as fresh.
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} CriterionResult
 * @property {string} fullId     criterion's full benchmark id, e.g. "charge/ours"
 * @property {number} meanNs     mean point estimate, ns per iteration
 * @property {number} lowNs      lower bound of the mean's 95% confidence interval
 * @property {number} highNs     upper bound of the mean's 95% confidence interval
 * @property {number} medianNs   median point estimate
 */
/**
 * @typedef {object} BenchInvocation
 * @property {string} label          what was run, e.g. "crosscheck/versus_upstream"
 * @property {string[]} command      the cargo command line
 * @property {'ok' | 'failed'} status
 * @property {string} [reason]       why it failed
 * @property {CriterionResult[]} results  results written by this invocation
 */
/**
 * @typedef {object} Pair
 * @property {string} id        the id with the engine part removed
 * @property {CriterionResult} ours
 * @property {CriterionResult} upstream
 * @property {number} ratio     ours / upstream, means
 */

/**
 * The workspace's cargo target directory.
 * @param {string} root
 * @returns {string}
 */
function targetDir(root) {
  const r = spawnSync('cargo', ['metadata', '--no-deps', '--format-version', '1'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status === 0) {
    try {
      const meta = JSON.parse(r.stdout);
      if (typeof meta.target_directory === 'string') return meta.target_directory;
    } catch {
      // fall through to the default
    }
  }
  return process.env.CARGO_TARGET_DIR ?? join(root, 'target');
}

/**
 * Every criterion `new/` result directory under `dir` (skipping criterion's
 * `report`, `base` and `change` directories).
 * @param {string} dir
 * @returns {string[]}
 */
function resultDirs(dir) {
  /** @type {string[]} */
  const out = [];
  if (!existsSync(dir)) return out;
  /** @param {string} d */
  const visit = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (!statSync(p).isDirectory()) continue;
      if (name === 'new') out.push(p);
      else if (name !== 'report' && name !== 'base' && name !== 'change') visit(p);
    }
  };
  visit(dir);
  return out;
}

/**
 * Modification time of every `new/estimates.json` under `dir`.
 * @param {string} dir
 * @returns {Map<string, number>}
 */
function snapshot(dir) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const p of resultDirs(dir)) {
    const est = join(p, 'estimates.json');
    if (existsSync(est)) out.set(est, statSync(est).mtimeMs);
  }
  return out;
}

/**
 * Every criterion result under `dir` whose estimates file is new or was
 * rewritten since `before` was taken, i.e. written by this invocation.
 * @param {string} dir
 * @param {Map<string, number>} before
 * @returns {CriterionResult[]}
 */
function readResults(dir, before) {
  /** @type {CriterionResult[]} */
  const out = [];
  for (const p of resultDirs(dir)) {
    const est = join(p, 'estimates.json');
    const meta = join(p, 'benchmark.json');
    const was = before.get(est);
    if (!existsSync(est) || !existsSync(meta) || (was !== undefined && statSync(est).mtimeMs <= was)) continue;
    try {
      const e = JSON.parse(readFileSync(est, 'utf8'));
      const m = JSON.parse(readFileSync(meta, 'utf8'));
      out.push({
        fullId: String(m.full_id),
        meanNs: Number(e.mean.point_estimate),
        lowNs: Number(e.mean.confidence_interval.lower_bound),
        highNs: Number(e.mean.confidence_interval.upper_bound),
        medianNs: Number(e.median.point_estimate),
      });
    } catch {
      // A half-written or foreign file: not a result of this run.
    }
  }
  out.sort((a, b) => a.fullId.localeCompare(b.fullId));
  return out;
}

/**
 * Runs one criterion bench target and collects what it wrote.
 * @param {string} root
 * @param {string} pkg
 * @param {string} bench
 * @param {boolean} quick
 * @returns {BenchInvocation}
 */
export function runCriterion(root, pkg, bench, quick) {
  const timing = quick
    ? ['--warm-up-time', '0.2', '--measurement-time', '0.5']
    : ['--warm-up-time', '1', '--measurement-time', '2'];
  const command = ['cargo', 'bench', '-p', pkg, '--bench', bench, '--', ...timing];
  const label = `${pkg}/${bench}`;
  const dir = join(targetDir(root), 'criterion');
  const before = snapshot(dir);
  process.stderr.write(`[bench] ${command.join(' ')}\n`);
  const r = spawnSync(command[0] ?? 'cargo', command.slice(1), {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const results = readResults(dir, before);
  if (r.error) return { label, command, status: 'failed', reason: r.error.message, results };
  if (r.status !== 0) {
    return { label, command, status: 'failed', reason: `cargo exited with ${r.status ?? r.signal}`, results };
  }
  return { label, command, status: 'ok', results };
}

const OURS = /(^|[/_\-\s])ours($|[/_\-\s])/i;
const UPSTREAM_WORDS = ['upstream', 'published', 'v0.1.2', '0.1.2', 'theirs'];

/**
 * Pairs each "ours" result with its "upstream" twin: same full id with the
 * engine word swapped.
 * @param {CriterionResult[]} results
 * @returns {Pair[]}
 */
export function pairOursUpstream(results) {
  const byId = new Map(results.map((r) => [r.fullId, r]));
  /** @type {Pair[]} */
  const pairs = [];
  for (const ours of results) {
    const m = OURS.exec(ours.fullId);
    if (m === null) continue;
    for (const word of UPSTREAM_WORDS) {
      const twinId = ours.fullId.replace(/ours/i, word);
      const upstream = byId.get(twinId);
      if (upstream !== undefined) {
        const id = ours.fullId.replace(OURS, (_all, a, b) => (a === '/' || b === '/' ? '/' : a || b))
          .replace(/^\/|\/$/g, '');
        pairs.push({ id, ours, upstream, ratio: ours.meanNs / upstream.meanNs });
        break;
      }
    }
  }
  return pairs;
}
