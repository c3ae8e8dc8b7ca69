// A child process of redis-concurrency.spec.ts: sends COUNT unit charges to
// one budget, half as `charge(calls, 1)` and half as a two-dimension
// checkpoint `chargeMany({ calls: 1, tokens: 1 })`, with up to 16 in
// flight, and prints as one JSON line the client library it ran on (name
// and version, as the harness's CLIENTS name it) and how many verdicts of
// each kind it got.
'use strict'
const { existsSync, readFileSync } = require('node:fs')
const path = require('node:path')
const [port, key, countText, clientName] = process.argv.slice(2)
const { RedisBudgets } = require('../../redis.js')

const nodeRedis = {
  label: 'node-redis',
  open: async (library) => {
    const client = library.createClient({ url: `redis://127.0.0.1:${port}` })
    await client.connect()
    return { client, close: () => client.disconnect() }
  },
}
/** The client libraries, by the name each is installed under (the exact-pinned devDependencies). */
const LIBRARIES = {
  ioredis: {
    label: 'ioredis',
    open: async (library) => {
      const client = new library.Redis(Number(port), '127.0.0.1')
      return { client, close: async () => client.disconnect() }
    },
  },
  redis4: nodeRedis,
  redis5: nodeRedis,
  redis6: nodeRedis,
}

/** The package.json of the package that `specifier` resolves to: the nearest one above the loaded file with a name and a version. */
function packageOf(specifier) {
  for (let dir = path.dirname(require.resolve(specifier)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'))
      if (typeof pkg.name === 'string' && typeof pkg.version === 'string') return pkg
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${require.resolve(specifier)}`)
  }
}

async function main() {
  // An unknown name is an error, never a fallback to another library.
  if (!Object.hasOwn(LIBRARIES, clientName)) {
    throw new Error(`unknown client library ${JSON.stringify(clientName)}: expected one of ${Object.keys(LIBRARIES).join(', ')}`)
  }
  const { label, open } = LIBRARIES[clientName]
  const { client, close } = await open(require(clientName))
  const library = `${label} ${packageOf(clientName).version}`
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
  process.stdout.write(JSON.stringify({ library, ...kinds }) + '\n')
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n')
  process.exit(1)
})
