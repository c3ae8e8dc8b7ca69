/** One of the eight fixed dimensions a budget can declare, in kernel order. */
export type Dim = 'tokens' | 'millis' | 'bytes' | 'calls' | 'memory' | 'custom0' | 'custom1' | 'custom2';
/** The dimensions in kernel index order; `chargeBatch` takes indexes into it. */
export declare const DIMS: readonly Dim[];
/** How many dimensions exist (8). */
export declare const MAX_DIMS: number;
export declare const DIM_LIST: string;
/** The kernel index of a dimension name, or -1 for anything else. */
export declare function dimIndexOf(dim: unknown): number;
export declare function dimTypeError(dim: unknown, what: string): TypeError;
/** The kernel index of a dimension name; a `TypeError` naming `what` for anything else. */
export declare function dimIndex(dim: unknown, what: string): number;
