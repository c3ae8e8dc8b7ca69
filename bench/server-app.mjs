// @ts-check
/**
 * The server that `bench/server.mjs` loads: a `node:http` handler in the
 * shape of `examples/http-quota.mjs` (parse the URL, account for the
 * request's work, answer with a small body), in one of four variants picked
 * by argv[2]. Each variant does the same three charges per request; only the
 * accounting differs:
 *
 * - `none`: no accounting at all (the baseline);
 * - `budgetkernel`: the template cloned per request, charged three times,
 *   released when the request is answered;
 * - `run`: the same three charges in a `template.run()` scope;
 * - `rlf`: rate-limiter-flexible's `RateLimiterMemory`, consumed (awaited)
 *   three times per request;
 * - `js`: a hand-written JavaScript budget per request (`bench/baseline.mjs`,
 *   the number flavour, with the same checks as the addon), charged three times.
 *
 * argv[3] picks the engine of the budgetkernel variants: `native` (the main
 * entry forced onto the addon, the default) or `wasm` (`budgetkernel/wasm`).
 *
 * Listens on 127.0.0.1 on an ephemeral port and prints `{"port": N}` once
 * listening. `GET /__stats` (not counted) answers the requests served so
 * far and the process's CPU time in microseconds, from which the driver
 * computes CPU time per request: a figure that, unlike requests/s, hardly
 * moves with what else the machine is running. Not a test and not an
 * example: a load target.
 *
 * @module
 */

import http from 'node:http';
import { createRequire } from 'node:module';

import { NumberBudget } from './baseline.mjs';

const require = createRequire(import.meta.url);
const variant = process.argv[2] ?? 'none';
const engine = process.argv[3] ?? 'native';
if (engine !== 'native' && engine !== 'wasm') {
  console.error(`unknown engine ${JSON.stringify(engine)}; expected native or wasm`);
  process.exit(2);
}
process.env.BUDGETKERNEL_ENGINE = 'native';

/** @type {typeof import('../index.js')} */
const { Budget } = engine === 'wasm' ? require('../wasm.js') : require('../index.js');
const { RateLimiterMemory } = require('rate-limiter-flexible');

const template = Budget.builder().limit('tokens', 4096).limitWithWarn('millis', 30000, 25000).limit('calls', 16).build();
/** @type {import('./baseline.mjs').DimSpec<number>[]} */
const jsDims = [{ dim: 'tokens', limit: 4096 }, { dim: 'millis', limit: 30000, warn: 25000 }, { dim: 'calls', limit: 16 }];
// Points the benchmark can never use up within its duration window.
const limiter = new RateLimiterMemory({ points: Number.MAX_SAFE_INTEGER, duration: 1 });

const BODY = 'ok\n';

/**
 * The work of a request: its path and the three amounts it charges.
 * @param {http.IncomingMessage} req
 */
function parse(req) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const size = Number(url.searchParams.get('size') ?? '100');
  return { path: url.pathname, tokens: size, millis: 20, calls: 1 };
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {string} body
 */
function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** @type {Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>} */
const handlers = {
  none(req, res) {
    const work = parse(req);
    answer(res, work.path === '/items' ? 200 : 404, BODY);
  },
  budgetkernel(req, res) {
    const work = parse(req);
    const budget = template.clone();
    try {
      budget.charge('tokens', work.tokens);
      budget.charge('millis', work.millis);
      const verdict = budget.charge('calls', work.calls);
      answer(res, verdict.kind === 'exhausted' ? 429 : 200, BODY);
    } finally {
      budget.release();
    }
  },
  run(req, res) {
    const work = parse(req);
    const verdict = template.run((budget) => {
      budget.charge('tokens', work.tokens);
      budget.charge('millis', work.millis);
      return budget.charge('calls', work.calls);
    });
    answer(res, verdict.kind === 'exhausted' ? 429 : 200, BODY);
  },
  rlf(req, res) {
    const work = parse(req);
    (async () => {
      await limiter.consume('tokens', work.tokens);
      await limiter.consume('millis', work.millis);
      await limiter.consume('calls', work.calls);
      answer(res, 200, BODY);
    })().catch(() => answer(res, 429, BODY));
  },
  js(req, res) {
    const work = parse(req);
    const budget = new NumberBudget(jsDims);
    budget.charge('tokens', work.tokens);
    budget.charge('millis', work.millis);
    const verdict = budget.charge('calls', work.calls);
    answer(res, verdict.kind === 'exhausted' ? 429 : 200, BODY);
  },
};

const handler = handlers[variant];
if (handler === undefined) {
  console.error(`unknown variant ${JSON.stringify(variant)}; expected one of ${Object.keys(handlers).join(', ')}`);
  process.exit(2);
}
let served = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    const { user, system } = process.cpuUsage();
    answer(res, 200, JSON.stringify({ requests: served, cpu: user + system }));
    return;
  }
  served++;
  handler(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
