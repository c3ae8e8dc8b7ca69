/**
 * `budgetkernel/redis`: budgets shared by processes and machines, kept in
 * Redis with the in-process kernel's exact semantics.
 *
 * The store reuses the package's own modules (dimension names, amount
 * validation, the 17 shared verdict objects, the error classes, and the
 * kernel's builder to validate declarations), so a verdict from Redis is
 * `===` to the same verdict from a `Budget`. It has no dependency of its own:
 * pass your ioredis or node-redis client.
 *
 * @packageDocumentation
 */

export {
  RedisBudgets,
  type BudgetSnapshot,
  type ChargeOptions,
  type CreateOptions,
  type Declaration,
  type DimDeclaration,
  type DimSnapshot,
  type RedisBudgetsOptions,
  type WriteOptions,
  MAX_ENTRIES,
} from './lib/redis/store'
export { LeasedBudget, type LeaseOptions } from './lib/redis/lease'
export type { IoredisLike, NodeRedisLike, RedisClientLike } from './lib/redis/client'
export { StoreError, type StoreErrorCode } from './lib/errors'
export { DIMS, type Dim } from './lib/dims'
export type { Amount } from './lib/amounts'
export { worst, isContinuing, isExhausted, type Verdict } from './lib/verdicts'
export { BudgetError, BudgetExhaustedError, BuilderError, CapacityError, ChargeError, type BudgetErrorCode } from './lib/errors'
