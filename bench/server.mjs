// @ts-check
/**
 * `npm run bench:server`: what a budget adds to a real HTTP request.
 *
 * Six variants of one `node:http` server (`bench/server-app.mjs`: no
 * accounting; budgetkernel clone + 3 charges + release on the native
 * engine; budgetkernel `run()` + 3 charges on the native and on the wasm
 * engine; rate-limiter-flexible `RateLimiterMemory` consumed 3 times; a
 * hand-written JS budget charged 3 times), each in its own process, loaded on loopback by autocannon running
 * in this process. All the servers are started (and warmed up) once, then
 * loaded in turn, round after round (A B C D, A B C D, ...), so that a
 * change in machine load hits them all alike. Requests/s and latencies are
 * medians over the rounds; the overhead of a variant is the median over the
 * rounds of its drop in requests/s against the no-budget server measured
 * in the same round (paired, so slow drifts in load cancel out).
 *
 * Each server also reports its CPU time, so every round gives each variant's
 * CPU time per request, and its CPU overhead: the extra CPU time per
 * request against the no-budget server's in the same round, as a
 * percentage. On a busy machine requests/s swing with the neighbours'
 * load; CPU time per request is what the variant itself costs.
 *
 * Flags: --rounds N (default 10), --duration S seconds per measurement
 * (default 3), --connections N (default 16), --quick (3 rounds of 2 s),
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
const ROUNDS = flag('--rounds', QUICK ? 3 : 10);
const DURATION = flag('--duration', QUICK ? 2 : 3);
const CONNECTIONS = flag('--connections', 16);
const WARMUP = QUICK ? 1 : 3;

/** [id, server-app variant, engine, label] */
const VARIANTS = /** @type {const} */ ([
  ['none', 'none', 'native', 'no budget'],
  ['budgetkernel', 'budgetkernel', 'native', 'budgetkernel native: clone() + 3 charges + release()'],
  ['run-native', 'run', 'native', 'budgetkernel native: run() + 3 charges'],
  ['run-wasm', 'run', 'wasm', 'budgetkernel wasm: run() + 3 charges'],
  ['rlf', 'rlf', 'native', 'rate-limiter-flexible RateLimiterMemory, 3 awaited consume()'],
  ['js', 'js', 'native', 'hand-written JS budget, 3 charges'],
]);

const APP = fileURLToPath(new URL('./server-app.mjs', import.meta.url));

/**
 * Starts one variant's server process and resolves with its port.
 * @param {string} variant
 * @param {string} engine
 * @returns {Promise<{ port: number, stop: () => Promise<void> }>}
 */
function start(variant, engine) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, variant, engine], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
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

/**
 * The server's requests served and CPU microseconds so far.
 * @param {number} port
 * @returns {Promise<{ requests: number, cpu: number }>}
 */
async function stats(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return /** @type {{ requests: number, cpu: number }} */ (await res.json());
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? /** @type {number} */ (s[m]) : (/** @type {number} */ (s[m - 1]) + /** @type {number} */ (s[m])) / 2;
};

/** @type {Record<string, { rps: number[], mean: number[], p50: number[], p99: number[], overhead: number[], cpu: number[], cpuOverhead: number[], errors: number, non2xx: number }>} */
const runs = Object.fromEntries(VARIANTS.map(([id]) => [id, { rps: [], mean: [], p50: [], p99: [], overhead: [], cpu: [], cpuOverhead: [], errors: 0, non2xx: 0 }]));

const load1 = os.loadavg()[0];
const started = Date.now();
const servers = [];
try {
  for (const [id, variant, engine] of VARIANTS) servers.push({ id, ...(await start(variant, engine)) });
  for (const server of servers) await load(server.port, WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    /** @type {number | undefined} */
    let base;
    /** @type {number | undefined} */
    let baseCpu;
    for (const server of servers) {
      const s0 = await stats(server.port);
      const r = await load(server.port, DURATION);
      const s1 = await stats(server.port);
      const run = /** @type {(typeof runs)[string]} */ (runs[server.id]);
      const rps = r.requests.average;
      const cpu = (s1.cpu - s0.cpu) / Math.max(1, s1.requests - s0.requests);
      run.cpu.push(cpu);
      if (server.id === 'none') {
        base = rps;
        baseCpu = cpu;
      } else if (base !== undefined && baseCpu !== undefined) {
        run.overhead.push(((base - rps) / base) * 100);
        run.cpuOverhead.push(((cpu - baseCpu) / baseCpu) * 100);
      }
      run.rps.push(rps);
      run.mean.push(r.latency.average);
      run.p50.push(r.latency.p50);
      run.p99.push(r.latency.p99);
      run.errors += r.errors;
      run.non2xx += r.non2xx;
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${server.id}: ${rps.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/request, mean ${r.latency.average} ms, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms\n`);
    }
  }
} finally {
  for (const server of servers) await server.stop();
}
const load2 = os.loadavg()[0];

const rows = VARIANTS.map(([id, , , label]) => {
  const run = /** @type {(typeof runs)[string]} */ (runs[id]);
  return {
    id,
    label,
    rps: median(run.rps),
    mean: median(run.mean),
    p50: median(run.p50),
    p99: median(run.p99),
    overhead: id === 'none' ? 0 : median(run.overhead),
    overheadMin: id === 'none' ? 0 : Math.min(...run.overhead),
    overheadMax: id === 'none' ? 0 : Math.max(...run.overhead),
    cpu: median(run.cpu),
    cpuOverhead: id === 'none' ? 0 : median(run.cpuOverhead),
    cpuMin: id === 'none' ? 0 : Math.min(...run.cpuOverhead),
    cpuMax: id === 'none' ? 0 : Math.max(...run.cpuOverhead),
    errors: run.errors + run.non2xx,
  };
});
/** @param {number} x */
const pct = (x) => `${x < 0 ? '−' : ''}${Math.abs(x).toFixed(1)} %`;

const lines = [
  '| server | requests/s | mean latency | p50 | p99 | throughput overhead (range) | server CPU per request | CPU overhead (range) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) =>
    `| ${r.label} | ${r.rps.toFixed(0)} | ${r.mean.toFixed(2)} ms | ${r.p50} ms | ${r.p99} ms | ${r.id === 'none' ? '—' : `${pct(r.overhead)} (${pct(r.overheadMin)} to ${pct(r.overheadMax)})`} | ${r.cpu.toFixed(1)} µs | ${r.id === 'none' ? '—' : `${pct(r.cpuOverhead)} (${pct(r.cpuMin)} to ${pct(r.cpuMax)})`} |`,
  ),
];
const cpus = os.cpus();
const info = [
  `Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}; `,
  `autocannon ${CONNECTIONS} connections on loopback, ${ROUNDS} interleaved rounds of ${DURATION} s per variant (after ${WARMUP} s of warm-up each), `,
  `each server in its own process; load average ${load1.toFixed(2)} before, ${load2.toFixed(2)} after; ${((Date.now() - started) / 1000).toFixed(0)} s in all. `,
  'Medians over the rounds; autocannon reports p50/p99 in whole milliseconds.',
].join('');
const failures = rows.filter((r) => r.errors > 0).map((r) => `${r.id}: ${r.errors} errors or non-2xx answers`);

console.log(`\n${lines.join('\n')}\n\n${info}`);
if (failures.length > 0) console.log(`\nWARNING: ${failures.join('; ')}`);
if (!argv.includes('--no-write')) {
  const md = [
    '# Server benchmark',
    '',
    'Written by `npm run bench:server` (bench/server.mjs); a measurement, not a test.',
    'Overhead is the drop in requests/s against the no-budget server measured in the',
    'same round (negative: faster than it, i.e. within noise); the median over the rounds, with its range.',
    '',
    ...lines,
    '',
    info,
    ...(failures.length > 0 ? ['', `Warning: ${failures.join('; ')}`] : []),
    '',
  ].join('\n');
  writeFileSync(fileURLToPath(new URL('./SERVER.md', import.meta.url)), md);
}
