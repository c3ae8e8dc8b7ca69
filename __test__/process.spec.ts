// Process-level checks of the addon, each in its own child process (so a
// crash, a leak or --expose-gc cannot touch the test runner):
//   (a) worker_threads load the addon at once and charge concurrently, and a
//       worker terminated mid-loop leaves the addon loadable;
//   (b) a million budgets created and dropped leave RSS and heap bounded;
//   (c) a million charge() calls with number amounts cause no minor GC;
//   (d) deterministic release keeps memory bounded where the garbage
//       collector alone does not: a synchronous loop of `using` clones, a
//       burst of never-released clones, and the replay CLI on a trace of
//       builds.
// The child scripts live in ./fixtures/process.

import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ADDON = path.join(ROOT, 'index.js')
const SCRIPTS = path.join(ROOT, '__test__', 'fixtures', 'process')
const require = createRequire(import.meta.url)

interface Child {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function node(args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env, maxBuffer = 16 * 1024 * 1024): Promise<Child> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null
      resolve({
        status: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        signal: e?.signal ?? null,
        stdout,
        stderr,
      })
    })
  })
}

function lastJsonLine<T>(c: Child): T {
  const line = c.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as T
  } catch {
    throw new Error(`child printed no JSON result (status ${c.status}, signal ${c.signal})\nstdout: ${c.stdout}\nstderr: ${c.stderr}`)
  }
}

// ---------------------------------------------------------------------------
// (a) worker threads

type WorkloadDims = Array<[string, number | bigint, number | bigint | undefined]>
const workload = require('./fixtures/process/workload.cjs') as {
  U64_MAX: bigint
  budgets(id: number): WorkloadDims[]
  charges(id: number, count: number): Generator<[number, string, number | bigint]>
}

const DIM_ORDER = ['tokens', 'millis', 'bytes', 'calls', 'memory', 'custom0', 'custom1', 'custom2']

interface WorkerDigest {
  id: number
  hash: number
  counts: { continue: number; warn: number; exhausted: number }
  resets: number
  spent: string[][]
  remaining: string[][]
}

/** What worker `id` must report, computed with plain bigint arithmetic from the kernel's rules. */
function expectedDigest(id: number, m: number): WorkerDigest {
  const shapes = workload.budgets(id)
  const spent = shapes.map((dims) => dims.map(() => 0n))
  const kindCode = { continue: 0, warn: 1, exhausted: 2 }
  const counts = { continue: 0, warn: 0, exhausted: 0 }
  let hash = 0x811c9dc5
  let resets = 0
  for (const [b, dim, amount] of workload.charges(id, m)) {
    const dims = shapes[b] as WorkloadDims
    const d = dims.findIndex(([name]) => name === dim)
    const [, limit, warn] = dims[d] as WorkloadDims[number]
    const row = spent[b] as bigint[]
    const next = (row[d] as bigint) + BigInt(amount)
    row[d] = next > workload.U64_MAX ? workload.U64_MAX : next
    const kind: keyof typeof counts =
      (row[d] as bigint) > BigInt(limit) ? 'exhausted' : warn !== undefined && (row[d] as bigint) > BigInt(warn) ? 'warn' : 'continue'
    counts[kind]++
    const code = kindCode[kind] * 8 + (kind === 'continue' ? 0 : DIM_ORDER.indexOf(dim))
    hash = Math.imul(hash ^ code, 0x01000193) >>> 0
    if (kind === 'exhausted') {
      row.fill(0n)
      resets++
    }
  }
  return {
    id,
    hash,
    counts,
    resets,
    spent: spent.map((row) => row.map(String)),
    remaining: spent.map((row, b) =>
      row.map((s, d) => {
        const limit = BigInt((shapes[b] as WorkloadDims)[d]?.[1] as number | bigint)
        return String(limit > s ? limit - s : 0n)
      }),
    ),
  }
}

describe('worker_threads', () => {
  it('4 workers load the addon at once, charge concurrently, agree with the arithmetic and exit cleanly', async () => {
    const n = 4
    const m = 200_000
    const child = await node([path.join(SCRIPTS, 'workers.cjs'), ADDON, String(n), String(m)], 120_000)
    expect(child.signal, child.stderr).toBeNull()
    expect(child.status, child.stderr).toBe(0)
    expect(child.stderr).toBe('')
    const got = lastJsonLine<WorkerDigest[]>(child)
    expect(got.map((d) => d.id)).toEqual([0, 1, 2, 3])
    for (let id = 0; id < n; id++) {
      const want = expectedDigest(id, m)
      // The workload must actually reach every verdict kind, or it proves little.
      expect(want.counts.warn).toBeGreaterThan(0)
      expect(want.counts.exhausted).toBeGreaterThan(0)
      expect(got[id], `worker ${id}`).toEqual(want)
    }
  }, 180_000)

  it('a worker terminated mid-charge-loop leaves the addon loadable in a new worker and the main thread', async () => {
    const child = await node([path.join(SCRIPTS, 'terminate.cjs'), ADDON], 120_000)
    expect(child.signal, child.stderr).toBeNull()
    expect(child.status, child.stderr).toBe(0)
    expect(child.stderr).toBe('')
    const got = lastJsonLine<Array<Record<string, number>>>(child)
    expect(got).toHaveLength(5)
    for (const r of got.slice(0, 3)) expect(r.terminated).toBeTypeOf('number')
    // The four workers terminated while loading report nothing; the rounds
    // after them must still work.
    // 10 000 charges of 7 against a limit of 1000, resetting on exhaustion:
    // exhausted on every 143rd charge (7 * 143 = 1001 > 1000), so
    // floor(10000 / 143) = 69 times.
    expect(got[3]).toEqual({ exhausted: 69 })
    expect(got[4]).toEqual({ main: 69 })
  }, 180_000)
})

// ---------------------------------------------------------------------------
// (b) a million budgets

interface Mem {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /** Occupied slots in the binding's table for this thread. */
  live: number
}

describe('garbage collection releases budgets', () => {
  it('a million budgets (builder and clone) created and dropped leave RSS and heap within bounds', async () => {
    const total = 1_000_000
    const child = await node(['--expose-gc', path.join(SCRIPTS, 'million.cjs'), ADDON, String(total), '10000'], 300_000)
    expect(child.status, child.stderr).toBe(0)
    const r = lastJsonLine<{ made: number; exhausted: number; before: Mem; after: Mem }>(child)
    expect(r.made).toBe(total)
    // Every budget was charged past its limit once: 101 > 100 and 11 > 10.
    expect(r.exhausted).toBe(total)
    const MiB = 1024 * 1024
    const rssGrowth = (r.after.rss - r.before.rss) / MiB
    const heapGrowth = (r.after.heapUsed - r.before.heapUsed) / MiB
    // Bounds, from measurements on the 2-core dev machine (Node 20, after a
    // 100k warm-up): this run grows RSS by 1.7-3.4 MiB and heapUsed by
    // 0.1-0.2 MiB. The same script keeping every budget alive grows RSS by
    // about 340 MiB and heapUsed by about 107 MiB, so a budget costs ~110 B of
    // JS heap and ~230 B of native memory. The bounds (32 MiB RSS, 8 MiB heap)
    // are ~10x and ~40x the measured growth, enough for allocator and GC
    // noise, and still fail if about 1 in 7 budgets leaks its native state or
    // 1 in 13 its JS wrapper.
    expect(rssGrowth, `RSS grew by ${rssGrowth.toFixed(1)} MiB: ${JSON.stringify(r)}`).toBeLessThan(32)
    expect(heapGrowth, `heapUsed grew by ${heapGrowth.toFixed(1)} MiB: ${JSON.stringify(r)}`).toBeLessThan(8)
    // The native side directly: the thread's table holds (almost) nothing once
    // the garbage collector and the FinalizationRegistry have run. A few
    // budgets may await a finalizer that has not been scheduled yet; a leak of
    // even 1 budget in 10 000 would leave 100.
    expect(r.after.live, `live budgets after: ${JSON.stringify(r)}`).toBeLessThan(100)
  }, 320_000)

  it('budgets still alive when their worker thread exits are freed with the thread', async () => {
    // 40 workers one after another, each keeping 25 000 budgets (clones and
    // built ones) until it exits: a million budgets in all. Measured growth
    // of the parent's RSS: 2.6-2.8 MiB. If the addon kept a thread's budgets
    // after the thread ended, that would be ~230 MiB of native memory (see
    // above); 32 MiB fails on a leak of about 1 in 7.
    const child = await node(['--expose-gc', path.join(SCRIPTS, 'worker-churn.cjs'), ADDON, '40', '25000'], 300_000)
    expect(child.signal, child.stderr).toBeNull()
    expect(child.status, child.stderr).toBe(0)
    const r = lastJsonLine<{ made: number; before: number; after: number }>(child)
    expect(r.made).toBe(1_000_000)
    const growth = (r.after - r.before) / (1024 * 1024)
    expect(growth, `RSS grew by ${growth.toFixed(1)} MiB: ${JSON.stringify(r)}`).toBeLessThan(32)
  }, 320_000)
})

// ---------------------------------------------------------------------------
// (c) no minor GC in the charge loop

describe('charge() allocates nothing on the JS heap', () => {
  it('a million charge() calls with number amounts trigger no minor GC', async () => {
    const calls = 1_000_000
    const child = await node(['--expose-gc', path.join(SCRIPTS, 'nogc.cjs'), ADDON, String(calls)], 120_000)
    expect(child.status, child.stderr).toBe(0)
    const r = lastJsonLine<{
      calls: number
      charge: { minor: number; continues: number; ms: number }
      baseline: { minor: number; continues: number; ms: number }
      baseline2: { minor: number; continues: number; ms: number }
      probe: { minor: number; continues: number; ms: number }
      lastFresh: boolean
      spent: string[]
    }>(child)
    // The loops really ran: every call returned the shared continue verdict...
    expect(r.charge.continues).toBe(calls)
    expect(r.baseline.continues).toBe(calls)
    // ...and really charged. Loop i charges dims[i & 3] with amounts[i & 7]
    // (dims tokens, millis, calls, bytes; amounts 0 1 2 3 5 8 13 21), so per 8
    // calls tokens gets 0+5, millis 1+8, calls 2+13, bytes 3+21. The budget saw
    // 5 * 200 000 warm-up calls plus the measured million: 2 000 000 calls.
    const eighths = (5 * 200_000 + calls) / 8
    expect(r.spent).toEqual([
      String(eighths * 5), // tokens
      String(eighths * 9), // millis
      String(eighths * 24), // bytes
      String(eighths * 15), // calls
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ])
    // The observer works: a probe loop of the same shape that allocates one
    // small object per call is seen causing minor GCs...
    expect(r.lastFresh).toBe(true)
    expect(r.probe.minor, JSON.stringify(r)).toBeGreaterThan(0)
    // ...while the harness loop (a plain JS function returning a preexisting
    // object) allocates nothing, so its count is 0 before and after; the
    // charge loop must match that baseline exactly.
    expect(r.baseline.minor, JSON.stringify(r)).toBe(0)
    expect(r.baseline2.minor, JSON.stringify(r)).toBe(0)
    expect(r.charge.minor, `minor GCs during the charge loop: ${JSON.stringify(r)}`).toBe(0)
  }, 150_000)
})

// ---------------------------------------------------------------------------
// (d) deterministic release

const MiB = 1024 * 1024
const scratch = mkdtempSync(path.join(tmpdir(), 'bk-release-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Runs using-loop in `mode` over 3M clones: each charged, RSS growth ≤ 32 MiB, no slot left, the table at its minimum. */
async function expectBoundedLoop(script: string, mode: 'using' | 'run'): Promise<void> {
  const count = 3_000_000
  const child = await node(['--expose-gc', script, ADDON, String(count), mode], 240_000)
  expect(child.status, child.stderr).toBe(0)
  const r = lastJsonLine<{ exhausted: number; before: number; peak: number; liveBefore: number; liveAfter: number; liveEnd: number; capacity: number }>(child)
  // Every clone was really charged (11 calls against a limit of 10).
  expect(r.exhausted).toBe(count)
  const growth = (r.peak - r.before) / MiB
  expect(growth, `peak RSS growth ${growth.toFixed(1)} MiB: ${JSON.stringify(r)}`).toBeLessThanOrEqual(32)
  // Only the template is live after the loop, and nothing once it is released.
  expect(r.liveBefore).toBe(1)
  expect(r.liveAfter).toBe(1)
  expect(r.liveEnd).toBe(0)
  // The table never grew past its minimum (one clone at a time).
  expect(r.capacity).toBeLessThanOrEqual(64)
}

describe('deterministic release bounds memory', () => {
  it('3M clones in `using` blocks (TypeScript-compiled, Node 20), each charged, in one synchronous loop: RSS grows ≤ 32 MiB, no slot is left', async () => {
    // The fixture is TypeScript: transpiled here the way a TS >= 5.2 user
    // targeting ES2022 compiles `using` for Node 20 (into TypeScript's
    // dispose helpers, which call [Symbol.dispose]()).
    const source = readFileSync(path.join(SCRIPTS, 'using-loop.ts'), 'utf8')
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    })
    expect(outputText, 'the `using` block is lowered, not left to an engine that lacks it').toContain('__addDisposableResource')
    const script = path.join(scratch, 'using-loop.js')
    writeFileSync(script, outputText)
    // Measured on the 2-core dev machine (Node 20): the peak is 10-13 MiB
    // above the warmed-up baseline (the young generation at work). Left to
    // the garbage collector (no `using`) the same loop grows by ~1 GiB, and
    // with the registry holding heap-number handles by ~41 MiB.
    await expectBoundedLoop(script, 'using')
  }, 300_000)

  it('3M `template.run()` scopes, each charged, in one synchronous loop: RSS grows ≤ 32 MiB, no slot is left', async () => {
    // Each scope's clone is released when its function returns, with no
    // registry entry: the same bound as `using` (issue 14: ≤ 32 MiB).
    const script = path.join(scratch, 'run-loop.js')
    writeFileSync(script, ts.transpileModule(readFileSync(path.join(SCRIPTS, 'using-loop.ts'), 'utf8'), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText)
    await expectBoundedLoop(script, 'run')
  }, 300_000)

  it('a burst of 1M clones never released, then collection and event-loop turns: the table shrinks back and RSS returns within 48 MiB of the baseline', async () => {
    const count = 1_000_000
    const child = await node(['--expose-gc', path.join(SCRIPTS, 'burst.cjs'), ADDON, String(count), '4'], 240_000)
    expect(child.status, child.stderr).toBe(0)
    type Mem = { rss: number; heapUsed: number; live: number; capacity: number; wasmBytes: number }
    const r = lastJsonLine<{ before: Mem; peak: Mem & { kept: number }; after: Mem; again: Mem }>(child)
    // The burst was real: a million budgets live at once, the table grown for them.
    expect(r.peak.kept).toBe(count)
    expect(r.peak.live).toBe(count + 1)
    expect(r.peak.capacity).toBeGreaterThanOrEqual(count)
    // Measured (baseline after a warm-up burst of 500k): the peak is ~400 MiB
    // above the baseline; afterwards RSS is 34-39 MiB above it, nearly all of
    // it V8's (heapTotal 52 -> 68 MiB: its FinalizationRegistry token table
    // keeps its peak size, and heap pages it has not given back yet). After
    // a 100k warm-up instead it is 49-65 MiB, the same V8 growth counted
    // twice. Without the table's shrinking the ~112 MiB of native slots the
    // larger burst added stay: ~140 MiB above. The bound is 64 MiB;
    // 48 keeps a margin over the measured range and still fails on a table
    // that keeps even half of that growth.
    //
    // On the wasm engine the table shrinks inside the module's linear
    // memory, which cannot shrink; the engine then moves the drained table
    // to a fresh instance (ts/lib/wasm.ts, MOVE_FLOOR) and the old memory is
    // freed with the old instance. Same bound: without the move the burst's
    // ~225-450 MiB of linear memory would stay.
    if (process.env.BUDGETKERNEL_ENGINE === 'wasm') {
      expect(r.peak.wasmBytes, JSON.stringify(r)).toBeGreaterThan(200 * MiB)
      for (const m of [r.before, r.after, r.again]) expect(m.wasmBytes, JSON.stringify(r)).toBeLessThan(32 * MiB)
    } else {
      expect(r.peak.wasmBytes).toBe(0)
    }
    const back = (r.after.rss - r.before.rss) / MiB
    expect(back, `RSS after the burst ${back.toFixed(1)} MiB above the baseline: ${JSON.stringify(r)}`).toBeLessThanOrEqual(48)
    const again = (r.again.rss - r.before.rss) / MiB
    expect(again, `RSS after a second burst ${again.toFixed(1)} MiB above the baseline: ${JSON.stringify(r)}`).toBeLessThanOrEqual(48)
    // The native side directly: only the template is live, and the table is
    // back at its minimum capacity.
    expect(r.after.live).toBe(1)
    expect(r.after.capacity).toBeLessThanOrEqual(64)
    expect(r.again.live).toBe(1)
    expect(r.again.capacity).toBeLessThanOrEqual(64)
  }, 300_000)

  it('`budgetkernel replay` of 1M builds peaks at most 48 MiB above a same-length trace without builds', async () => {
    const lines = 1_000_000
    const build = '{"op":"build","limits":[{"dim":"tokens","limit":1000,"warn":800},{"dim":"calls","limit":10}]}\n'
    const charge = '{"op":"charge","dim":"calls","amount":1}\n'
    const builds = path.join(scratch, 'builds.jsonl')
    const charges = path.join(scratch, 'charges.jsonl')
    writeFileSync(builds, build.repeat(lines))
    writeFileSync(charges, build + charge.repeat(lines - 1))
    const peakOf = async (trace: string): Promise<number> => {
      const file = `${trace}.rss`
      const child = await node(
        ['-r', path.join(SCRIPTS, 'peak-rss.cjs'), path.join(ROOT, 'cli', 'budgetkernel.js'), 'replay', trace],
        240_000,
        { ...process.env, BK_PEAK_RSS_FILE: file },
        64 * 1024 * 1024,
      )
      expect(child.status, child.stderr).toBe(0)
      // The replay really ran every line: one JSON output line each.
      expect(child.stdout.split('\n').length - 1).toBe(lines)
      return Number(readFileSync(file, 'utf8'))
    }
    const withBuilds = await peakOf(builds)
    const without = await peakOf(charges)
    // Measured on both engines: 115-118 MiB against 98-111 MiB, so the builds
    // cost +5 to +20 MiB of peak, and which of the two traces' major GCs land
    // where moves that by a few MiB (a CI run saw more than 1.25x). Without
    // the release of the replaced budget: 309 MiB against 104 (+205 MiB),
    // which is what this guards. The bound is on the difference, where GC
    // timing is noise, not on the ratio.
    const extra = (withBuilds - without) / MiB
    expect(extra, `peak RSS ${(withBuilds / MiB).toFixed(0)} MiB with builds, ${(without / MiB).toFixed(0)} MiB without`).toBeLessThanOrEqual(48)
  }, 300_000)
})
