// A child process of the lease suites: one holder of a leased budget.
// Sends COUNT charges of 1 to 5 tokens (deterministic per SEED) through
// `lease.charge`, then releases.
//
// With PROGRESS=1 it writes, synchronously (so a kill -9 loses nothing it
// acted on or sent), `c TOTAL` before each charge (everything charged so
// far, this charge included: a store call can only carry charges already
// written) and `a TOTAL CONTINUED` after each approved one (the running
// approved total, and how much of it was approved as continue; an approval
// is acted on only after its line is written).
//
// With KILL_AT as well, it plays the worst dead holder: once it has charged
// KILL_AT, it approves the whole rest of its reservation locally (one
// tryCharge, no store call), writes `k` and waits, charging nothing more,
// for the kill -9 its parent then sends. Everything it approved since its
// last store call is never reported: its reservation, all of it used, can
// only be written off.
//
// Unless killed, it ends with one JSON line: its totals (approved, all
// charged, refused count, warn count and warned amount, store calls), and
// which engine modules this process loaded (any native `.node` addon; the
// wasm engine's module).
// The worker loads no engine itself (it requires only redis.js, which loads
// none until the lease builds its local kernel), so these say which engine
// the lease's local kernel really ran on; BUDGETKERNEL_ENGINE should pick it.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const [port, key, countText, chunkText, seedText, progress, killAtText] = process.argv.slice(2)
const { RedisBudgets } = require('../../redis.js')
const { Redis } = require('ioredis')

const WASM_MODULE = path.join(__dirname, '..', '..', 'lib', 'wasm.js')

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
  let warnedAmount = 0
  for (let i = 0; i < count; i++) {
    const amount = 1 + ((i * 7 + seed * 13) % 5)
    all += amount
    if (progress === '1') fs.writeSync(1, `c ${all}\n`)
    let verdict = lease.charge('tokens', amount)
    if (verdict instanceof Promise) verdict = await verdict
    if (verdict.kind === 'exhausted') refused++
    else {
      approved += amount
      if (verdict.kind === 'warn') {
        warned++
        warnedAmount += amount
      }
      if (progress === '1') fs.writeSync(1, `a ${approved} ${approved - warnedAmount}\n`)
    }
    if (killAtText !== undefined && all >= Number(killAtText)) {
      const rest = lease.remaining('tokens')
      if (rest > 0) {
        all += rest
        fs.writeSync(1, `c ${all}\n`)
        const local = lease.tryCharge('tokens', rest)
        if (local === undefined || local.kind === 'exhausted') throw new Error(`the rest of the reservation (${rest}) was not approved locally`)
        approved += rest
        if (local.kind === 'warn') warnedAmount += rest
        fs.writeSync(1, `a ${approved} ${approved - warnedAmount}\n`)
      }
      fs.writeSync(1, 'k\n')
      setInterval(() => undefined, 1_000)
      return
    }
  }
  await lease.release()
  client.disconnect()
  const loaded = Object.keys(require.cache)
  const engines = { native: loaded.some((f) => f.endsWith('.node')), wasm: loaded.includes(WASM_MODULE) }
  fs.writeSync(1, JSON.stringify({ approved, all, refused, warned, warnedAmount, refills: lease.refills, ...engines }) + '\n')
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n')
  process.exit(1)
})
