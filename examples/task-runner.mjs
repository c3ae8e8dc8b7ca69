// A task runner that charges each task's cost before running it.
//
// Every task declares what it will cost (tokens, millis, calls). The runner
// charges the whole cost with one chargeMany, an atomic checkpoint: when the
// verdict is a warning it keeps going but skips optional tasks, and when it
// is exhausted it stops. Costs are fixed estimates, so the output is the
// same on every run.
//
//   node examples/task-runner.mjs

// @ts-check

import { Budget } from '../index.js';

const budget = Budget.builder()
  .limitWithWarn('tokens', 5000, 4000)
  .limitWithWarn('millis', 2000, 1500)
  .limit('calls', 8)
  .build();

const tasks = [
  { name: 'fetch-sources', cost: { tokens: 0, millis: 320, calls: 2 } },
  { name: 'extract-facts', cost: { tokens: 1400, millis: 250, calls: 1 } },
  { name: 'outline', cost: { tokens: 900, millis: 180, calls: 1 } },
  { name: 'write-section-1', cost: { tokens: 1300, millis: 260, calls: 1 } },
  { name: 'write-section-2', cost: { tokens: 700, millis: 240, calls: 1 } },
  { name: 'polish-wording', optional: true, cost: { tokens: 500, millis: 120, calls: 1 } },
  { name: 'add-citations', optional: true, cost: { tokens: 300, millis: 90, calls: 1 } },
  { name: 'summarize', cost: { tokens: 900, millis: 150, calls: 1 } },
  { name: 'publish', cost: { tokens: 0, millis: 80, calls: 1 } },
];

/** @type {string[]} */
const ran = [];
/** @type {string[]} */
const skipped = [];
/** @type {{ task: string, dim: string } | undefined} */
let stopped;
let degraded = false;

for (const [index, task] of tasks.entries()) {
  const label = `[${index + 1}/${tasks.length}] ${task.name.padEnd(16)}`;
  if (degraded && task.optional) {
    skipped.push(task.name);
    console.log(`${label} skipped (optional, budget in warning)`);
    continue;
  }
  const { tokens, millis, calls } = task.cost;
  const verdict = budget.chargeMany([
    ['tokens', tokens],
    ['millis', millis],
    ['calls', calls],
  ]);
  if (verdict.kind === 'exhausted') {
    stopped = { task: task.name, dim: verdict.dim };
    console.log(`${label} refused: ${verdict.dim} exhausted, stopping`);
    break;
  }
  ran.push(task.name);
  if (verdict.kind === 'warn') {
    degraded = true;
    console.log(`${label} ran (warn: ${verdict.dim} above its threshold, optional tasks will be skipped)`);
  } else {
    console.log(`${label} ran`);
  }
}

console.log('summary:');
console.log(`  ran ${ran.length}: ${ran.join(', ')}`);
console.log(`  skipped ${skipped.length}: ${skipped.length > 0 ? skipped.join(', ') : '-'}`);
console.log(stopped ? `  stopped at ${stopped.task}: ${stopped.dim} exhausted` : '  finished every task');
/** @type {readonly import('../index.js').Dim[]} */
const shown = ['tokens', 'millis', 'calls'];
for (const dim of shown) {
  // spent includes the refused task's charge: the kernel records spend even
  // when that spend exhausts the budget.
  console.log(`  ${dim.padEnd(7)} spent ${budget.spent(dim)}, remaining ${budget.remaining(dim)}`);
}
