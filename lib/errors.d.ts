import type { Dim } from './dims';
/** The code of a {@link BudgetError}: which rule the kernel refused to break. */
export type BudgetErrorCode = BuilderErrorCode | ChargeErrorCode | StoreErrorCode;
/** Codes of {@link BuilderError}. */
export type BuilderErrorCode = 'DUPLICATE_DIMENSION' | 'WARN_NOT_BELOW_LIMIT' | 'ZERO_LIMIT' | 'NO_DIMENSIONS';
/** Codes of {@link ChargeError}. */
export type ChargeErrorCode = 'UNKNOWN_DIMENSION';
/**
 * A rule of the kernel was refused. Bad values (wrong types, out-of-range
 * amounts) are `TypeError`/`RangeError` instead; a `BudgetError` means the
 * values were fine but the declaration or the charge is not allowed.
 *
 * Match on {@link BudgetError.code}, not on the message.
 */
export declare class BudgetError extends Error {
    /** Which rule was refused. */
    readonly code: BudgetErrorCode;
    /** The dimension involved; `undefined` only for `NO_DIMENSIONS`. */
    readonly dim: Dim | undefined;
    /**
     * The addon throws these itself; the constructor is public so that
     * adapters and tests can make the same errors.
     */
    constructor(code: BudgetErrorCode, dim: Dim | undefined, message: string);
}
/**
 * `BudgetBuilder.build()` refused the declaration. Checked in a fixed order:
 * the first duplicate declaration (`DUPLICATE_DIMENSION`), then an empty
 * budget (`NO_DIMENSIONS`), then each dimension in {@link DIMS} order, a zero
 * limit (`ZERO_LIMIT`) before a warn threshold not strictly below its limit
 * (`WARN_NOT_BELOW_LIMIT`).
 */
export declare class BuilderError extends BudgetError {
    readonly code: BuilderErrorCode;
}
/**
 * A charge named a dimension the budget does not declare
 * (`UNKNOWN_DIMENSION`). Nothing was charged.
 */
export declare class ChargeError extends BudgetError {
    readonly code: ChargeErrorCode;
}
/**
 * Codes of {@link StoreError}, raised by the shared stores (`budgetkernel/redis`):
 *
 * - `NO_BUDGET`: no budget exists at the key (never created, deleted, or its `ttlMs` ran out);
 * - `STORE_UNAVAILABLE`: the store did not answer within `timeoutMs`, the
 *   connection failed, or the server refused the command (for example out of
 *   memory). The operation may or may not have been applied: retry it with the
 *   same `requestId`;
 * - `REQUEST_ID_CONFLICT`: the `requestId` was already used, within its time to
 *   live, by an operation with a different payload. Nothing was applied;
 * - `CHECKPOINT_TOO_LARGE`: a checkpoint has more entries than the store takes
 *   in one script call (`MAX_ENTRIES`). Nothing was sent;
 * - `UNSAFE_EVICTION_POLICY`: the server's `maxmemory-policy` is not
 *   `noeviction`, so it may evict budgets and stored results (a quota reset,
 *   a double charge). Nothing was sent; pass `allowEviction: true` to accept it;
 * - `NOT_REPLICATED`: the write was applied on the primary (`applied: true`)
 *   but fewer replicas (or AOF fsyncs) than `replicas` acknowledged it within
 *   `replicaTimeoutMs`; a failover now may lose it.
 */
export type StoreErrorCode = 'NO_BUDGET' | 'STORE_UNAVAILABLE' | 'REQUEST_ID_CONFLICT' | 'CHECKPOINT_TOO_LARGE' | 'UNSAFE_EVICTION_POLICY' | 'NOT_REPLICATED';
/**
 * A shared store could not carry out an operation (see {@link StoreErrorCode}).
 * `dim` is always `undefined`; a `STORE_UNAVAILABLE` error carries the
 * client's or the server's error as `cause` when there was one.
 */
export declare class StoreError extends BudgetError {
    readonly code: StoreErrorCode;
    /** `true` when the store knows the write was applied (`NOT_REPLICATED`); `undefined` otherwise. */
    readonly applied: true | undefined;
    constructor(code: StoreErrorCode, message: string, cause?: unknown, applied?: true);
}
/** The code of a {@link ReleasedError}. */
export type ReleasedErrorCode = 'BUDGET_RELEASED';
/**
 * A method was called on a `Budget` after `release()` (or the end of its
 * `using` block). Every method of a released budget throws this, whatever
 * its arguments, and changes nothing; `release()` itself may be called again
 * and does nothing. Not a {@link BudgetError}: it reports a lifetime mistake
 * in the calling code, not a rule of the kernel.
 */
export declare class ReleasedError extends Error {
    /** Always `'BUDGET_RELEASED'`. */
    readonly code: ReleasedErrorCode;
    /** The addon throws these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(message?: string);
}
/** The code of a {@link CapacityError}. */
export type CapacityErrorCode = 'TABLE_FULL';
/**
 * The engine had no room for what a call needed: another budget
 * (`build()`, `clone()`, `run()`), or the scratch space a `chargeBatch`
 * copies its arrays into. On the WebAssembly engine this is its memory's
 * maximum (1 GiB); on the native addon, 2^32 budgets on one thread.
 * Nothing was created or charged, every existing budget works on, and
 * releasing budgets makes room again. Not a {@link BudgetError}: it
 * reports a resource limit, not a rule of the kernel.
 */
export declare class CapacityError extends Error {
    /** Always `'TABLE_FULL'`. */
    readonly code: CapacityErrorCode;
    /** The facade throws these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(message?: string);
}
/** The code of a {@link BudgetExhaustedError}. */
export type BudgetExhaustedErrorCode = 'BUDGET_EXHAUSTED';
/**
 * The reason `budget.signal` aborts with: a charge on the budget returned
 * `exhausted` on {@link BudgetExhaustedError.dim}. `fetch`, timers and
 * streams that take the signal reject with this very object. Not a
 * {@link BudgetError}: nothing was refused (the charge was applied and
 * returned its verdict); it reports that work should stop.
 */
export declare class BudgetExhaustedError extends Error {
    /** Always `'BUDGET_EXHAUSTED'`. */
    readonly code: BudgetExhaustedErrorCode;
    /** The dimension the exhausting charge passed the limit of. */
    readonly dim: Dim;
    /** The facade makes these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(dim: Dim, message?: string);
}
