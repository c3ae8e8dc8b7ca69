"use strict";
// The kernel's refusals as JavaScript errors, with a stable `code`.
Object.defineProperty(exports, "__esModule", { value: true });
exports.BudgetExhaustedError = exports.CapacityError = exports.ReleasedError = exports.StoreError = exports.ChargeError = exports.BuilderError = exports.BudgetError = void 0;
/**
 * A rule of the kernel was refused. Bad values (wrong types, out-of-range
 * amounts) are `TypeError`/`RangeError` instead; a `BudgetError` means the
 * values were fine but the declaration or the charge is not allowed.
 *
 * Match on {@link BudgetError.code}, not on the message.
 */
class BudgetError extends Error {
    /** Which rule was refused. */
    code;
    /** The dimension involved; `undefined` only for `NO_DIMENSIONS`. */
    dim;
    /**
     * The addon throws these itself; the constructor is public so that
     * adapters and tests can make the same errors.
     */
    constructor(code, dim, message) {
        super(message);
        this.code = code;
        this.dim = dim;
    }
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'BudgetError', writable: true, configurable: true });
    }
}
exports.BudgetError = BudgetError;
/**
 * `BudgetBuilder.build()` refused the declaration. Checked in a fixed order:
 * the first duplicate declaration (`DUPLICATE_DIMENSION`), then an empty
 * budget (`NO_DIMENSIONS`), then each dimension in {@link DIMS} order, a zero
 * limit (`ZERO_LIMIT`) before a warn threshold not strictly below its limit
 * (`WARN_NOT_BELOW_LIMIT`).
 */
class BuilderError extends BudgetError {
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'BuilderError', writable: true, configurable: true });
    }
}
exports.BuilderError = BuilderError;
/**
 * A charge named a dimension the budget does not declare
 * (`UNKNOWN_DIMENSION`). Nothing was charged.
 */
class ChargeError extends BudgetError {
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'ChargeError', writable: true, configurable: true });
    }
}
exports.ChargeError = ChargeError;
/**
 * A shared store could not carry out an operation (see {@link StoreErrorCode}).
 * `dim` is always `undefined`; a `STORE_UNAVAILABLE` error carries the
 * client's or the server's error as `cause` when there was one.
 */
class StoreError extends BudgetError {
    /** `true` when the store knows the write was applied (`NOT_REPLICATED`); `undefined` otherwise. */
    applied;
    constructor(code, message, cause, applied) {
        super(code, undefined, message);
        this.applied = applied;
        if (cause !== undefined) {
            Object.defineProperty(this, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
        }
    }
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'StoreError', writable: true, configurable: true });
    }
}
exports.StoreError = StoreError;
/**
 * A method was called on a `Budget` after `release()` (or the end of its
 * `using` block). Every method of a released budget throws this, whatever
 * its arguments, and changes nothing; `release()` itself may be called again
 * and does nothing. Not a {@link BudgetError}: it reports a lifetime mistake
 * in the calling code, not a rule of the kernel.
 */
class ReleasedError extends Error {
    /** Always `'BUDGET_RELEASED'`. */
    code = 'BUDGET_RELEASED';
    /** The addon throws these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(message = 'budgetkernel: this budget was released (release() or the end of its `using` block); it cannot be used any more') {
        super(message);
    }
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'ReleasedError', writable: true, configurable: true });
    }
}
exports.ReleasedError = ReleasedError;
/**
 * The engine had no room for what a call needed: another budget
 * (`build()`, `clone()`, `run()`), or the scratch space a `chargeBatch`
 * copies its arrays into. On the WebAssembly engine this is its memory's
 * maximum (1 GiB); on the native addon, 2^32 budgets on one thread.
 * Nothing was created or charged, every existing budget works on, and
 * releasing budgets makes room again. Not a {@link BudgetError}: it
 * reports a resource limit, not a rule of the kernel.
 */
class CapacityError extends Error {
    /** Always `'TABLE_FULL'`. */
    code = 'TABLE_FULL';
    /** The facade throws these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(message = 'budgetkernel: the engine has no room for this call (its budget table or memory is full); release budgets you no longer need') {
        super(message);
    }
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'CapacityError', writable: true, configurable: true });
    }
}
exports.CapacityError = CapacityError;
/**
 * The reason `budget.signal` aborts with: a charge on the budget returned
 * `exhausted` on {@link BudgetExhaustedError.dim}. `fetch`, timers and
 * streams that take the signal reject with this very object. Not a
 * {@link BudgetError}: nothing was refused (the charge was applied and
 * returned its verdict); it reports that work should stop.
 */
class BudgetExhaustedError extends Error {
    /** Always `'BUDGET_EXHAUSTED'`. */
    code = 'BUDGET_EXHAUSTED';
    /** The dimension the exhausting charge passed the limit of. */
    dim;
    /** The facade makes these itself; the constructor is public so that adapters and tests can make the same error. */
    constructor(dim, message = `budgetkernel: the budget is exhausted (${dim} passed its limit)`) {
        super(message);
        this.dim = dim;
    }
    static {
        Object.defineProperty(this.prototype, 'name', { value: 'BudgetExhaustedError', writable: true, configurable: true });
    }
}
exports.BudgetExhaustedError = BudgetExhaustedError;
