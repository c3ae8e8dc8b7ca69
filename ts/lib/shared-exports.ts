// What both entry points (budgetkernel and budgetkernel/wasm) export beyond
// their engine-bound classes: the same modules, so the same objects (the 17
// verdicts, the error classes) whichever entry a caller uses.

export { DIMS, MAX_DIMS, type Dim } from './dims'
export type { Amount } from './amounts'
export { worst, isContinuing, isExhausted, type Verdict } from './verdicts'
export {
  BudgetError,
  BudgetExhaustedError,
  BuilderError,
  CapacityError,
  ChargeError,
  ReleasedError,
  type BudgetErrorCode,
  type BudgetExhaustedErrorCode,
  type BuilderErrorCode,
  type CapacityErrorCode,
  type ChargeErrorCode,
  type ReleasedErrorCode,
} from './errors'
export type { EngineName } from './engine'
