// A per-request quota in a node:http server.
//
// One budget template (bytes, millis, calls) is validated once at start-up;
// every request gets its own clone, charges it as it produces items, and is
// answered 429 as soon as a dimension is exhausted. Millis are a simulated
// cost per item (not a clock), so the output is the same on every run.
//
// The script starts the server on 127.0.0.1 with an ephemeral port, makes a
// few requests to itself, prints what came back and closes the server.
//
//   node examples/http-quota.mjs

// @ts-check

import http from 'node:http';
import { Budget } from '../index.js';

const MILLIS_PER_ITEM = 15;
/** @type {readonly import('../index.js').Dim[]} */
const DIMS_SHOWN = ['bytes', 'millis', 'calls'];

const template = Budget.builder()
  .limitWithWarn('bytes', 1024, 768)
  .limitWithWarn('millis', 100, 60)
  .limit('calls', 10)
  .build();

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const count = Number(url.searchParams.get('count') ?? '1');
  const size = Number(url.searchParams.get('size') ?? '16');
  if (url.pathname !== '/items' || !Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(size) || size < 1 || size > 4096) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'expected /items?count=N&size=M' }));
    return;
  }

  const budget = template.clone(); // one budget per request
  /** @type {string[]} */
  const items = [];
  /** @type {string | undefined} */
  let warned;
  for (let i = 0; i < count; i++) {
    const item = `item-${i}:`.padEnd(size, '.');
    // Atomic checkpoint: one backend call, its simulated time, and the bytes it adds.
    const verdict = budget.chargeMany([
      ['calls', 1],
      ['millis', MILLIS_PER_ITEM],
      ['bytes', Buffer.byteLength(item) + 1],
    ]);
    if (verdict.kind === 'exhausted') {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'budget exhausted', dim: verdict.dim, served: i }));
      return;
    }
    if (verdict.kind === 'warn') warned ??= verdict.dim;
    items.push(item);
  }
  /** @type {Record<string, string>} */
  const headers = {
    'content-type': 'text/plain',
    'x-budget-spent': DIMS_SHOWN.map((d) => `${d}=${budget.spent(d)}`).join(', '),
  };
  if (warned !== undefined) headers['x-budget-warn'] = warned;
  res.writeHead(200, headers);
  res.end(items.map((item) => `${item}\n`).join(''));
}

/**
 * @param {number} port
 * @param {string} path
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>}
 */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

// Never hang: the whole run is bounded.
const guard = setTimeout(() => {
  console.error('http-quota: timed out');
  process.exit(1);
}, 10_000);
guard.unref();

const server = http.createServer(handle);
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const address = server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
console.log('http-quota: server on 127.0.0.1 (ephemeral port); budget per request: bytes 1024 (warn 768), millis 100 (warn 60), calls 10');

const paths = ['/items?count=2', '/items?count=5', '/items?count=8', '/items?count=3&size=400', '/items?count=-1'];
try {
  for (const path of paths) {
    const { status, headers, body } = await get(port, path);
    let summary;
    if (status === 200) {
      const lines = body.split('\n').filter((line) => line !== '').length;
      summary = `${lines} items; spent ${headers['x-budget-spent']}`;
      if (headers['x-budget-warn'] !== undefined) summary += `; warn ${headers['x-budget-warn']}`;
    } else {
      summary = body;
    }
    console.log(`GET ${path} -> ${status} ${summary}`);
  }
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
console.log('http-quota: server closed');
