"use strict";
/**
 * `budgetkernel replay --redis`: the same trace logic as ./replay.ts (line
 * splitting, parsing, validation messages and output formatting are that
 * module's), with each operation executed against a budget kept in Redis
 * through `budgetkernel/redis`. Its output must be byte-identical to the
 * in-process replay for every trace: the trace format is the store's
 * conformance suite.
 *
 * The package depends on no Redis client: this uses the caller's installed
 * `ioredis`, or else `redis` (node-redis).
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.RedisReplayer = exports.RedisBudgets = void 0;
exports.parseRedisUrl = parseRedisUrl;
exports.connect = connect;
exports.replayTextRedis = replayTextRedis;
const node_crypto_1 = require("node:crypto");
const redis_1 = require("../redis");
Object.defineProperty(exports, "RedisBudgets", { enumerable: true, get: function () { return redis_1.RedisBudgets; } });
const replay_1 = require("./replay");
/**
 * A Replayer whose operations run against the budget at one Redis key. The
 * key is fresh (a random name under the prefix) so the trace starts with no
 * budget, as the in-process replay does; `close()` deletes it.
 */
class RedisReplayer extends replay_1.Replayer {
    store;
    key;
    /**
     * @param store the store the budget lives in
     * @param key the budget's name in the store; it must not exist yet
     */
    constructor(store, key) {
        super();
        this.store = store;
        this.key = key;
    }
    /** Feeds the next physical line. Resolves undefined for a blank line. */
    async lineAsync(text) {
        const next = this.prepare(text);
        return next === undefined || next.kind === 'invalid' ? next : this.executeAsync(next.op, next.line);
    }
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
        }
        catch (err) {
            // The same refusals as in-process: a declaration the kernel refuses, an
            // undeclared dimension, and no budget yet (the store's NO_BUDGET).
            if (err instanceof redis_1.BuilderError || err instanceof redis_1.ChargeError || (err instanceof redis_1.StoreError && err.code === 'NO_BUDGET')) {
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
exports.RedisReplayer = RedisReplayer;
/** Parses `redis://HOST:PORT[/DB]` (or `rediss://` for TLS). */
function parseRedisUrl(text) {
    let url;
    try {
        url = new URL(text);
    }
    catch {
        throw new TypeError(`--redis must be a URL such as redis://127.0.0.1:6379/0, got ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
        throw new TypeError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(text)}`);
    }
    if (url.hostname === '')
        throw new TypeError(`--redis needs a host, got ${JSON.stringify(text)}`);
    const dbText = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
    if (!/^(?:0|[1-9][0-9]{0,4})$/.test(dbText)) {
        throw new TypeError(`--redis: the database must be a number (redis://HOST:PORT/DB), got ${JSON.stringify(url.pathname)}`);
    }
    if (url.search !== '' || url.hash !== '')
        throw new TypeError(`--redis takes no query or fragment, got ${JSON.stringify(text)}`);
    return { url: url.href, db: Number(dbText) };
}
/** Loads an optional module by name, undefined when it is not installed. */
function optional(name) {
    try {
        return require(name);
    }
    catch {
        return undefined;
    }
}
/** Connects with the installed client (ioredis, else node-redis). */
async function connect(url, timeoutMs) {
    const Ioredis = optional('ioredis');
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
        client.on('error', () => { }); // surfaced by the commands themselves
        try {
            await client.connect();
        }
        catch (err) {
            client.disconnect();
            throw err;
        }
        return { client: client, close: async () => void client.disconnect() };
    }
    // optional, not a dependency: resolved at run time only
    const nodeRedis = optional('redis');
    if (nodeRedis === undefined) {
        throw new TypeError('--redis needs a Redis client: install ioredis or redis (npm install ioredis)');
    }
    const client = nodeRedis.createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
    client.on('error', () => { });
    try {
        await client.connect();
    }
    catch (err) {
        await client.disconnect().catch(() => { });
        throw err;
    }
    return { client: client, close: async () => void (await client.quit()) };
}
/** Replays a whole trace held in memory against Redis, like replayText. */
async function replayTextRedis(input, store, key = `replay:${(0, node_crypto_1.randomUUID)()}`) {
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    const replayer = new RedisReplayer(store, key);
    const splitter = new replay_1.LineSplitter();
    const lines = [];
    const collect = (text) => void lines.push(text);
    splitter.push(bytes, collect);
    splitter.end(collect);
    let output = '';
    try {
        for (const text of lines) {
            const outcome = await replayer.lineAsync(text);
            if (outcome !== undefined)
                output += (0, replay_1.formatOutcome)(outcome) + '\n';
        }
    }
    finally {
        await replayer.close();
    }
    return { output, status: replayer.invalid > 0 ? 1 : 0 };
}
