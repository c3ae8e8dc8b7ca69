// @ts-check
/**
 * `npm run bench -- --redis` (or `node bench/redis.mjs [--quick] [--no-write]`):
 * budgetkernel/redis against its like-for-like peers on one private
 * redis-server (127.0.0.1, a free port, no persistence), all in one run:
 *
 * - `chargeMany` of 3 dimensions vs rate-limiter-flexible's `RateLimiterUnion`
 *   of three `RateLimiterRedis` (one dimension per limiter), and the same
 *   checkpoint with a `requestId` (idempotent);
 * - a single `charge` vs one `RateLimiterRedis.consume`;
 * - bare `INCRBY` as the floor;
 *
 * each at concurrency 1 (one operation in flight: latency) and 64 (64 in
 * flight on one ioredis connection, which pipelines them: throughput), over
 * 10,000 keys, reporting ops/s, p50 and p99 of single operations, and the
 * server's own time per operation from `INFO commandstats` (reset before
 * each case). Never part of `npm test`; results go to bench/RESULTS-redis.md.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Redis } = require('ioredis');
const { RateLimiterRedis, RateLimiterUnion } = require('rate-limiter-flexible');
const { RedisBudgets } = require('../redis.js');

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const KEYS = 10_000;
const OPS = { 1: QUICK ? 1_000 : 4_000, 64: QUICK ? 5_000 : 20_000 };
/** Every case runs once per round, rounds interleave the cases; the round with the median throughput is reported. */
const ROUNDS = QUICK ? 1 : 3;

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(os.tmpdir(), 'bk-bench-redis-'));
const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
// However the run ends (an error included), the server and its directory go with it.
process.on('exit', () => {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
/** Resolves once the server answers PING. */
async function waitForServer() {
  for (let i = 0; i < 400; i++) {
    const pong = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.on('error', () => resolve(false));
      socket.on('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.write('PING\r\n');
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not answer PING within 10 s');
}
await waitForServer();
const io = new Redis(port, '127.0.0.1');
const version = (await io.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';

const store = new RedisBudgets(io, { timeoutMs: 10_000 });
const HUGE = 2n ** 63n;
const keys = Array.from({ length: KEYS }, (_, i) => `tenant:${i}`);
for (let i = 0; i < KEYS; i += 500) {
  await Promise.all(
    keys.slice(i, i + 500).map((k) =>
      store.create(k, [
        { dim: 'tokens', limit: HUGE },
        { dim: 'millis', limit: HUGE },
        { dim: 'calls', limit: HUGE },
      ]),
    ),
  );
}
const limiter = (/** @type {string} */ prefix) => new RateLimiterRedis({ storeClient: io, points: 2 ** 40, duration: 0, keyPrefix: prefix });
const single = limiter('rlf');
const union = new RateLimiterUnion(limiter('rlf-a'), limiter('rlf-b'), limiter('rlf-c'));

let seq = 0;
/** @type {Array<{ id: string, label: string, op: (key: string) => Promise<unknown> }>} */
const cases = [
  { id: 'bk-many3', label: 'budgetkernel chargeMany (3 dims)', op: (k) => store.chargeMany(k, { tokens: 1523, millis: 840, calls: 1 }) },
  { id: 'bk-many3-rq', label: 'budgetkernel chargeMany (3 dims) + requestId', op: (k) => store.chargeMany(k, { tokens: 1523, millis: 840, calls: 1 }, { requestId: `r${seq++}` }) },
  { id: 'rlf-union3', label: 'RateLimiterUnion of 3 RateLimiterRedis', op: (k) => union.consume(k, 1) },
  { id: 'bk-charge', label: 'budgetkernel charge (1 dim)', op: (k) => store.charge(k, 'tokens', 1523) },
  { id: 'rlf-consume', label: 'RateLimiterRedis.consume', op: (k) => single.consume(k, 1) },
  { id: 'incrby', label: 'bare INCRBY (floor)', op: (k) => io.incrby(`incr:${k}`, 1) },
];

// Leased charges (issue 16): one key, charged 1 token per op through a lease,
// beside the per-charge path on the same key and client. `trips` counts the
// lease's script calls, so round trips per charge are measured, not assumed.
await store.create('leased', [{ dim: 'tokens', limit: 2 ** 52 }]);
const lease100 = store.lease('leased', { chunk: 100, ttlMs: 60_000 });
const lease1000 = store.lease('leased', { chunk: 1_000, ttlMs: 60_000 });
/** @type {Array<{ id: string, label: string, op: (key: string) => unknown, trips: () => number }>} */
const leased = [
  { id: 'per-charge', label: 'per-charge store.charge (1 token, one key)', op: () => store.charge('leased', 'tokens', 1), trips: () => 1 },
  { id: 'lease-100', label: 'leased charge, chunk 100', op: () => lease100.charge('tokens', 1), trips: () => lease100.refills },
  { id: 'lease-1000', label: 'leased charge, chunk 1,000', op: () => lease1000.charge('tokens', 1), trips: () => lease1000.refills },
];
/** @type {Record<string, number>} */
const tripsPerCharge = {};

/** Server microseconds per operation: every command's time since the last reset (but the reset and INFO themselves). */
async function serverMicros(/** @type {number} */ ops) {
  const info = await io.info('commandstats');
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=\d+,usec=(\d+)/gm)) {
    if (!/^(config|info)/.test(m[1] ?? '')) usec += Number(m[2]);
  }
  return usec / ops;
}

/**
 * @param {(key: string) => Promise<unknown>} op
 * @param {number} concurrency
 * @param {number} total
 */
async function measure(op, concurrency, total) {
  // Warm up (script load, JIT), untimed.
  for (let i = 0; i < 500; i++) await op(keys[i % KEYS]);
  await io.config('RESETSTAT');
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await op(keys[(i * 7919) % KEYS]);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const elapsed = performance.now() - started;
  const micros = await serverMicros(total);
  latencies.sort();
  const at = (/** @type {number} */ q) => (latencies[Math.min(total - 1, Math.floor(q * total))] ?? 0) * 1000;
  return { opsPerSec: total / (elapsed / 1000), p50: at(0.5), p99: at(0.99), serverUs: micros };
}

const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
/** @type {Record<string, Record<number, Awaited<ReturnType<typeof measure>>>>} */
const results = {};
/** @type {Record<string, Record<number, Array<Awaited<ReturnType<typeof measure>>>>>} */
const rounds = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    for (const concurrency of [1, 64]) {
      const r = await measure(c.op, concurrency, OPS[/** @type {1 | 64} */ (concurrency)]);
      ((rounds[c.id] ??= {})[concurrency] ??= []).push(r);
    }
  }
}
for (const c of leased) {
  // One in flight: the c=1 path the target is about.
  const before = c.trips();
  const total = OPS[1] * 25;
  const r = await measure(/** @type {any} */ (c.op), 1, total);
  tripsPerCharge[c.id] = c.id === 'per-charge' ? 1 : (c.trips() - before) / (total + 500);
  results[c.id] = { 1: r };
  console.log(`${c.label.padEnd(46)} c=1   ${r.opsPerSec.toFixed(0).padStart(7)} ops/s  round trips/charge ${tripsPerCharge[c.id]?.toFixed(5)}`);
}
await lease100.release();
await lease1000.release();
for (const c of cases) {
  results[c.id] = {};
  for (const concurrency of [1, 64]) {
    const runs = [...(rounds[c.id]?.[concurrency] ?? [])].sort((a, b) => a.opsPerSec - b.opsPerSec);
    const r = /** @type {Awaited<ReturnType<typeof measure>>} */ (runs[Math.floor(runs.length / 2)]);
    // @ts-ignore indexed above
    results[c.id][concurrency] = r;
    console.log(`${c.label.padEnd(46)} c=${String(concurrency).padEnd(3)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s  p50 ${r.p50.toFixed(0).padStart(5)} µs  p99 ${r.p99.toFixed(0).padStart(6)} µs  server ${r.serverUs.toFixed(1).padStart(5)} µs/op`);
  }
}
const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');

io.disconnect();
server.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });

const r = (/** @type {string} */ id, /** @type {number} */ c) => /** @type {any} */ (results)[id][c];
const ratio = (/** @type {number} */ a, /** @type {number} */ b) => (a / b).toFixed(2);
const targets = [
  ['chargeMany 3 dims vs RateLimiterUnion of 3, throughput at c=64', `${ratio(r('bk-many3', 64).opsPerSec, r('rlf-union3', 64).opsPerSec)}×`, '≥ 2×', r('bk-many3', 64).opsPerSec >= 2 * r('rlf-union3', 64).opsPerSec],
  ['chargeMany 3 dims vs RateLimiterUnion of 3, throughput at c=1', `${ratio(r('bk-many3', 1).opsPerSec, r('rlf-union3', 1).opsPerSec)}×`, '≥ 2×', r('bk-many3', 1).opsPerSec >= 2 * r('rlf-union3', 1).opsPerSec],
  ['single charge vs RateLimiterRedis.consume, throughput at c=64', `${ratio(r('bk-charge', 64).opsPerSec, r('rlf-consume', 64).opsPerSec)}×`, '≥ 0.8×', r('bk-charge', 64).opsPerSec >= 0.8 * r('rlf-consume', 64).opsPerSec],
  ['single charge vs RateLimiterRedis.consume, throughput at c=1', `${ratio(r('bk-charge', 1).opsPerSec, r('rlf-consume', 1).opsPerSec)}×`, '≥ 0.8×', r('bk-charge', 1).opsPerSec >= 0.8 * r('rlf-consume', 1).opsPerSec],
  ['leased charge chunk 1,000 vs per-charge, throughput at c=1', `${ratio(r('lease-1000', 1).opsPerSec, r('per-charge', 1).opsPerSec)}×`, '≥ 50×', r('lease-1000', 1).opsPerSec >= 50 * r('per-charge', 1).opsPerSec],
  ['leased charge chunk 100 vs per-charge, throughput at c=1', `${ratio(r('lease-100', 1).opsPerSec, r('per-charge', 1).opsPerSec)}×`, '(reported)', true],
  ['round trips per leased charge, chunk 1,000', `${(tripsPerCharge['lease-1000'] ?? 1).toFixed(5)}`, '≤ 0.002', (tripsPerCharge['lease-1000'] ?? 1) <= 1 / 500],
  ['server time per 3-dim checkpoint (c=64)', `${r('bk-many3', 64).serverUs.toFixed(1)} µs`, '≤ 15 µs', r('bk-many3', 64).serverUs <= 15],
];

const lines = [
  '# Redis benchmarks (`node bench/redis.mjs`)',
  '',
  `Generated ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cores), Node ${process.version}, redis-server ${version}, ioredis ${require('ioredis/package.json').version}, rate-limiter-flexible ${require('rate-limiter-flexible/package.json').version}${QUICK ? ', --quick' : ''}.`,
  `Load average before ${load}, after ${loadAfter} (a shared machine: compare ratios, not absolute figures). ${KEYS.toLocaleString('en')} keys, one ioredis connection; c=64 means 64 operations in flight (ioredis pipelines them). Latencies are of single operations as the caller sees them; server time is \`INFO commandstats\` usec of every command over the case's operations. Each case ran in ${ROUNDS} interleaved round(s); the round with the median throughput is shown.`,
  '',
  '| case | c | ops/s | p50 µs | p99 µs | server µs/op |',
  '|---|---:|---:|---:|---:|---:|',
  ...cases.flatMap((c) => [1, 64].map((n) => `| ${c.label} | ${n} | ${r(c.id, n).opsPerSec.toFixed(0)} | ${r(c.id, n).p50.toFixed(0)} | ${r(c.id, n).p99.toFixed(0)} | ${r(c.id, n).serverUs.toFixed(1)} |`)),
  '',
  '| leased case (one key, 1 token per charge) | c | ops/s | p50 µs | round trips per charge |',
  '|---|---:|---:|---:|---:|',
  ...leased.map((c) => `| ${c.label} | 1 | ${r(c.id, 1).opsPerSec.toFixed(0)} | ${r(c.id, 1).p50.toFixed(1)} | ${(tripsPerCharge[c.id] ?? 0).toFixed(5)} |`),
  '',
  '| target | measured | wanted | |',
  '|---|---:|---:|---|',
  ...targets.map(([what, got, want, ok]) => `| ${what} | ${got} | ${want} | ${ok ? 'PASS' : 'MISS'} |`),
  '',
];
console.log('\n' + lines.slice(lines.indexOf('| target | measured | wanted | |')).join('\n'));
if (!argv.has('--no-write')) writeFileSync(new URL('./RESULTS-redis.md', import.meta.url), lines.join('\n'));
