// A child process of redis-concurrency.spec.ts: sends COUNT unit charges to
// one budget, half as `charge(calls, 1)` and half as a two-dimension
// checkpoint `chargeMany({ calls: 1, tokens: 1 })`, with up to 16 in
// flight, and prints how many verdicts of each kind it got as one JSON line.
'use strict'
const [port, key, countText, clientName] = process.argv.slice(2)
const { RedisBudgets } = require('../../redis.js')

async function main() {
  let client
  let close
  if (/^redis[456]$/.test(clientName)) {
    client = require(clientName).createClient({ url: `redis://127.0.0.1:${port}` })
    await client.connect()
    close = () => client.disconnect()
  } else {
    const { Redis } = require('ioredis')
    client = new Redis(Number(port), '127.0.0.1')
    close = async () => client.disconnect()
  }
  const store = new RedisBudgets(client, { timeoutMs: 30_000 })
  const count = Number(countText)
  const kinds = { continue: 0, warn: 0, exhausted: 0, many: 0 }
  let next = 0
  async function lane() {
    while (next < count) {
      const i = next++
      const many = i % 2 === 1
      const verdict = many ? await store.chargeMany(key, { calls: 1, tokens: 1 }) : await store.charge(key, 'calls', 1)
      kinds[verdict.kind]++
      if (many) kinds.many++
    }
  }
  await Promise.all(Array.from({ length: 16 }, lane))
  await close()
  process.stdout.write(JSON.stringify(kinds) + '\n')
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n')
  process.exit(1)
})
