/**
 * The `--pretty` renderer: a numbered table of steps, each with its op, a
 * short description and its result, a spent/limit bar per declared dimension
 * after every charge, and a summary. Laid out for an 80-column terminal
 * (lines never exceed WIDTH columns). Colour is optional and decided by the
 * caller; text taken from the trace is escaped so it cannot drive the
 * terminal.
 */
import type { Amount } from '../index';
import type { LimitSpec, Outcome, Replayer } from './replay';
/** Widest line printed. */
export declare const WIDTH = 78;
type Style = 'green' | 'yellow' | 'red' | 'dim' | 'bold';
/** Groups the digits of a non-negative integer by thousands: 1234567 → 1,234,567. */
export declare function grouped(value: Amount): string;
/**
 * A short form for bars: grouped up to 9,999,999, then three significant
 * digits with a suffix (12.3M, 456G, 18.4E). Never wider than 9 columns.
 */
export declare function compact(value: bigint): string;
/** spent/limit as a percentage with one decimal, truncated; `>999%` beyond. */
export declare function percent(spent: bigint, limit: bigint): string;
/**
 * Display width of a string in a terminal: East Asian wide characters and
 * emoji take two columns, combining marks none.
 */
export declare function displayWidth(text: string): number;
/** Cuts text to at most `width` columns, ending with … when cut. */
export declare function truncate(text: string, width: number): string;
/**
 * Escapes characters that a terminal could act on (C0/C1 controls, DEL),
 * and invisible direction and separator characters, as \uXXXX.
 */
export declare function sanitize(text: string): string;
/**
 * Renders the pretty table. Feed it every outcome with `step`, then call
 * `summary` once at the end.
 */
export declare class PrettyPrinter {
    readonly color: boolean;
    readonly title: string;
    steps: number;
    readonly counts: {
        continue: number;
        warn: number;
        exhausted: number;
        ok: number;
        value: number;
        error: number;
        invalid: number;
    };
    readonly invalidLines: number[];
    constructor(options: {
        color: boolean;
        title: string;
    });
    paint(text: string, style: Style | undefined): string;
    rule(): string;
    header(): string;
    /** One step: its numbered line and, depending on the op, the lines under it. */
    step(outcome: Outcome, replayer: Replayer): string;
    /** The result column text and its colour. */
    result(outcome: Outcome): [string, Style | undefined];
    /** A bar per declared dimension of the current budget, in declaration order. */
    bars(replayer: Replayer, indent?: string): string;
    bar(spec: LimitSpec, spent: bigint): string;
    summary(replayer: Replayer): string;
}
export {};
