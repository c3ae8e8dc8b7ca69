export { DIMS, MAX_DIMS, type Dim } from './dims';
export type { Amount } from './amounts';
export { worst, isContinuing, isExhausted, type Verdict } from './verdicts';
export { BudgetError, BuilderError, ChargeError, ReleasedError, type BudgetErrorCode, type BuilderErrorCode, type ChargeErrorCode, type ReleasedErrorCode, } from './errors';
export type { EngineName } from './engine';
