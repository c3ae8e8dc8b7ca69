"use strict";
// RedisBudgets: budgets shared by processes and machines, kept in Redis with
// the kernel's exact semantics. Validation, dimension names, verdicts and
// errors are the in-process facade's own (./dims, ./amounts, ./verdicts,
// ./errors, the kernel's builder through whichever engine is loaded, ./engine); the accounting runs in
// the Lua scripts of ./scripts, one atomic call per operation.
Object.defineProperty(exports, "__esModule", { value: true });
exports.RedisBudgets = exports.MAX_ENTRIES = void 0;
exports.unknownDimension = unknownDimension;
exports.checkpointArgs = checkpointArgs;
const amounts_1 = require("../amounts");
const budget_1 = require("../budget");
const dims_1 = require("../dims");
const errors_1 = require("../errors");
const engine_1 = require("../engine");
const values_1 = require("../values");
const verdicts_1 = require("../verdicts");
const client_1 = require("./client");
const scripts_1 = require("./scripts");
const lease_1 = require("./lease");
const SCRIPTS = {
    charge: (0, client_1.script)(scripts_1.CHARGE),
    create: (0, client_1.script)(scripts_1.CREATE),
    reset: (0, client_1.script)(scripts_1.RESET),
    delete: (0, client_1.script)(scripts_1.DELETE),
    read: (0, client_1.script)(scripts_1.READ),
};
/** Keys and request ids longer than this many characters are refused. */
const MAX_KEY = 4096;
const MAX_REQUEST_ID = 512;
const MAX_PREFIX = 256;
const LONE_SURROGATE = /\p{Cs}/u;
const HASH_TAG = /[%{}]/g;
const MAX_MS = 2 ** 47;
/**
 * The most entries one checkpoint may have (`CHECKPOINT_TOO_LARGE` beyond).
 * The script reads only the distinct dimensions, so size costs no extra
 * reads on the server, but the call carries two arguments per entry and runs
 * atomically (it blocks the server while it runs), and node-redis spreads the
 * arguments into one call, which overflows V8's stack at about 65,000 entries.
 * Sum a larger checkpoint per dimension first.
 */
exports.MAX_ENTRIES = 16_384;
function escapeTag(char) {
    return char === '%' ? '%25' : char === '{' ? '%7B' : '%7D';
}
function checkedString(value, what, max) {
    if (typeof value !== 'string')
        throw new TypeError(`${what} must be a string, got ${(0, values_1.describe)(value)}`);
    if (value.length === 0 || value.length > max) {
        throw new RangeError(`${what} must be 1 to ${max} characters long, got ${value.length}`);
    }
    if (LONE_SURROGATE.test(value))
        throw new TypeError(`${what} must be well-formed Unicode (it holds a lone surrogate)`);
    return value;
}
function checkedMs(value, what) {
    if (typeof value !== 'number')
        throw new TypeError(`${what} must be a number of milliseconds, got ${(0, values_1.describe)(value)}`);
    if (!Number.isSafeInteger(value) || value < 1 || value > MAX_MS) {
        throw new RangeError(`${what} must be an integer from 1 to ${MAX_MS}, got ${(0, values_1.describe)(value)}`);
    }
    return value;
}
/** The options object, checked to be a plain object naming only `allowed` keys. */
function checkedOptions(options, what, allowed) {
    if (options === undefined)
        return {};
    if (!(0, budget_1.isPlainObject)(options))
        throw new TypeError(`${what} must be an object, got ${(0, values_1.describe)(options)}`);
    const record = options;
    for (const key in record) {
        if (Object.prototype.hasOwnProperty.call(record, key) && !allowed.includes(key)) {
            throw new TypeError(`${what} has an unknown option ${(0, values_1.describe)(key)} (known: ${allowed.join(', ')})`);
        }
    }
    return record;
}
/**
 * A declaration as script arguments (dim, limit, warn or '-' triples),
 * checked as `Budget.builder()` checks it: each entry's values in order, then
 * the kernel's own builder validates the whole (same `BuilderError` codes, in
 * the same order). The budget the kernel builds for that is released at once.
 */
function declarationArgs(declarations, what) {
    if (!Array.isArray(declarations)) {
        throw new TypeError(`${what} must be an array of { dim, limit, warn? } declarations, got ${(0, values_1.describe)(declarations)}`);
    }
    const count = declarations.length;
    const words = new BigUint64Array(4 * Math.max(count, 1));
    const args = [];
    for (let i = 0; i < count; i++) {
        const entry = declarations[i];
        const at = `${what}[${i}]`;
        if (!(0, budget_1.isPlainObject)(entry))
            throw new TypeError(`${at} must be a { dim, limit, warn? } object, got ${(0, values_1.describe)(entry)}`);
        const { dim, limit, warn } = entry;
        const index = (0, dims_1.dimIndex)(dim, `${at}.dim`);
        const limitValue = (0, amounts_1.toU64)(limit, `${at}.limit`);
        const warnValue = warn === undefined ? undefined : (0, amounts_1.toU64)(warn, `${at}.warn`);
        words[4 * i] = BigInt(index);
        words[4 * i + 1] = warnValue === undefined ? 0n : 1n;
        words[4 * i + 2] = limitValue;
        words[4 * i + 3] = warnValue ?? 0n;
        args.push(dims_1.DIMS[index], String(limitValue), warnValue === undefined ? '-' : String(warnValue));
    }
    const engine = (0, engine_1.anyEngine)();
    const handle = engine.create(words, count);
    if (handle < 0)
        throw (0, budget_1.failure)(engine);
    engine.release(handle);
    return args;
}
/** The kernel's own `UNKNOWN_DIMENSION` error for `dim`, from a throwaway budget that does not declare it. */
function unknownDimension(dim) {
    const words = new BigUint64Array([BigInt((dim + 1) % dims_1.DIMS.length), 0n, 1n, 0n]);
    const engine = (0, engine_1.anyEngine)();
    const handle = engine.create(words, 1);
    const code = engine.charge(handle, dim, 0);
    const error = code < 0 ? (0, budget_1.failure)(engine) : new Error('budgetkernel: internal error (no UNKNOWN_DIMENSION)');
    engine.release(handle);
    return error;
}
/** Appends a checkpoint's entries (validated as `Budget.chargeMany` validates them) to `args`; returns their dimension indexes. */
function checkpointArgs(charges, args) {
    const dims = [];
    const tooLarge = (count) => new errors_1.StoreError('CHECKPOINT_TOO_LARGE', `a checkpoint may have at most ${exports.MAX_ENTRIES} entries in one call, got ${count}; nothing was sent`);
    if (Array.isArray(charges) && charges.length > exports.MAX_ENTRIES)
        throw tooLarge(charges.length);
    if (Array.isArray(charges)) {
        for (let i = 0; i < charges.length; i++) {
            const pair = (0, budget_1.pairOf)(charges, i);
            const dim = (0, budget_1.entryDim)(pair[0], i);
            const amount = (0, amounts_1.checkedAmount)(pair[1], i);
            dims.push(dim);
            args.push(dims_1.DIMS[dim], String(amount));
        }
    }
    else if ((0, budget_1.isPlainObject)(charges)) {
        const record = charges;
        for (const key in record) {
            const value = (0, budget_1.recordEntry)(record, key);
            if (value === undefined)
                continue;
            const dim = (0, budget_1.entryDim)(key, key);
            const amount = (0, amounts_1.checkedAmount)(value, key);
            dims.push(dim);
            args.push(dims_1.DIMS[dim], String(amount));
        }
    }
    else {
        throw new TypeError(`charges must be an array of [dim, amount] pairs or a plain object of amounts by dimension, got ${(0, values_1.describe)(charges)}`);
    }
    return dims;
}
function checkedFlag(value, what) {
    if (value !== undefined && typeof value !== 'boolean')
        throw new TypeError(`${what} must be a boolean, got ${(0, values_1.describe)(value)}`);
    return value === true;
}
function conflict(requestId, key) {
    return new errors_1.StoreError('REQUEST_ID_CONFLICT', `requestId ${(0, values_1.describe)(requestId)} was already used for a different operation on ${(0, values_1.describe)(key)}; nothing was applied`);
}
function noBudget(key) {
    return new errors_1.StoreError('NO_BUDGET', `no budget exists at key ${(0, values_1.describe)(key)} (never created, deleted or expired)`);
}
const STORED = /^[0-9]{1,20}$/;
/** A script's refusal of a stored value, naming the field (./scripts `corrupt`). */
const CORRUPT_REPLY = new RegExp(`${scripts_1.CORRUPT} \\((.*)\\)`);
/**
 * A value the scripts wrote that is not what they write (a decimal of at
 * most 2^64 - 1): the key was changed outside budgetkernel. The scripts
 * refuse it before any write (./scripts `CORRUPT`), and the
 * read paths likewise: `STORE_UNAVAILABLE`, the code of every server-side
 * refusal, and nothing was applied.
 */
function corrupt(redisKey, detail, cause) {
    return new errors_1.StoreError('STORE_UNAVAILABLE', `the budget at ${(0, values_1.describe)(redisKey)} holds a malformed stored value (${detail}): it was changed outside budgetkernel; nothing was applied. Repair or delete the key`, cause);
}
/** A decimal read back from the budget's hash, checked as the scripts check it (./scripts `stored`). */
function storedValue(value, redisKey, field) {
    if (typeof value === 'string' && STORED.test(value)) {
        const n = BigInt(value);
        if (n <= amounts_1.MAX_U64)
            return n;
    }
    throw corrupt(redisKey, `${field} is ${(0, values_1.describe)(value)}`);
}
function internal(reply) {
    return new Error(`budgetkernel: unexpected reply from the Redis script (${(0, values_1.describe)(reply)}); is the server Redis 7 or later?`);
}
/**
 * Budgets kept in Redis, shared by every process and machine that uses the
 * same server (or Cluster) and prefix, with the in-process kernel's exact
 * semantics: the same verdict objects (`===` works across both), the same
 * errors, saturation at `2n ** 64n - 1n`, every operation one atomic script.
 *
 * Pass your own client (ioredis `Redis` or `Cluster`, or a node-redis 4/5/6
 * client or cluster, connected). Every method returns a promise, validates
 * its arguments first (a bad argument rejects with the same `TypeError`,
 * `RangeError` or `BudgetError` as `Budget` and sends nothing), and fails
 * closed: when Redis does not answer within `timeoutMs` it rejects with
 * `STORE_UNAVAILABLE`, never resolves a guess.
 *
 * @example
 * ```ts
 * const store = new RedisBudgets(redis, { prefix: 'bk', timeoutMs: 1000 })
 * const verdict = await store.chargeMany(`tenant:${id}:${day}`, { tokens: 1523, calls: 1 }, {
 *   requestId: request.id,
 *   createWith: [{ dim: 'tokens', limit: 1_000_000n, warn: 800_000n }, { dim: 'calls', limit: 500 }],
 *   ttlMs: 86_400_000,
 * })
 * ```
 */
class RedisBudgets {
    #connection;
    #prefix;
    #timeoutMs;
    #requestTtl;
    #allowEviction;
    #replicas;
    #replicaTimeoutMs;
    #aof;
    /** The first-use check of the server (eviction policy, WAITAOF support), once per store. */
    #checked;
    /**
     * @throws {TypeError} `client` is neither ioredis nor node-redis, or an option has the wrong type or is unknown.
     * @throws {RangeError} an option is out of range.
     */
    constructor(client, options) {
        this.#connection = (0, client_1.connectionFor)(client);
        const o = checkedOptions(options, 'options', ['prefix', 'timeoutMs', 'requestTtlMs', 'allowEviction', 'replicas', 'replicaTimeoutMs', 'aof']);
        const prefix = o.prefix === undefined ? 'bk' : checkedString(o.prefix, 'options.prefix', MAX_PREFIX);
        if (prefix.includes('{') || prefix.includes('}')) {
            throw new RangeError(`options.prefix must not contain '{' or '}' (the key's hash tag follows it), got ${(0, values_1.describe)(prefix)}`);
        }
        this.#prefix = prefix;
        this.#timeoutMs = o.timeoutMs === undefined ? 1000 : checkedMs(o.timeoutMs, 'options.timeoutMs');
        this.#requestTtl = String(o.requestTtlMs === undefined ? 600_000 : checkedMs(o.requestTtlMs, 'options.requestTtlMs'));
        this.#allowEviction = checkedFlag(o.allowEviction, 'options.allowEviction');
        this.#aof = checkedFlag(o.aof, 'options.aof');
        const replicas = o.replicas ?? 0;
        if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 0 || replicas > 64) {
            throw new RangeError(`options.replicas must be an integer from 0 to 64, got ${(0, values_1.describe)(replicas)}`);
        }
        this.#replicas = replicas;
        this.#replicaTimeoutMs = o.replicaTimeoutMs === undefined ? 1000 : checkedMs(o.replicaTimeoutMs, 'options.replicaTimeoutMs');
        if ((replicas > 0 || this.#aof) && this.#connection.command === undefined) {
            throw new TypeError('options.replicas and options.aof need a standalone client: WAIT must follow the write on its connection, which a Cluster client does not promise');
        }
    }
    /**
     * The Redis key of the budget named `key`: `PREFIX:{KEY}`, with `%`, `{`
     * and `}` in the name escaped as `%25`, `%7B` and `%7D`, so the whole name
     * is the hash tag (one Cluster slot for the budget and its request ids).
     *
     * @throws {TypeError} `key` is not a string or not well-formed Unicode.
     * @throws {RangeError} `key` is empty or longer than 4096 characters.
     */
    redisKey(key) {
        return `${this.#prefix}:{${checkedString(key, 'key', MAX_KEY).replace(HASH_TAG, escapeTag)}}`;
    }
    /**
     * Declares (or replaces) the budget at `key` with nothing spent, after the
     * kernel has validated the declaration exactly as `Budget.builder()…build()`.
     * Resolves `true` when it wrote the budget, `false` when `ifAbsent` found one.
     *
     * @throws {BuilderError} `DUPLICATE_DIMENSION`, `NO_DIMENSIONS`, `ZERO_LIMIT` or `WARN_NOT_BELOW_LIMIT`.
     */
    async create(key, declarations, options) {
        const redisKey = this.redisKey(key);
        const args = declarationArgs(declarations, 'declarations');
        const o = checkedOptions(options, 'options', ['ttlMs', 'ifAbsent', 'requestId']);
        const ifAbsent = checkedFlag(o.ifAbsent, 'options.ifAbsent');
        const ttl = o.ttlMs === undefined ? '0' : String(checkedMs(o.ttlMs, 'options.ttlMs'));
        const keys = this.#keys(redisKey, o.requestId);
        const reply = await this.#write(SCRIPTS.create, keys, [this.#requestTtl, ifAbsent ? '1' : '0', ttl, ...args]);
        if (reply === 1)
            return true;
        if (reply === 0)
            return false;
        if (reply === -2)
            throw conflict(o.requestId, key);
        throw internal(reply);
    }
    /**
     * Charges `amount` to `dim` of the budget at `key`, exactly as
     * `Budget.charge`, and resolves its verdict (one of the shared objects).
     *
     * @throws {ChargeError} `UNKNOWN_DIMENSION`: nothing was charged.
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    async charge(key, dim, amount, options) {
        const redisKey = this.redisKey(key);
        const index = (0, dims_1.dimIndex)(dim, 'dim');
        const value = (0, amounts_1.checkedAmount)(amount, 'amount', String);
        return this.#charge(key, redisKey, options, [index], [dims_1.DIMS[index], String(value)]);
    }
    /**
     * Charges a checkpoint (pairs or object form, as `Budget.chargeMany`) to
     * the budget at `key` atomically, and resolves the worst verdict.
     *
     * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension: nothing was charged.
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    async chargeMany(key, charges, options) {
        const redisKey = this.redisKey(key);
        const entries = [];
        const dims = checkpointArgs(charges, entries);
        return this.#charge(key, redisKey, options, dims, entries);
    }
    async #charge(key, redisKey, options, dims, entries) {
        const o = checkedOptions(options, 'options', ['requestId', 'createWith', 'ttlMs']);
        const keys = this.#keys(redisKey, o.requestId);
        let head;
        if (o.createWith === undefined) {
            if (o.ttlMs !== undefined)
                throw new TypeError('options.ttlMs applies to a budget created by options.createWith; give both');
            head = [this.#requestTtl, '', '0'];
        }
        else {
            const declaration = declarationArgs(o.createWith, 'options.createWith');
            const ttl = o.ttlMs === undefined ? '0' : String(checkedMs(o.ttlMs, 'options.ttlMs'));
            head = [this.#requestTtl, ttl, String(declaration.length / 3), ...declaration];
        }
        const reply = await this.#write(SCRIPTS.charge, keys, head.concat(entries));
        if (typeof reply !== 'number' || !Number.isInteger(reply))
            throw internal(reply);
        if (reply === 0)
            return verdicts_1.VERDICTS[0];
        if (reply > 0) {
            const dim = dims[(reply - 1) >> 1];
            if (dim === undefined)
                throw internal(reply);
            return verdicts_1.VERDICTS[(reply & 1) === 1 ? verdicts_1.WARN + dim : verdicts_1.EXHAUSTED + dim];
        }
        if (reply === -1)
            throw noBudget(key);
        if (reply === -2)
            throw conflict(o.requestId, key);
        const dim = dims[-3 - reply];
        if (dim === undefined)
            throw internal(reply);
        throw unknownDimension(dim);
    }
    /**
     * What has been spent on `dim`: `0n` if declared and never charged,
     * `undefined` if the budget does not declare `dim`.
     *
     * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
     */
    async spent(key, dim) {
        const values = await this.#readDim(key, dim);
        return values === undefined ? undefined : values[1];
    }
    /**
     * The headroom left on `dim`, `limit - spent` floored at `0n`;
     * `undefined` if the budget does not declare `dim`.
     *
     * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
     */
    async remaining(key, dim) {
        const values = await this.#readDim(key, dim);
        if (values === undefined)
            return undefined;
        const [limit, spent] = values;
        return spent >= limit ? 0n : limit - spent;
    }
    async #readDim(key, dim) {
        const redisKey = this.redisKey(key);
        const name = dims_1.DIMS[(0, dims_1.dimIndex)(dim, 'dim')];
        const reply = await this.#call(SCRIPTS.read, [redisKey], [name]);
        if (reply === -1)
            throw noBudget(key);
        if (!Array.isArray(reply) || reply.length !== 2)
            throw internal(reply);
        const [limit, spent] = reply;
        if (limit === null || limit === undefined)
            return undefined;
        return [storedValue(limit, redisKey, `${name}:limit`), storedValue(spent, redisKey, name)];
    }
    /**
     * Zeroes every spent counter of the budget at `key`; limits, warn
     * thresholds and its time to live stay. Without a `requestId`, a resend
     * (yours, or the client's after a reconnect) wipes charges made since.
     *
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    async reset(key, options) {
        const redisKey = this.redisKey(key);
        const o = checkedOptions(options, 'options', ['requestId']);
        const reply = await this.#write(SCRIPTS.reset, this.#keys(redisKey, o.requestId), [this.#requestTtl]);
        if (reply === -1)
            throw noBudget(key);
        if (reply === -2)
            throw conflict(o.requestId, key);
        if (reply !== 0)
            throw internal(reply);
    }
    /**
     * Deletes the budget at `key`. Resolves whether there was one (a resend
     * with the same `requestId` resolves the first answer and deletes nothing
     * again). Stored request results are left to expire.
     *
     * @throws {StoreError} `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    async delete(key, options) {
        const redisKey = this.redisKey(key);
        const o = checkedOptions(options, 'options', ['requestId']);
        const reply = await this.#write(SCRIPTS.delete, this.#keys(redisKey, o.requestId), [this.#requestTtl]);
        if (reply === 1)
            return true;
        if (reply === 0)
            return false;
        if (reply === -2)
            throw conflict(o.requestId, key);
        throw internal(reply);
    }
    /**
     * The limits, warn thresholds and spent of every declared dimension, and the time to live; `undefined` when there is no budget.
     *
     * @throws {StoreError} `STORE_UNAVAILABLE`, also when a stored value was changed outside budgetkernel.
     */
    async snapshot(key) {
        const redisKey = this.redisKey(key);
        const reply = await this.#call(SCRIPTS.read, [redisKey], []);
        if (reply === -1)
            return undefined;
        if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== 'number' || !Array.isArray(reply[1]))
            throw internal(reply);
        const fields = new Map();
        const flat = reply[1];
        for (let i = 0; i + 1 < flat.length; i += 2)
            fields.set(String(flat[i]), String(flat[i + 1]));
        const dims = {};
        for (const dim of dims_1.DIMS) {
            const limitText = fields.get(`${dim}:limit`);
            if (limitText === undefined)
                continue;
            const limit = storedValue(limitText, redisKey, `${dim}:limit`);
            const spent = storedValue(fields.get(dim), redisKey, dim);
            const warnText = fields.get(`${dim}:warn`);
            dims[dim] = Object.freeze({
                limit,
                warn: warnText === undefined ? undefined : storedValue(warnText, redisKey, `${dim}:warn`),
                spent,
                remaining: spent >= limit ? 0n : limit - spent,
            });
        }
        const ttl = reply[0];
        return Object.freeze({ dims: Object.freeze(dims), ttlMs: ttl >= 0 ? ttl : undefined });
    }
    /**
     * A lease on the budget at `key` for this process (see ./lease): charges
     * decided in-process by the kernel against a reservation, refilled in one
     * script call (with a request id, so a resent call applies once). With
     * `createWith`, the budget is created (if absent) before the first grant;
     * an existing budget is leased as it is, whatever its declaration.
     * Every option is checked here; nothing is sent until the first charge.
     *
     * @throws {TypeError} an option has the wrong type or is unknown (or `createTtlMs` without `createWith`).
     * @throws {RangeError} an option is out of range.
     * @throws {BuilderError} `createWith` is not a declaration `Budget.builder()` accepts.
     */
    lease(key, options) {
        const redisKey = this.redisKey(key);
        const o = checkedOptions(options, 'options', ['chunk', 'ttlMs', 'holder', 'createWith', 'createTtlMs']);
        let ensure;
        if (o.createWith !== undefined) {
            const createWith = o.createWith;
            declarationArgs(createWith, 'options.createWith');
            const ttlMs = o.createTtlMs === undefined ? undefined : checkedMs(o.createTtlMs, 'options.createTtlMs');
            ensure = () => this.create(key, createWith, { ifAbsent: true, ttlMs });
        }
        else if (o.createTtlMs !== undefined) {
            throw new TypeError('options.createTtlMs applies to a budget created by options.createWith; give both');
        }
        const store = {
            call: (s, keys, args) => this.#write(s, keys, args),
            requestKey: (id) => this.#keys(redisKey, id)[2],
            requestTtl: this.#requestTtl,
            ensure,
        };
        return new lease_1.LeasedBudget(key, redisKey, store, { chunk: o.chunk, ttlMs: o.ttlMs, holder: o.holder });
    }
    /** A writing script's keys (./scripts): the budget, its lease state and the request id's key, all in the budget's slot. */
    #keys(redisKey, requestId) {
        const keys = [redisKey, `${redisKey}:ls`];
        if (requestId !== undefined)
            keys.push(`${redisKey}:rq:${checkedString(requestId, 'options.requestId', MAX_REQUEST_ID)}`);
        return keys;
    }
    /** Runs a writing script, then waits for `replicas` when asked. */
    async #write(s, keys, args) {
        const reply = await this.#call(s, keys, args, keys.length > 2 ? 'retry with the same requestId' : 'without a requestId a retry may apply it twice');
        if (this.#replicas > 0 || this.#aof)
            await this.#replicated();
        return reply;
    }
    /** `WAIT` (or `WAITAOF`) on the connection that sent the write; fewer acknowledgements are `NOT_REPLICATED`. */
    async #replicated() {
        const command = this.#connection.command;
        const wanted = this.#replicas;
        const timeout = String(this.#replicaTimeoutMs);
        const args = this.#aof ? ['WAITAOF', '1', String(wanted), timeout] : ['WAIT', String(wanted), timeout];
        let reply;
        try {
            reply = await this.#bounded(() => command(args), this.#replicaTimeoutMs + this.#timeoutMs, 'the write was applied on the primary; its replication is unknown');
        }
        catch (error) {
            // appendonly switched off since the first-use check: WAITAOF answers an error, after the write.
            const cause = error.cause;
            if (this.#aof && cause instanceof Error && /appendonly is disabled/i.test(cause.message)) {
                throw new errors_1.StoreError('NOT_REPLICATED', `the write was applied on the primary but the server has no AOF (appendonly no), so WAITAOF cannot confirm its fsync: ${cause.message}`, cause, true);
            }
            throw error;
        }
        const [local, replicas] = Array.isArray(reply) ? [Number(reply[0]), Number(reply[1])] : [1, Number(reply)];
        if (!(local >= 1) || !(replicas >= wanted)) {
            const what = this.#aof ? `${local} local and ${replicas} replica AOF fsyncs` : `${replicas} replicas`;
            throw new errors_1.StoreError('NOT_REPLICATED', `the write was applied on the primary but only ${what} of ${wanted} acknowledged it within ${timeout} ms; a failover now may lose it`, undefined, true);
        }
    }
    /** The first-use check: the eviction policy (and WAITAOF support), once per store; a refusal is thrown on every call. */
    #check() {
        this.#checked ??= this.#checkServer();
        return this.#checked;
    }
    async #checkServer() {
        const servers = this.#connection.servers;
        let policies;
        try {
            policies = await this.#bounded(async () => {
                const nodes = await servers();
                return Promise.all(nodes.map(async (node) => {
                    const reply = await node(['CONFIG', 'GET', 'maxmemory-policy']);
                    const value = Array.isArray(reply) ? reply[1] : reply?.['maxmemory-policy'];
                    if (typeof value !== 'string')
                        throw new Error(`CONFIG GET maxmemory-policy answered ${(0, values_1.describe)(reply)}`);
                    return value;
                }));
            }, this.#timeoutMs, 'nothing was sent');
        }
        catch (error) {
            // The server answered with an error (NOPERM under an ACL, ERR unknown
            // command where CONFIG is renamed): warn and go on. No answer at all
            // is STORE_UNAVAILABLE, and the next call checks again.
            const cause = error instanceof errors_1.StoreError ? error.cause : error;
            const message = cause instanceof Error ? cause.message : String(cause);
            if (!/^(NOPERM|ERR|WRONGPASS|NOAUTH)/.test(message)) {
                this.#checked = undefined;
                throw error;
            }
            process.emitWarning(`budgetkernel/redis could not read maxmemory-policy (${message}); make sure it is noeviction, or budgets and stored results may be evicted`, { code: 'BUDGETKERNEL_EVICTION_UNCHECKED' });
            policies = [];
        }
        const unsafe = policies.find((policy) => policy !== 'noeviction');
        if (unsafe !== undefined && !this.#allowEviction) {
            throw new errors_1.StoreError('UNSAFE_EVICTION_POLICY', `the Redis server's maxmemory-policy is ${(0, values_1.describe)(unsafe)}, not 'noeviction': it may evict budgets (a quota silently reset) and stored results (a retry charged twice); nothing was sent. Use a dedicated instance with noeviction, or pass { allowEviction: true }`);
        }
        if (this.#aof) {
            const command = this.#connection.command;
            const info = String(await this.#bounded(() => command(['INFO', 'server']), this.#timeoutMs, 'nothing was sent'));
            const version = /redis_version:(\d+)\.(\d+)/.exec(info);
            if (version === null || Number(version[1]) * 100 + Number(version[2]) < 702) {
                throw new errors_1.StoreError('STORE_UNAVAILABLE', `options.aof needs WAITAOF (Redis 7.2 or later); the server is ${version === null ? 'of unknown version' : `${version[1]}.${version[2]}`}; nothing was sent`);
            }
            const persistence = String(await this.#bounded(() => command(['INFO', 'persistence']), this.#timeoutMs, 'nothing was sent'));
            if (!/^aof_enabled:1\r?$/m.test(persistence)) {
                throw new errors_1.StoreError('STORE_UNAVAILABLE', 'options.aof needs the server\'s AOF (appendonly yes): without it WAITAOF cannot confirm any write; nothing was sent');
            }
        }
    }
    /** Runs a script within `timeoutMs` after the first-use check; any failure of the client or the server is `STORE_UNAVAILABLE`. */
    async #call(s, keys, args, retry = 'a read is safe to retry') {
        await this.#check();
        try {
            return await this.#bounded(() => this.#connection.run(s, keys, args), this.#timeoutMs, `the operation may or may not have been applied (${retry})`);
        }
        catch (error) {
            // A script's refusal of a stored value (./scripts `corrupt`) comes before its writes: say so.
            const cause = error.cause;
            const found = cause instanceof Error ? CORRUPT_REPLY.exec(cause.message) : null;
            if (found !== null)
                throw corrupt(keys[0], `field ${found[1]}`, cause);
            throw error;
        }
    }
    /** `send()` within `timeoutMs`; its failure or the timeout is `STORE_UNAVAILABLE` saying `what`. */
    #bounded(send, timeoutMs, what) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                reject(new errors_1.StoreError('STORE_UNAVAILABLE', `Redis did not answer within ${timeoutMs} ms; ${what}`));
            }, timeoutMs);
            let sent;
            try {
                sent = send();
            }
            catch (error) {
                sent = Promise.reject(error);
            }
            sent.then((reply) => {
                clearTimeout(timer);
                resolve(reply);
            }, (error) => {
                clearTimeout(timer);
                const message = error instanceof Error ? error.message : String(error);
                reject(new errors_1.StoreError('STORE_UNAVAILABLE', `Redis failed: ${message}; ${what}`, error));
            });
        });
    }
}
exports.RedisBudgets = RedisBudgets;
