// A child process of redis-lease.spec.ts: one holder of a leased budget.
// Sends COUNT charges of 1 to 5 tokens (deterministic per SEED) through
// `lease.charge`, then releases. With PROGRESS=1 it writes every approved
// amount's running total as a line (synchronously, so a kill -9 loses none
// of the approvals it acted on); it always ends with one JSON line (with the
// engine the kernel ran on: BUDGETKERNEL_ENGINE picks it, as in any process).
'use strict'
const fs = require('node:fs')
const [port, key, countText, chunkText, seedText, progress] = process.argv.slice(2)
const { RedisBudgets } = require('../../redis.js')
const { Redis } = require('ioredis')

async function main() {
  const client = new Redis(Number(port), '127.0.0.1')
  const store = new RedisBudgets(client, { timeoutMs: 30_000 })
  const lease = store.lease(key, { chunk: Number(chunkText), ttlMs: 2_000 })
  const count = Number(countText)
  const seed = Number(seedText)
  let approved = 0
  let all = 0
  let refused = 0
  let warned = 0
  for (let i = 0; i < count; i++) {
    const amount = 1 + ((i * 7 + seed * 13) % 5)
    let verdict = lease.charge('tokens', amount)
    if (verdict instanceof Promise) verdict = await verdict
    all += amount
    if (verdict.kind === 'exhausted') refused++
    else {
      approved += amount
      if (verdict.kind === 'warn') warned++
      if (progress === '1') fs.writeSync(1, `a ${approved}\n`)
    }
    if (progress === '1' && i === 100) fs.writeSync(1, 'ready\n')
  }
  await lease.release()
  client.disconnect()
  fs.writeSync(1, JSON.stringify({ approved, all, refused, warned, refills: lease.refills, engine: require('../../index.js').ENGINE }) + '\n')
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n')
  process.exit(1)
})
