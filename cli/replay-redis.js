// @ts-check
'use strict';

/**
 * `budgetkernel replay --redis`: the same trace logic as ./replay.js (line
 * splitting, parsing, validation messages and output formatting are that
 * module's), with each operation executed against a budget kept in Redis
 * through `budgetkernel/redis`. Its output must be byte-identical to the
 * in-process replay for every trace: the trace format is the store's
 * conformance suite.
 *
 * The package depends on no Redis client: this uses the caller's installed
 * `ioredis`, or else `redis` (node-redis).
 */

const { randomUUID } = require('node:crypto');
const api = require('../index.js');
const { RedisBudgets, StoreError } = require('../redis.js');
const { Replayer, LineSplitter, formatOutcome } = require('./replay.js');

/** @typedef {import('./replay.js').Outcome} Outcome */

/**
 * A Replayer whose operations run against the budget at one Redis key. The
 * key is fresh (a random name under the prefix) so the trace starts with no
 * budget, as the in-process replay does; `close()` deletes it.
 */
class RedisReplayer extends Replayer {
  /**
   * @param {RedisBudgets} store
   * @param {string} key the budget's name in the store; it must not exist yet
   */
  constructor(store, key) {
    super();
    this.store = store;
    this.key = key;
  }

  /**
   * Feeds the next physical line. Resolves undefined for a blank line.
   * @param {string} text
   * @returns {Promise<Outcome | undefined>}
   */
  async lineAsync(text) {
    const next = this.prepare(text);
    return next === undefined || next.kind === 'invalid' ? next : this.executeAsync(next.op, next.line);
  }

  /**
   * @param {import('./replay.js').Op} op
   * @param {number} line
   * @returns {Promise<Outcome>}
   */
  async executeAsync(op, line) {
    const { store, key } = this;
    try {
      switch (op.op) {
        case 'build':
          await store.create(key, op.limits);
          this.limits = op.limits;
          return { kind: 'ok', line, op };
        case 'charge':
          return { kind: 'verdict', line, op, verdict: await store.charge(key, op.dim, op.amount) };
        case 'chargeMany':
          return { kind: 'verdict', line, op, verdict: await store.chargeMany(key, op.charges) };
        case 'spent':
          return { kind: 'value', line, op, value: await store.spent(key, op.dim) };
        case 'remaining':
          return { kind: 'value', line, op, value: await store.remaining(key, op.dim) };
        case 'reset':
          await store.reset(key);
          return { kind: 'ok', line, op };
      }
    } catch (err) {
      // The same refusals as in-process: a declaration the kernel refuses, an
      // undeclared dimension, and no budget yet (the store's NO_BUDGET).
      if (err instanceof api.BuilderError || err instanceof api.ChargeError || (err instanceof StoreError && err.code === 'NO_BUDGET')) {
        return { kind: 'error', line, op, code: err.code, dim: err.dim };
      }
      throw err;
    }
  }

  /** Deletes the budget this replay used. */
  async close() {
    await this.store.delete(this.key);
  }
}

/**
 * Parses `redis://HOST:PORT[/DB]` (or `rediss://` for TLS).
 * @param {string} text
 * @returns {{ url: string, db: number }}
 */
function parseRedisUrl(text) {
  /** @type {URL} */
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`--redis must be a URL such as redis://127.0.0.1:6379/0, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.hostname === '') throw new TypeError(`--redis needs a host, got ${JSON.stringify(text)}`);
  const dbText = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(dbText)) {
    throw new TypeError(`--redis: the database must be a number (redis://HOST:PORT/DB), got ${JSON.stringify(url.pathname)}`);
  }
  if (url.search !== '' || url.hash !== '') throw new TypeError(`--redis takes no query or fragment, got ${JSON.stringify(text)}`);
  return { url: url.href, db: Number(dbText) };
}

/**
 * Connects with the installed client (ioredis, else node-redis).
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<{ client: any, close: () => Promise<void> }>}
 */
async function connect(url, timeoutMs) {
  /** @type {any} */
  let Ioredis;
  try {
    Ioredis = require('ioredis');
  } catch {
    Ioredis = undefined;
  }
  if (Ioredis !== undefined) {
    const Redis = Ioredis.default ?? Ioredis;
    // No reconnection and no resend: a replay that loses its server stops
    // (exit 3) instead of waiting or applying an operation twice.
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      autoResendUnfulfilledCommands: false,
    });
    client.on('error', () => {}); // surfaced by the commands themselves
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw err;
    }
    return { client, close: async () => void client.disconnect() };
  }
  /** @type {any} */
  let nodeRedis;
  try {
    const name = 'redis'; // optional, not a dependency: resolved at run time only
    nodeRedis = require(name);
  } catch {
    throw new TypeError('--redis needs a Redis client: install ioredis or redis (npm install ioredis)');
  }
  const client = nodeRedis.createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.disconnect().catch(() => {});
    throw err;
  }
  return { client, close: async () => void (await client.quit()) };
}

/**
 * Replays a whole trace held in memory against Redis, like replayText.
 * @param {string | Uint8Array} input
 * @param {RedisBudgets} store
 * @param {string} [key]
 * @returns {Promise<{ output: string, status: 0 | 1 }>}
 */
async function replayTextRedis(input, store, key = `replay:${randomUUID()}`) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const replayer = new RedisReplayer(store, key);
  const splitter = new LineSplitter();
  /** @type {string[]} */
  const lines = [];
  /** @param {string} text */
  const collect = (text) => void lines.push(text);
  splitter.push(bytes, collect);
  splitter.end(collect);
  let output = '';
  try {
    for (const text of lines) {
      const outcome = await replayer.lineAsync(text);
      if (outcome !== undefined) output += formatOutcome(outcome) + '\n';
    }
  } finally {
    await replayer.close();
  }
  return { output, status: replayer.invalid > 0 ? 1 : 0 };
}

module.exports = { RedisReplayer, RedisBudgets, parseRedisUrl, connect, replayTextRedis };
