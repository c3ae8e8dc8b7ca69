// @ts-check
/**
 * `npm run bench:server`: what a budget adds to a real HTTP request.
 *
 * Four variants of one `node:http` server (`bench/server-app.mjs`: no
 * accounting; budgetkernel clone + 3 charges + release; rate-limiter-flexible
 * `RateLimiterMemory` consumed 3 times; a hand-written JS budget charged 3
 * times), each in its own process, loaded on loopback by autocannon running
 * in this process. The variants are interleaved round by round (A B C D, A B
 * C D, ...) so that a change in machine load hits them all alike; each
 * figure is the median over the rounds, and the overhead of each variant is
 * its requests/s against the no-budget server's, as a percentage.
 *
 * Flags: --rounds N (default 5), --duration S seconds per measurement
 * (default 5), --connections N (default 16), --quick (2 rounds of 2 s),
 * --no-write (print only; otherwise bench/SERVER.md is written).
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const argv = process.argv.slice(2);
/**
 * @param {string} name
 * @param {number} fallback
 */
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
};
const QUICK = argv.includes('--quick');
const ROUNDS = flag('--rounds', QUICK ? 2 : 5);
const DURATION = flag('--duration', QUICK ? 2 : 5);
const CONNECTIONS = flag('--connections', 16);
const WARMUP = QUICK ? 1 : 2;

const VARIANTS = /** @type {const} */ ([
  ['none', 'no budget'],
  ['budgetkernel', 'budgetkernel: clone() + 3 charges + release()'],
  ['rlf', 'rate-limiter-flexible RateLimiterMemory, 3 awaited consume()'],
  ['js', 'hand-written JS budget, 3 charges'],
]);

const APP = fileURLToPath(new URL('./server-app.mjs', import.meta.url));

/**
 * Starts one variant's server process and resolves with its port.
 * @param {string} variant
 * @returns {Promise<{ port: number, stop: () => Promise<void> }>}
 */
function start(variant) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, variant], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => {
      if (out === '') reject(new Error(`server ${variant} exited with ${code} before listening`));
    });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (!out.includes('\n') || line === undefined) return;
      const { port } = JSON.parse(line);
      resolve({
        port,
        stop: () => new Promise((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

/**
 * @param {number} port
 * @param {number} duration
 * @returns {Promise<import('autocannon').Result>}
 */
function load(port, duration) {
  return autocannon({ url: `http://127.0.0.1:${port}/items?size=100`, connections: CONNECTIONS, duration, pipelining: 1 });
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? /** @type {number} */ (s[m]) : (/** @type {number} */ (s[m - 1]) + /** @type {number} */ (s[m])) / 2;
};

/** @type {Record<string, { rps: number[], p50: number[], p99: number[], errors: number, non2xx: number }>} */
const runs = Object.fromEntries(VARIANTS.map(([id]) => [id, { rps: [], p50: [], p99: [], errors: 0, non2xx: 0 }]));

const load1 = os.loadavg()[0];
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const [id] of VARIANTS) {
    const server = await start(id);
    try {
      await load(server.port, WARMUP);
      const r = await load(server.port, DURATION);
      const run = /** @type {(typeof runs)[string]} */ (runs[id]);
      run.rps.push(r.requests.average);
      run.p50.push(r.latency.p50);
      run.p99.push(r.latency.p99);
      run.errors += r.errors;
      run.non2xx += r.non2xx;
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${id}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms\n`);
    } finally {
      await server.stop();
    }
  }
}
const load2 = os.loadavg()[0];

const base = median(/** @type {(typeof runs)[string]} */ (runs.none).rps);
const rows = VARIANTS.map(([id, label]) => {
  const run = /** @type {(typeof runs)[string]} */ (runs[id]);
  const rps = median(run.rps);
  return {
    id,
    label,
    rps,
    min: Math.min(...run.rps),
    max: Math.max(...run.rps),
    p50: median(run.p50),
    p99: median(run.p99),
    overhead: id === 'none' ? 0 : ((base - rps) / base) * 100,
    errors: run.errors + run.non2xx,
  };
});

const lines = [
  '| server | requests/s (median) | range over rounds | p50 latency | p99 latency | overhead vs no budget |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) =>
    `| ${r.label} | ${r.rps.toFixed(0)} | ${r.min.toFixed(0)}–${r.max.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.id === 'none' ? '—' : `${r.overhead >= 0 ? '' : '−'}${Math.abs(r.overhead).toFixed(1)} %`} |`,
  ),
];
const cpus = os.cpus();
const info = [
  `Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}; `,
  `autocannon ${CONNECTIONS} connections on loopback, ${ROUNDS} interleaved rounds of ${DURATION} s (after ${WARMUP} s warm-up) per variant, `,
  `each server in its own process; load average ${load1.toFixed(2)} before, ${load2.toFixed(2)} after; ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
].join('');
const failures = rows.filter((r) => r.errors > 0).map((r) => `${r.id}: ${r.errors} errors or non-2xx answers`);

console.log(`\n${lines.join('\n')}\n\n${info}`);
if (failures.length > 0) console.log(`\nWARNING: ${failures.join('; ')}`);
if (!argv.includes('--no-write')) {
  const md = [
    '# Server benchmark',
    '',
    'Written by `npm run bench:server` (bench/server.mjs); a measurement, not a test.',
    'Overhead is the drop in requests/s against the no-budget server in the same run',
    '(negative: faster than it, i.e. within noise). Medians over the rounds.',
    '',
    ...lines,
    '',
    info,
    ...(failures.length > 0 ? ['', `Warning: ${failures.join('; ')}`] : []),
    '',
  ].join('\n');
  writeFileSync(fileURLToPath(new URL('./SERVER.md', import.meta.url)), md);
}
