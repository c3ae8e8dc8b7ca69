// The CommonJS way in: `require` with types, as a .cts file (always CJS).

import bk = require('../../index.js')

const budget: bk.Budget = bk.Budget.builder().limitWithWarn('tokens', 100, 80).build()
const verdict: bk.Verdict = budget.charge('tokens', 81)
const dim: bk.Dim | undefined = verdict.kind === 'continue' ? undefined : verdict.dim
// @ts-expect-error a dimension name outside the union
budget.charge('TOKENS', 1)
// @ts-expect-error a string amount
budget.charge('tokens', '1')

export = { dim, errors: [bk.BudgetError, bk.BuilderError, bk.ChargeError], dims: bk.DIMS }
