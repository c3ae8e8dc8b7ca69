/**
 * The replay trace logic, kept apart from argv and I/O so it can be driven
 * in-process: line splitting, JSON validation with the exact messages of
 * docs/TRACE_FORMAT.md, amount parsing, executing one operation against a
 * Budget and formatting the JSON output line.
 *
 * Everything here goes through the package's public API only, on the engine
 * ./engine.ts selected.
 */
import type { Amount, Budget, Dim, Verdict } from '../index';
/** One declared dimension of a `build` line. */
export interface LimitSpec {
    dim: Dim;
    limit: Amount;
    warn: Amount | undefined;
}
/** A validated operation. */
export type Op = {
    op: 'build';
    limits: LimitSpec[];
} | {
    op: 'charge';
    dim: Dim;
    amount: Amount;
} | {
    op: 'chargeMany';
    charges: Array<[Dim, Amount]>;
} | {
    op: 'spent';
    dim: Dim;
} | {
    op: 'remaining';
    dim: Dim;
} | {
    op: 'reset';
};
/** What one non-blank line produced. */
export type Outcome = {
    kind: 'invalid';
    line: number;
    message: string;
} | {
    kind: 'ok';
    line: number;
    op: Op;
} | {
    kind: 'error';
    line: number;
    op: Op;
    code: string;
    dim: Dim | undefined;
} | {
    kind: 'verdict';
    line: number;
    op: Op;
    verdict: Verdict;
} | {
    kind: 'value';
    line: number;
    op: Op;
    value: bigint | undefined;
};
/** Containers nested deeper than this make a line `invalid JSON`. */
export declare const MAX_DEPTH = 64;
/** True when the line is made only of spaces, tabs and carriage returns. */
export declare function isBlank(line: string): boolean;
/**
 * Splits a byte stream into lines at `\n`, decoding UTF-8 with U+FFFD
 * replacement (a leading byte order mark is kept, not stripped). Chunks may
 * cut multi-byte sequences anywhere. A final line without `\n` is emitted by
 * `end()` when it is not empty.
 */
export declare class LineSplitter {
    private readonly decoder;
    /** Text of the current, unfinished line. */
    private pending;
    push(chunk: Uint8Array, onLine: (line: string) => void): void;
    end(onLine: (line: string) => void): void;
    private feed;
}
/**
 * Rejects what JSON.parse accepts but a strict parser (the Rust twin's
 * serde_json) refuses: numbers too large for a double (parsed as ±Infinity),
 * strings or keys that are not well-formed UTF-16 (lone surrogates from
 * `\u` escapes), and containers nested deeper than 64.
 * Iterative, so a deep value cannot exhaust the stack.
 */
export declare function isStrictJson(root: unknown): boolean;
/**
 * Parses an amount field: a JSON number holding an integer in 0..=2^53-1
 * (returned as a number, -0 as 0) or a canonical decimal string up to 2^64-1
 * (returned as a bigint).
 */
export declare function parseAmount(value: unknown, path: string): Amount;
/**
 * Parses and validates one non-blank line. A string field `note` is handed
 * back for display (the pretty table shows it); like every other extra field
 * it has no effect on the JSON output.
 */
export declare function parseLine(line: string): {
    ok: true;
    op: Op;
    note: string | undefined;
} | {
    ok: false;
    message: string;
};
/**
 * Holds the current budget between lines and executes validated operations
 * against it.
 */
export declare class Replayer {
    /** The current budget, once a build succeeded. */
    budget: Budget | undefined;
    /** The declaration of the current budget. */
    limits: LimitSpec[];
    /** Physical lines seen so far, blank ones included. */
    lines: number;
    /** Lines that were INVALID_INPUT. */
    invalid: number;
    /** The `note` of the last valid line, if it had one. */
    note: string | undefined;
    /** Feeds the next physical line. Returns undefined for a blank line. */
    line(text: string): Outcome | undefined;
    /**
     * Counts and parses the next physical line: undefined for a blank line,
     * the `invalid` outcome, or the validated operation still to execute.
     * Every engine shares this step (the Redis replayer executes the
     * operation asynchronously, see ./replay-redis.ts).
     */
    prepare(text: string): {
        kind: 'invalid';
        line: number;
        message: string;
    } | {
        kind: 'op';
        line: number;
        op: Op;
    } | undefined;
    /** Executes a validated operation. */
    execute(op: Op, line: number): Outcome;
    private build;
}
/** The JSON output line for an outcome, without the trailing newline. */
export declare function formatOutcome(outcome: Outcome): string;
/**
 * Replays a whole trace held in memory and returns the JSON Lines output and
 * the exit status (0, or 1 when a line was invalid). For tests and small
 * inputs; the CLI streams instead.
 */
export declare function replayText(input: string | Uint8Array): {
    output: string;
    status: 0 | 1;
};
