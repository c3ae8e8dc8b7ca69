// The eight dimensions: names, kernel order, and name-to-index mapping.

import { describe } from './values'

/** One of the eight fixed dimensions a budget can declare, in kernel order. */
export type Dim = 'tokens' | 'millis' | 'bytes' | 'calls' | 'memory' | 'custom0' | 'custom1' | 'custom2'

/** The dimensions in kernel index order; `chargeBatch` takes indexes into it. */
export const DIMS: readonly Dim[] = Object.freeze([
  'tokens',
  'millis',
  'bytes',
  'calls',
  'memory',
  'custom0',
  'custom1',
  'custom2',
] as const)

/** How many dimensions exist (8). */
export const MAX_DIMS: number = DIMS.length

export const DIM_LIST = DIMS.map((dim) => `'${dim}'`).join(', ')

/** The kernel index of a dimension name, or -1 for anything else. */
export function dimIndexOf(dim: unknown): number {
  // A switch, not an object lookup: no prototype keys ('toString',
  // '__proto__') can match, Object.prototype pollution cannot add names,
  // and V8 compiles it to a handful of pointer comparisons.
  switch (dim) {
    case 'tokens':
      return 0
    case 'millis':
      return 1
    case 'bytes':
      return 2
    case 'calls':
      return 3
    case 'memory':
      return 4
    case 'custom0':
      return 5
    case 'custom1':
      return 6
    case 'custom2':
      return 7
    default:
      return -1
  }
}

export function dimTypeError(dim: unknown, what: string): TypeError {
  return new TypeError(`${what} must be one of ${DIM_LIST}, got ${describe(dim)}`)
}

/** The kernel index of a dimension name; a `TypeError` naming `what` for anything else. */
export function dimIndex(dim: unknown, what: string): number {
  const index = dimIndexOf(dim)
  if (index < 0) throw dimTypeError(dim, what)
  return index
}
