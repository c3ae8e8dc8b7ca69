// The trace format as the Redis store's conformance suite: `budgetkernel
// replay --redis` must print byte-for-byte what the in-process replay prints,
// with the same exit status, on every fixture and on random traces.
//
//   - fixtures: both CLIs spawned (stdin and FILE), against the .out files;
//   - random traces (./trace-arbitrary.ts, as crosscheck.spec.ts): the CLI's
//     own replay logic in-process on both engines (REDIS_CROSSCHECK_RUNS,
//     default 2000), on a store over each client library (./redis-server.ts
//     CLIENTS), plus some through the spawned CLI;
//   - limb traces: amounts and limits around the 10^10 limb boundary, where
//     the script's two-limb arithmetic carries (low limbs summing to exactly
//     10^10) and compares limb by limb, and at 2^64-1.

import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENTS, RedisServer, type OpenClient } from './redis-server.js'
import { describeTrace, traceArbitrary, traceBytes, type Trace } from './trace-arbitrary.js'
import { RedisBudgets } from '../redis.js'
import { replayText } from '../cli/replay.js'
import { replayTextRedis } from '../cli/replay-redis.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = path.join(ROOT, 'cli', 'budgetkernel.js')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces')

let server: RedisServer
let client: Redis

beforeAll(async () => {
  server = await RedisServer.start()
  client = new Redis(server.port, '127.0.0.1')
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

function cli(args: readonly string[], input: Buffer | null): Promise<{ stdout: Buffer; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8')
    })
    child.on('error', reject)
    child.stdin.on('error', () => {})
    child.on('close', (status) => resolve({ stdout: Buffer.concat(out), stderr, status }))
    child.stdin.end(input ?? undefined)
  })
}

const TEN10 = 10n ** 10n
const U64_MAX = 2n ** 64n - 1n

/** Values around the limb boundary: k·10^10 + r for r near 0, 5·10^9 and 10^10-1, and near 2^64-1. */
const limbValue: fc.Arbitrary<bigint> = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: 3n }), fc.constantFrom(0n, 1n, 4_999_999_999n, 5_000_000_000n, 5_000_000_001n, 9_999_999_998n, 9_999_999_999n)).map(
    ([k, r]) => k * TEN10 + r,
  ),
  fc.bigInt({ min: U64_MAX - 2n * TEN10, max: U64_MAX }),
  fc.constantFrom(1_844_674_407n * TEN10, 1_844_674_406n * TEN10 + 9_999_999_999n, U64_MAX - 3_709_551_615n),
)

/** A trace over tokens/calls with limb-boundary limits, warns and charges (amounts as decimal strings). */
const limbTrace: fc.Arbitrary<string> = fc
  .tuple(
    fc.tuple(limbValue, limbValue).map(([a, b]) => (a === b ? [a + 1n, undefined] : a > b ? [a, b] : [b, a])),
    limbValue.filter((v) => v > 0n),
    fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom('tokens', 'calls'), limbValue).map(([dim, v]) => `{"op":"charge","dim":"${dim}","amount":"${v}"}`),
        fc.array(fc.tuple(fc.constantFrom('tokens', 'calls'), limbValue), { maxLength: 4 }).map(
          (pairs) => `{"op":"chargeMany","charges":[${pairs.map(([d, v]) => `["${d}","${v}"]`).join(',')}]}`,
        ),
        fc.constantFrom('{"op":"spent","dim":"tokens"}', '{"op":"remaining","dim":"tokens"}', '{"op":"spent","dim":"calls"}', '{"op":"reset"}'),
        // From zero, two charges whose low limbs sum to exactly 10^10 (the
        // carry case random amounts almost never hit), as two charges or one
        // checkpoint, then the total.
        fc
          .tuple(fc.constantFrom('tokens', 'calls'), fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 1n, max: TEN10 - 1n }), fc.boolean())
          .map(([dim, k1, k2, x, many]) => {
            const a = k1 * TEN10 + x
            const b = k2 * TEN10 + (TEN10 - x)
            const charge = many
              ? `{"op":"chargeMany","charges":[["${dim}","${a}"],["${dim}","${b}"]]}`
              : `{"op":"charge","dim":"${dim}","amount":"${a}"}\n{"op":"charge","dim":"${dim}","amount":"${b}"}`
            return `{"op":"reset"}\n${charge}\n{"op":"spent","dim":"${dim}"}`
          }),
      ),
      { maxLength: 25 },
    ),
  )
  .map(([[limit, warn], calls, ops]) => {
    const limitLine = `{"dim":"tokens","limit":"${limit}"${warn === undefined ? '' : `,"warn":"${warn}"`}}`
    const build = `{"op":"build","limits":[${limitLine},{"dim":"calls","limit":"${calls}"}]}`
    return [build, ...ops].join('\n') + '\n'
  })

describe('replay --redis: fixtures, both CLIs spawned', () => {
  const exitCodes = JSON.parse(readFileSync(path.join(FIXTURES, 'exit-codes.json'), 'utf8')) as Record<string, number>
  const names = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort()

  it('there are fixtures to replay', () => {
    expect(names.length).toBeGreaterThanOrEqual(4)
  })

  for (const name of names) {
    it(`${name}: byte-identical to the expected output and the in-process CLI, same exit status (stdin and FILE)`, async () => {
      const file = path.join(FIXTURES, `${name}.jsonl`)
      const input = readFileSync(file)
      const expected = readFileSync(path.join(FIXTURES, `${name}.out`))
      const [local, viaStdin, viaFile] = await Promise.all([
        cli(['replay', '-'], input),
        cli(['replay', '--redis', `${server.url}/3`, '-'], input),
        cli(['replay', '--redis', server.url, '--prefix', 'fx', file], null),
      ])
      for (const run of [local, viaStdin, viaFile]) {
        expect(run.stderr).toBe('')
        expect(run.stdout.equals(expected), run.stdout.toString('utf8')).toBe(true)
        expect(run.status).toBe(exitCodes[name])
      }
    }, 60_000)
  }

  it('every replay deleted its budget', async () => {
    expect(await client.dbsize()).toBe(0)
    await client.select(3)
    expect(await client.dbsize()).toBe(0)
    await client.select(0)
  })
})

for (const kind of CLIENTS) describe(`replay --redis: random traces, ${kind.name}`, () => {
  // A store over this client library on the suite's server (prefix xc, as the fixtures').
  let open: OpenClient
  let store: RedisBudgets
  beforeAll(async () => {
    open = await kind.open(server.port)
    store = new RedisBudgets(open.client, { prefix: 'xc' })
  })
  afterAll(async () => {
    await open?.close()
  })

    it('agree with the in-process replay on every generated trace (CLI logic in-process, one connection)', async () => {
      let lines = 0
      await fc.assert(
        fc.asyncProperty(traceArbitrary(), async (t: Trace) => {
          const bytes = traceBytes(t)
          const local = replayText(bytes)
          const shared = await replayTextRedis(bytes, store)
          lines += local.output.split('\n').length - 1
          if (shared.output !== local.output || shared.status !== local.status) {
            throw new Error(`outputs differ\n${describeTrace(t)}\n--- in-process\n${local.output}--- redis\n${shared.output}`)
          }
        }),
        { numRuns: Number(process.env.REDIS_CROSSCHECK_RUNS ?? 2000) },
      )
      expect(lines).toBeGreaterThan(0)
      expect(await client.dbsize()).toBe(0)
    }, 600_000)

    it('agree on limb-boundary traces: exact carries, limb-wise comparisons and saturation at 2^64-1', async () => {
      await fc.assert(
        fc.asyncProperty(limbTrace, async (text) => {
          const local = replayText(text)
          const shared = await replayTextRedis(text, store)
          expect(shared.output, text).toBe(local.output)
          expect(shared.status).toBe(local.status)
        }),
        { numRuns: Number(process.env.REDIS_CROSSCHECK_RUNS ?? 2000) / 4 },
      )
    }, 600_000)

    it('a carry that the low limbs make exactly: 5·10^9 + 5·10^9 and 9,999,999,999 + 1', async () => {
      const text = [
        '{"op":"build","limits":[{"dim":"tokens","limit":"20000000000","warn":"9999999999"}]}',
        '{"op":"charge","dim":"tokens","amount":"5000000000"}',
        '{"op":"charge","dim":"tokens","amount":"4999999999"}',
        '{"op":"charge","dim":"tokens","amount":"1"}',
        '{"op":"spent","dim":"tokens"}',
        '{"op":"charge","dim":"tokens","amount":"9999999999"}',
        '{"op":"charge","dim":"tokens","amount":"1"}',
        '{"op":"charge","dim":"tokens","amount":"0"}',
        '{"op":"spent","dim":"tokens"}',
        '{"op":"charge","dim":"tokens","amount":"1"}',
        '{"op":"spent","dim":"tokens"}',
        '{"op":"remaining","dim":"tokens"}',
      ].join('\n')
      const shared = await replayTextRedis(text, store)
      expect(shared.output).toBe(replayText(text).output)
      // The limit is inclusive: 2·10^10 exactly still warns; one more exhausts.
      expect(shared.output.split('\n').slice(1, 12)).toEqual([
        '{"verdict":"continue"}',
        '{"verdict":"continue"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"value":"10000000000"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"value":"20000000000"}',
        '{"verdict":"exhausted","dim":"tokens"}',
        '{"value":"20000000001"}',
        '{"value":"0"}',
      ])
    })
})

describe('replay --redis: random traces through the spawned CLI', () => {
  it('agree through the spawned CLI too (stdin)', async () => {
    const sampled = fc.sample(traceArbitrary(), { seed: 20261201, numRuns: 25 })
    for (const t of sampled) {
      const bytes = traceBytes(t)
      const local = replayText(bytes)
      const run = await cli(['replay', '--redis', server.url, '-'], bytes)
      expect(run.stdout.toString('utf8'), describeTrace(t)).toBe(local.output)
      expect(run.status).toBe(local.status)
    }
  }, 120_000)
})

describe('replay --redis: usage and an unreachable server', () => {
  it('bad URLs and options are usage errors (exit 2), nothing on stdout', async () => {
    const input = Buffer.from('{"op":"reset"}\n')
    for (const args of [
      ['--redis', 'http://127.0.0.1:1'],
      ['--redis', 'redis://127.0.0.1:1/x'],
      ['--redis'],
      ['--prefix', 'p'],
      ['--redis', server.url, '--pretty'],
      ['--redis', server.url, '--prefix', 'a{b'],
    ]) {
      const run = await cli(['replay', ...args, '-'], input)
      expect(run.status, args.join(' ')).toBe(2)
      expect(run.stdout.length).toBe(0)
      expect(run.stderr).toMatch(/^budgetkernel: /)
    }
  }, 60_000)

  it('a server lost mid-trace: exit 3, the lines executed before on stdout, a message on stderr', async () => {
    const doomed = await RedisServer.start()
    const watcher = new Redis(doomed.port, '127.0.0.1')
    watcher.on('error', () => {})
    try {
      const child = spawn(process.execPath, [CLI, 'replay', '--redis', doomed.url, '-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString('utf8')
      })
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString('utf8')
      })
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
      child.stdin.write('{"op":"build","limits":[{"dim":"tokens","limit":10}]}\n{"op":"charge","dim":"tokens","amount":4}\n')
      let spent: string | null = null
      for (let i = 0; i < 200 && spent !== '4'; i++) {
        const [key] = await watcher.keys('bk:*')
        spent = key === undefined ? null : await watcher.hget(key, 'tokens')
        if (spent !== '4') await new Promise((r) => setTimeout(r, 25))
      }
      expect(spent).toBe('4')
      watcher.disconnect()
      await doomed.kill9()
      child.stdin.end('{"op":"charge","dim":"tokens","amount":1}\n{"op":"spent","dim":"tokens"}\n')
      expect(await closed).toBe(3)
      expect(stdout).toBe('{"ok":true}\n{"verdict":"continue"}\n')
      expect(stderr).toMatch(/^budgetkernel: .*may or may not have been applied/)
    } finally {
      watcher.disconnect()
      await doomed.stop()
    }
  }, 60_000)

  it('a server that is not there: exit 3, a message on stderr, nothing on stdout', async () => {
    const closed = await RedisServer.start()
    const url = closed.url
    await closed.stop()
    const run = await cli(['replay', '--redis', url, '-'], Buffer.from('{"op":"reset"}\n'))
    expect(run.status).toBe(3)
    expect(run.stdout.length).toBe(0)
    expect(run.stderr).toMatch(/cannot connect/)
  }, 60_000)
})
