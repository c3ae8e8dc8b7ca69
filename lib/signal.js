"use strict";
// `budget.signal`: an AbortSignal that aborts the first time a charge on a
// budget returns `exhausted`, with a BudgetExhaustedError as its reason.
//
// One implementation for every kind of budget: `Budget` (either engine)
// creates an ExhaustionSignal only when `signal` is first read, seeded with
// the kernel's current state (`exhaustedDim`), and trips it where a charge
// returns an `exhausted` verdict; a budget that never reads `signal` holds
// no ExhaustionSignal and no AbortController. Other budgets (the leased
// ones of budgetkernel/redis) may hold one from the start: its
// AbortController is still made only when `signal` is read.
Object.defineProperty(exports, "__esModule", { value: true });
exports.ExhaustionSignal = void 0;
exports.exhaustedDim = exhaustedDim;
const dims_1 = require("./dims");
const errors_1 = require("./errors");
const verdicts_1 = require("./verdicts");
/**
 * The abort state of one budget: whether (and on which dimension) a charge
 * has exhausted it since it was made or last reset, and the AbortController
 * of its `signal`, made on first read.
 *
 * An aborted signal stays aborted (AbortSignal has no way back): after the
 * budget's `reset()`, {@link ExhaustionSignal.reset} forgets an aborted
 * controller, so that the next read of `signal` makes a fresh one, while
 * code holding the old signal still sees it aborted. A signal that has not
 * aborted is kept across a reset: it aborts on the next exhaustion, as a
 * fresh one would.
 *
 * @internal
 */
class ExhaustionSignal {
    #controller = undefined;
    /** The dimension of the first exhausting charge since the last reset, if any. */
    #dim;
    /** @param dim - a dimension already exhausted when this is made (the signal is then born aborted). */
    constructor(dim) {
        this.#dim = dim;
    }
    /** The signal, made on first read; already aborted if the budget was exhausted before. */
    get signal() {
        let controller = this.#controller;
        if (controller === undefined) {
            controller = new AbortController();
            this.#controller = controller;
            const dim = this.#dim;
            if (dim !== undefined)
                controller.abort(new errors_1.BudgetExhaustedError(dim));
        }
        return controller.signal;
    }
    /** Whether a charge has exhausted the budget since it was made or last reset. */
    get tripped() {
        return this.#dim !== undefined;
    }
    /**
     * A charge returned `exhausted` on `dim`: aborts the signal, the first
     * time only, with `new BudgetExhaustedError(dim)`. The signal's `abort`
     * listeners run now, synchronously, before the charge returns.
     */
    trip(dim) {
        if (this.#dim !== undefined)
            return;
        // Recorded before aborting: a listener that charges again re-enters here and returns.
        this.#dim = dim;
        this.#controller?.abort(new errors_1.BudgetExhaustedError(dim));
    }
    /** The budget's counters were zeroed: an aborted signal is let go (see the class). */
    reset() {
        if (this.#dim === undefined)
            return;
        this.#dim = undefined;
        this.#controller = undefined;
    }
}
exports.ExhaustionSignal = ExhaustionSignal;
/**
 * The first dimension, in {@link DIMS} order, that the budget at `handle`
 * has spent past its limit, or `undefined`. A budget is past a limit
 * exactly when a charge since its creation (or a clone's original's) or its
 * last reset returned `exhausted`: spent counters only grow (saturating)
 * until a reset, and a charge that passes a limit always returns
 * `exhausted`. Zero charges are polls: they change nothing.
 *
 * @internal
 */
function exhaustedDim(engine, handle) {
    for (let index = 0; index < dims_1.DIMS.length; index++) {
        // spent() is null for an undeclared dimension (and records no failure).
        if (engine.spent(handle, index) === null)
            continue;
        if (engine.charge(handle, index, 0) >= verdicts_1.EXHAUSTED)
            return dims_1.DIMS[index];
    }
    return undefined;
}
