/** A short, safe rendering of a caller's value for error messages. */
export declare function describe(value: unknown): string;
