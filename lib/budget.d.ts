import { type Amount } from './amounts';
import { type Dim } from './dims';
import { type Verdict } from './verdicts';
declare global {
    interface SymbolConstructor {
        readonly dispose: unique symbol;
    }
}
export declare function entryDim(name: unknown, entry: number | string): number;
export declare function pairOf(charges: readonly unknown[], i: number): readonly unknown[];
/**
 * The amount a `for…in` key of an object checkpoint contributes, or
 * `undefined` when the key is not an entry: an inherited key, or an own key
 * whose value is `undefined`. The one rule of which keys count, for every
 * engine that takes the object form.
 */
export declare function recordEntry(record: Readonly<Record<string, unknown>>, key: string): unknown;
/**
 * A budget: declared limits over some of the eight dimensions, and what has
 * been spent on each.
 *
 * Create one with {@link Budget.builder}; for one budget per request, build a
 * template once and {@link Budget.clone} it per request (about twice as
 * fast). Budgets belong to the thread (main or worker) that made them.
 *
 * A budget's native memory is freed by {@link Budget.release}, or by
 * `using` (it implements `Symbol.dispose`), or else by the garbage collector
 * some time after the object becomes unreachable, which needs the event loop
 * to turn. Release budgets made in a synchronous loop; after release every
 * method throws a {@link ReleasedError}.
 *
 * @example
 * ```ts
 * const budget = Budget.builder()
 *   .limitWithWarn('tokens', 100_000, 80_000)
 *   .limit('calls', 50)
 *   .build()
 * const verdict = budget.charge('tokens', 12_500)
 * if (verdict.kind === 'exhausted') stop(verdict.dim)
 * ```
 */
export declare class Budget {
    #private;
    /**
     * Budgets come from {@link Budget.builder}, {@link Budget.clone} and
     * {@link Budget.run}; calling `new Budget()` throws a `TypeError`.
     */
    private constructor();
    /** Starts declaring a budget. */
    static builder(): BudgetBuilder;
    /**
     * Charges `amount` to `dim` and returns the verdict.
     *
     * Spent becomes `spent + amount`, saturating at `2n ** 64n - 1n`, and is
     * updated even when the charge exhausts the budget. Then: `exhausted` if
     * spent > limit, else `warn` if a warn threshold exists and spent > warn,
     * else `continue`. A zero amount is a poll: it reports the current state.
     *
     * @throws {TypeError} `dim` is not a dimension name, or `amount` is not a number or a bigint.
     * @throws {RangeError} `amount` is negative, fractional, NaN, infinite, above
     *   `Number.MAX_SAFE_INTEGER` as a number, or above `2n ** 64n - 1n`.
     * @throws {ChargeError} `UNKNOWN_DIMENSION`: the budget does not declare `dim`.
     *   Nothing is charged when anything is thrown.
     * @throws {ReleasedError} the budget was released (whatever the arguments).
     */
    charge(dim: Dim, amount: Amount): Verdict;
    /**
     * Charges several dimensions as one atomic checkpoint and returns the
     * {@link worst} of their verdicts (`continue` for no charges).
     *
     * Accepts `[dim, amount]` pairs, applied in array order, or an object such
     * as `{ tokens: 1523, calls: 1 }`, applied in property order (a plain
     * object: every own enumerable string key must name a dimension; a key
     * whose value is `undefined` and symbol keys are skipped; a Map, a class
     * instance or an object with a prototype other than `Object.prototype` or
     * `null` is refused). Every
     * entry is validated before any is applied: if one is refused, nothing is
     * charged. Type and range errors are reported before a `ChargeError`.
     *
     * @throws {TypeError} an entry is not a `[dim, amount]` pair, names no dimension, or has a non-numeric amount.
     * @throws {RangeError} an amount is out of range (see {@link Amount}).
     * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension.
     * @throws {ReleasedError} the budget was released (checked first: no entry is read).
     */
    chargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict;
    /**
     * Charges `amounts[i]` to dimension `DIMS[dims[i]]` for every `i`, as one
     * atomic checkpoint, in a single call into native code: the fastest way to
     * charge many things. Returns the {@link worst} verdict (`continue` when
     * empty). Every entry is validated before any is applied.
     *
     * @param dims - dimension indexes into {@link DIMS}.
     * @param amounts - amounts as numbers (safe integers) or as 64-bit unsigned bigints.
     * @throws {TypeError} `dims` is not a `Uint8Array`, `amounts` neither a `Float64Array` nor a
     *   `BigUint64Array`, or either is backed by a `SharedArrayBuffer` (another thread could change it mid-call).
     * @throws {RangeError} the lengths differ, an index is 8 or more, or a number amount is not a safe non-negative integer.
     * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension.
     * @throws {ReleasedError} the budget was released (checked first).
     * @throws {CapacityError} `TABLE_FULL`: the engine has no room to copy the arrays
     *   into (the wasm engine's memory is at its maximum); nothing was charged.
     */
    chargeBatch(dims: Uint8Array, amounts: Float64Array | BigUint64Array): Verdict;
    /**
     * What has been spent on `dim`: `0n` if declared but never charged,
     * `undefined` if `dim` is not declared.
     *
     * @throws {TypeError} `dim` is not a dimension name.
     * @throws {ReleasedError} the budget was released (checked first).
     */
    spent(dim: Dim): bigint | undefined;
    /**
     * The headroom left on `dim`, `limit - spent` floored at `0n`;
     * `undefined` if `dim` is not declared.
     *
     * @throws {TypeError} `dim` is not a dimension name.
     * @throws {ReleasedError} the budget was released (checked first).
     */
    remaining(dim: Dim): bigint | undefined;
    /**
     * Zeroes every spent counter; limits and warn thresholds stay.
     *
     * @throws {ReleasedError} the budget was released.
     */
    reset(): void;
    /**
     * An `AbortSignal` that aborts the first time a charge on this budget
     * (`charge`, `chargeMany` or `chargeBatch`) returns `exhausted`, with a
     * {@link BudgetExhaustedError} of that verdict's `dim` as its `reason`.
     * Pass it to `fetch`, timers, streams or anything that takes a signal.
     *
     * - Made on first read: a budget that never reads it pays nothing.
     *   Read when the budget is already past a limit, it is already aborted
     *   (`reason.dim` is the first such dimension in {@link DIMS} order).
     * - It aborts once, during the exhausting charge (its `abort` listeners
     *   run before the charge returns its verdict); later charges, warnings
     *   and refused calls (which change nothing) never abort it.
     * - After {@link Budget.reset} an aborted signal stays aborted, and the
     *   next read returns a fresh one; a signal not yet aborted is kept.
     * - A clone (and a `run()` scope's budget) has its own signal, which
     *   starts aborted if the clone starts past a limit.
     * - {@link Budget.release} never aborts it.
     *
     * @throws {ReleasedError} the budget was released.
     */
    get signal(): AbortSignal;
    /**
     * An independent copy: same limits, warn thresholds and spent counters.
     * Charging one never affects the other. The copy has its own lifetime:
     * releasing either leaves the other usable.
     *
     * @throws {ReleasedError} the budget was released.
     * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget.
     */
    clone(): Budget;
    /**
     * Calls `fn` with a fresh clone of this budget (see {@link Budget.clone})
     * and releases the clone when `fn` returns or throws, or, when `fn`
     * returns a promise (any thenable), when it settles. Returns what `fn`
     * returns: its value, or a promise of the same outcome, settled after the
     * release. The clone is never registered for garbage collection, which
     * makes a per-request budget several times cheaper than `clone()` and
     * `release()`.
     *
     * The clone belongs to the scope: kept past it, every method throws a
     * {@link ReleasedError}, as after {@link Budget.release}. A promise that
     * never settles keeps its clone until the process ends.
     *
     * @example
     * ```ts
     * const reply = await template.run(async (budget) => {
     *   budget.charge('calls', 1)
     *   return handle(request, budget)
     * })
     * ```
     * @throws {TypeError} `fn` is not a function (nothing is cloned).
     * @throws {ReleasedError} this budget was released.
     * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget (`fn` is not called).
     */
    run<T>(fn: (budget: Budget) => T): T;
    /**
     * Frees the budget's native memory now, instead of when the garbage
     * collector gets to it. Idempotent: a second call does nothing. Afterwards
     * every other method throws a {@link ReleasedError} and changes nothing.
     * `using budget = template.clone()` calls this at the end of the block.
     */
    release(): void;
    /** {@link Budget.release}: what `using` calls when its block ends. */
    [Symbol.dispose](): void;
    /** Whether {@link Budget.release} (or `using`) has released this budget. */
    get released(): boolean;
}
/** An object literal or a null-prototype object: no Map, Set, class instance or inherited keys. */
export declare function isPlainObject(value: unknown): boolean;
/**
 * Declares a budget, one dimension at a time, then {@link BudgetBuilder.build}s it.
 *
 * `limit` and `limitWithWarn` check their arguments at once (a bad name or
 * value throws and leaves the builder unchanged); the kernel's structural
 * rules are checked by `build`. A builder can build any number of
 * independent budgets.
 */
export declare class BudgetBuilder {
    #private;
    /** An empty declaration, on the engine of the entry point the class came from. */
    constructor();
    /**
     * Declares `dim` with an inclusive `limit` and no warn threshold.
     *
     * @throws {TypeError} `dim` is not a dimension name, or `limit` is not a number or a bigint.
     * @throws {RangeError} `limit` is out of range (see {@link Amount}).
     */
    limit(dim: Dim, limit: Amount): this;
    /**
     * Declares `dim` with an inclusive `limit` and a warn threshold: charges
     * that leave spent above `warn` (strictly) but within the limit return
     * `warn`. `warn` must be below `limit` (checked by `build`); `0` warns on
     * any positive spend.
     *
     * @throws {TypeError} `dim` is not a dimension name, or an amount is not a number or a bigint.
     * @throws {RangeError} an amount is out of range (see {@link Amount}).
     */
    limitWithWarn(dim: Dim, limit: Amount, warn: Amount): this;
    /**
     * Validates the declaration and returns a new budget with nothing spent.
     *
     * @throws {BuilderError} `DUPLICATE_DIMENSION`, `NO_DIMENSIONS`,
     *   `ZERO_LIMIT` or `WARN_NOT_BELOW_LIMIT`, in that order of precedence.
     * @throws {CapacityError} `TABLE_FULL`: the engine has no room for another budget.
     */
    build(): Budget;
}
