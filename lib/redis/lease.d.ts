import { type Amount } from '../amounts';
import { type Dim } from '../dims';
import { type Verdict } from '../verdicts';
import { type Script } from './client';
import { type Declaration } from './store';
export declare const GRANT_SCRIPT: Script;
/** What the store hands a lease: its script runner (with the store's timeout and errors) and its request ids. */
export interface LeaseStore {
    readonly call: (s: Script, keys: readonly string[], args: readonly string[]) => Promise<unknown>;
    /** The Redis key of request id `id` in the budget's slot. */
    readonly requestKey: (id: string) => string;
    /** How long a request's result is kept (ms, decimal): the store's `requestTtlMs`. */
    readonly requestTtl: string;
    /** Called once before the first grant: creates the budget if absent. */
    readonly ensure?: (() => Promise<unknown>) | undefined;
}
/** Options of `RedisBudgets.lease`. */
export interface LeaseOptions {
    /** Largest reservation asked for per dimension and refill (default 100). */
    readonly chunk?: number | undefined;
    /** A reservation's time to live in milliseconds (default 10,000). */
    readonly ttlMs?: number | undefined;
    /** This holder's id (default random); no ':'. */
    readonly holder?: string | undefined;
    /** Creates the budget with this declaration (if absent) before the first grant; an existing budget is used as it is. */
    readonly createWith?: Declaration | undefined;
    /** The time to live of a budget `createWith` creates (default none). */
    readonly createTtlMs?: number | undefined;
}
declare global {
    interface SymbolConstructor {
        readonly asyncDispose: unique symbol;
    }
    interface AbortSignal {
    }
}
/**
 * A holder's lease on a shared budget: the charging surface of `Budget`,
 * decided locally by the in-process kernel while the reservation lasts.
 * Create with `store.lease()`.
 */
export declare class LeasedBudget {
    #private;
    readonly key: string;
    readonly holder: string;
    /** Script calls made (round trips to the store). */
    refills: number;
    /** Decides locally, or `undefined` when the store must decide (no I/O either way). */
    tryCharge(dim: Dim, amount: Amount): Verdict | undefined;
    /** Decides a checkpoint locally (the kernel approves it within the reservation), or `undefined`. */
    tryChargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | undefined;
    /** The local verdict, or one store call that decides it and refills. */
    charge(dim: Dim, amount: Amount): Verdict | Promise<Verdict>;
    chargeMany(charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>): Verdict | Promise<Verdict>;
    /** What this holder has charged to `dim` (every verdict counted), `0` if never; a number, exact up to 2^53 - 1. */
    spent(dim: Dim): number;
    /** What is left of this holder's local reservation on `dim` (the local kernel's headroom). */
    remaining(dim: Dim): number;
    /**
     * An AbortSignal that aborts, with a `BudgetExhaustedError` naming the
     * dimension, the first time a charge of this lease returns `exhausted`
     * (as `Budget.signal`; made on first read). Local refusals beyond the
     * reservation are not verdicts and do not abort it.
     */
    get signal(): AbortSignal;
    /** Reports usage and returns the unused reservation; the lease refuses afterwards. */
    release(): Promise<void>;
    [Symbol.asyncDispose](): Promise<void>;
}
