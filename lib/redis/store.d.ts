import { type Amount } from '../amounts';
import { type Dim } from '../dims';
import { type Verdict } from '../verdicts';
import { type RedisClientLike } from './client';
import { LeasedBudget, type LeaseOptions } from './lease';
/** One declared dimension, as `create` and `createWith` take them. */
export interface DimDeclaration {
    readonly dim: Dim;
    /** Inclusive limit. */
    readonly limit: Amount;
    /** Optional warn threshold, strictly below `limit`. */
    readonly warn?: Amount | undefined;
}
/** A budget's declaration: what `Budget.builder()` would be told, in the same order. */
export type Declaration = readonly DimDeclaration[];
/** Options of {@link RedisBudgets}. */
export interface RedisBudgetsOptions {
    /** Prefix of every key (default `'bk'`); no `{` or `}`. A budget lives at `PREFIX:{KEY}`. */
    readonly prefix?: string | undefined;
    /**
     * How long an operation may take, in milliseconds (default 1000), before it
     * fails with `STORE_UNAVAILABLE`. The command may still reach the server
     * later (clients queue and resend), so retry a write with the same `requestId`.
     */
    readonly timeoutMs?: number | undefined;
    /**
     * How long a `requestId`'s first result is kept, in milliseconds (default
     * 600,000). It must outlast the whole window in which a write may be retried.
     * Each stored result is a key of about 100 bytes: the memory it costs is
     * about (writes with a request id per second) × requestTtlMs / 1000 × 100 B.
     */
    readonly requestTtlMs?: number | undefined;
    /**
     * Accept a server whose `maxmemory-policy` is not `noeviction` (default
     * `false`: on first use the store reads the policy with `CONFIG GET` and
     * every call throws `UNSAFE_EVICTION_POLICY` when it is anything else,
     * because an evicted budget or stored result resets a quota or lets a retry
     * charge twice). Where `CONFIG GET` is refused (ACL, managed services) the
     * store warns once with `process.emitWarning` and goes on.
     */
    readonly allowEviction?: boolean | undefined;
    /**
     * Wait after each write until this many replicas have it (`WAIT`), at most
     * `replicaTimeoutMs`; fewer acknowledgements throw `NOT_REPLICATED` with
     * `applied: true`. Default 0: replication is asynchronous and a failover
     * may lose acknowledged writes. Not with a Cluster client.
     */
    readonly replicas?: number | undefined;
    /** How long a write waits for `replicas` (default 1000 ms). */
    readonly replicaTimeoutMs?: number | undefined;
    /**
     * With `replicas`: wait for the local AOF fsync and `replicas` replicas'
     * AOF fsyncs instead (`WAITAOF`, Redis 7.2 or later; on an older server
     * every call throws `STORE_UNAVAILABLE` and nothing is sent; likewise on a
     * server with `appendonly no`, and if it is switched off later, a write
     * throws `NOT_REPLICATED` with `applied: true`). Tested on Valkey 8.0.1.
     */
    readonly aof?: boolean | undefined;
}
/** Options of {@link RedisBudgets.reset} and {@link RedisBudgets.delete}. */
export interface WriteOptions {
    /**
     * Makes the write idempotent: its first result is kept for `requestTtlMs`;
     * a resend returns it and does nothing again (a resent `reset` does not wipe
     * charges made since), an id used for another operation is `REQUEST_ID_CONFLICT`.
     */
    readonly requestId?: string | undefined;
}
/** Options of {@link RedisBudgets.create}. */
export interface CreateOptions {
    /** The budget expires this many milliseconds after creation (Redis's clock). */
    readonly ttlMs?: number | undefined;
    /** Leave an existing budget alone (and resolve `false`) instead of replacing it. */
    readonly ifAbsent?: boolean | undefined;
    /** As {@link WriteOptions.requestId}; the payload is the declaration and `ifAbsent`, not `ttlMs`. */
    readonly requestId?: string | undefined;
}
/** Options of {@link RedisBudgets.charge} and {@link RedisBudgets.chargeMany}. */
export interface ChargeOptions {
    /**
     * Makes the charge idempotent: its first result is kept with a hash of the
     * charged entries for `requestTtlMs`; a repeat returns that result and
     * applies nothing, a repeat with other entries fails with
     * `REQUEST_ID_CONFLICT`. `createWith` and `ttlMs` are not part of the hash,
     * so a retry that recomputes them gets the stored verdict.
     */
    readonly requestId?: string | undefined;
    /** Creates the budget with this declaration, in the same script call, if it does not exist. */
    readonly createWith?: Declaration | undefined;
    /** With `createWith`: the created budget expires after this many milliseconds. */
    readonly ttlMs?: number | undefined;
}
/** One declared dimension of a {@link BudgetSnapshot}. */
export interface DimSnapshot {
    readonly limit: bigint;
    readonly warn: bigint | undefined;
    readonly spent: bigint;
    /** `limit - spent`, floored at `0n`. */
    readonly remaining: bigint;
}
/** What {@link RedisBudgets.snapshot} returns: every declared dimension, in {@link DIMS} order. */
export interface BudgetSnapshot {
    readonly dims: Readonly<Partial<Record<Dim, DimSnapshot>>>;
    /** Milliseconds until the budget expires, or `undefined` when it has no time to live. */
    readonly ttlMs: number | undefined;
}
/**
 * The most entries one checkpoint may have (`CHECKPOINT_TOO_LARGE` beyond).
 * The script reads only the distinct dimensions, so size costs no extra
 * reads on the server, but the call carries two arguments per entry and runs
 * atomically (it blocks the server while it runs), and node-redis spreads the
 * arguments into one call, which overflows V8's stack at about 65,000 entries.
 * Sum a larger checkpoint per dimension first.
 */
export declare const MAX_ENTRIES = 16384;
/** The kernel's own `UNKNOWN_DIMENSION` error for `dim`, from a throwaway budget that does not declare it. */
export declare function unknownDimension(dim: number): Error;
/** Appends a checkpoint's entries (validated as `Budget.chargeMany` validates them) to `args`; returns their dimension indexes. */
export declare function checkpointArgs(charges: unknown, args: string[]): number[];
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
export declare class RedisBudgets {
    #private;
    /**
     * @throws {TypeError} `client` is neither ioredis nor node-redis, or an option has the wrong type or is unknown.
     * @throws {RangeError} an option is out of range.
     */
    constructor(client: RedisClientLike, options?: RedisBudgetsOptions);
    /**
     * The Redis key of the budget named `key`: `PREFIX:{KEY}`, with `%`, `{`
     * and `}` in the name escaped as `%25`, `%7B` and `%7D`, so the whole name
     * is the hash tag (one Cluster slot for the budget and its request ids).
     *
     * @throws {TypeError} `key` is not a string or not well-formed Unicode.
     * @throws {RangeError} `key` is empty or longer than 4096 characters.
     */
    redisKey(key: string): string;
    /**
     * Declares (or replaces) the budget at `key` with nothing spent, after the
     * kernel has validated the declaration exactly as `Budget.builder()…build()`.
     * Resolves `true` when it wrote the budget, `false` when `ifAbsent` found one.
     *
     * @throws {BuilderError} `DUPLICATE_DIMENSION`, `NO_DIMENSIONS`, `ZERO_LIMIT` or `WARN_NOT_BELOW_LIMIT`.
     */
    create(key: string, declarations: Declaration, options?: CreateOptions): Promise<boolean>;
    /**
     * Charges `amount` to `dim` of the budget at `key`, exactly as
     * `Budget.charge`, and resolves its verdict (one of the shared objects).
     *
     * @throws {ChargeError} `UNKNOWN_DIMENSION`: nothing was charged.
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    charge(key: string, dim: Dim, amount: Amount, options?: ChargeOptions): Promise<Verdict>;
    /**
     * Charges a checkpoint (pairs or object form, as `Budget.chargeMany`) to
     * the budget at `key` atomically, and resolves the worst verdict.
     *
     * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension: nothing was charged.
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    chargeMany(key: string, charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>, options?: ChargeOptions): Promise<Verdict>;
    /**
     * What has been spent on `dim`: `0n` if declared and never charged,
     * `undefined` if the budget does not declare `dim`.
     *
     * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
     */
    spent(key: string, dim: Dim): Promise<bigint | undefined>;
    /**
     * The headroom left on `dim`, `limit - spent` floored at `0n`;
     * `undefined` if the budget does not declare `dim`.
     *
     * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
     */
    remaining(key: string, dim: Dim): Promise<bigint | undefined>;
    /**
     * Zeroes every spent counter of the budget at `key`; limits, warn
     * thresholds and its time to live stay. Without a `requestId`, a resend
     * (yours, or the client's after a reconnect) wipes charges made since.
     *
     * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    reset(key: string, options?: WriteOptions): Promise<void>;
    /**
     * Deletes the budget at `key`. Resolves whether there was one (a resend
     * with the same `requestId` resolves the first answer and deletes nothing
     * again). Stored request results are left to expire.
     *
     * @throws {StoreError} `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
     */
    delete(key: string, options?: WriteOptions): Promise<boolean>;
    /**
     * The limits, warn thresholds and spent of every declared dimension, and the time to live; `undefined` when there is no budget.
     *
     * @throws {StoreError} `STORE_UNAVAILABLE`, also when a stored value was changed outside budgetkernel.
     */
    snapshot(key: string): Promise<BudgetSnapshot | undefined>;
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
    lease(key: string, options?: LeaseOptions): LeasedBudget;
}
