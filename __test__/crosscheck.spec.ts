// Cross-check of the three replayers of docs/TRACE_FORMAT.md:
//   - the npm package's CLI      `node cli/budgetkernel.js replay -`
//   - the Rust twin on upstream  `target/release/replay --engine upstream -` (crates.io budgetkernel 0.1.2)
//   - the Rust twin on our kernel `target/release/replay --engine ours -`
// Every trace must give byte-identical stdout and the same exit status from
// all three. Random traces come from ./trace-arbitrary.ts; fixed traces in
// ./fixtures/traces carry outputs derived by hand from the format and the
// kernel semantics.

import { execFile, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { describeTrace, traceArbitrary, traceBytes, type Trace } from './trace-arbitrary.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const NODE_CLI = path.join(ROOT, 'cli', 'budgetkernel.js')
const REPLAY_BIN = path.join(ROOT, 'target', 'release', 'replay')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures', 'traces')
const require = createRequire(import.meta.url)

interface Run {
  readonly name: string
  readonly stdout: Buffer
  readonly stderr: string
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
}

function run(name: string, cmd: string, args: readonly string[], input: Buffer | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    // A replayer may exit before reading all of stdin (e.g. on a usage error).
    child.stdin.on('error', () => {})
    child.on('close', (status, signal) =>
      resolve({ name, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), status, signal }),
    )
    if (input !== null) child.stdin.end(input)
    else child.stdin.end()
  })
}

/** The three replayers on the same input; `fileArg` replaces stdin when given. */
function runAll(input: Buffer | null, fileArg = '-'): Promise<[Run, Run, Run]> {
  return Promise.all([
    run('node cli', process.execPath, [NODE_CLI, 'replay', fileArg], input),
    run('rust upstream', REPLAY_BIN, ['--engine', 'upstream', fileArg], input),
    run('rust ours', REPLAY_BIN, ['--engine', 'ours', fileArg], input),
  ])
}

/** Side-by-side view of the outputs, marking the lines where they differ. */
function diffReport(runs: readonly Run[]): string {
  const split = runs.map((r) => r.stdout.toString('utf8').split('\n'))
  const n = Math.max(...split.map((s) => s.length))
  const rows: string[] = []
  for (let i = 0; i < n; i++) {
    const cells = split.map((s) => s[i])
    const same = cells.every((c) => c === cells[0])
    if (same) {
      rows.push(`    out ${String(i + 1).padStart(3)}   ${cells[0] ?? '<none>'}`)
    } else {
      rows.push(`!!! out ${String(i + 1).padStart(3)}`)
      runs.forEach((r, k) => rows.push(`      ${r.name.padEnd(14)} ${JSON.stringify(cells[k] ?? null)}`))
    }
  }
  const statuses = runs.map((r) => `${r.name}: exit ${r.status}${r.signal ? ` signal ${r.signal}` : ''}`).join(', ')
  const stderrs = runs
    .filter((r) => r.stderr.length > 0)
    .map((r) => `  stderr of ${r.name}: ${JSON.stringify(r.stderr.slice(0, 600))}`)
  return [statuses, ...rows, ...stderrs].join('\n')
}

function agree(runs: readonly Run[]): boolean {
  const [a, ...rest] = runs as [Run, ...Run[]]
  return rest.every((r) => r.status === a.status && r.signal === a.signal && r.stdout.equals(a.stdout))
}

beforeAll(async () => {
  // `npm test` from a fresh clone has no Rust twin yet: build it (a no-op
  // when it is up to date). Other engineers share target/, so cargo may wait
  // on its lock for a while.
  await new Promise<void>((resolve, reject) => {
    execFile(
      'cargo',
      ['build', '--release', '-p', 'crosscheck', '--bin', 'replay'],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, _stdout, stderr) => (err ? reject(new Error(`cargo build of the Rust replay twin failed:\n${stderr}`)) : resolve()),
    )
  })
  if (!existsSync(REPLAY_BIN)) throw new Error(`cargo build did not produce ${REPLAY_BIN}`)
  if (!existsSync(NODE_CLI)) throw new Error(`the Node CLI ${NODE_CLI} is missing`)
}, 900_000)

describe('fixed traces (expected output derived by hand from docs/TRACE_FORMAT.md)', () => {
  const exitCodes = JSON.parse(readFileSync(path.join(FIXTURES, 'exit-codes.json'), 'utf8')) as Record<string, number>
  const names = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort()

  it('every fixture has an expected output and exit status', () => {
    expect(names.length).toBeGreaterThanOrEqual(4)
    for (const n of names) {
      expect(existsSync(path.join(FIXTURES, `${n}.out`)), `${n}.out`).toBe(true)
      expect(exitCodes[n], `exit code of ${n}`).toBeTypeOf('number')
    }
  })

  for (const name of names) {
    it(`${name}: all three replayers print the expected output (stdin)`, async () => {
      const input = readFileSync(path.join(FIXTURES, `${name}.jsonl`))
      const expected = readFileSync(path.join(FIXTURES, `${name}.out`), 'utf8')
      const runs = await runAll(input)
      for (const r of runs) {
        expect(r.stdout.toString('utf8'), `${r.name} stdout\n${diffReport(runs)}`).toBe(expected)
        expect(r.status, `${r.name} exit status\n${diffReport(runs)}`).toBe(exitCodes[name])
      }
    }, 60_000)
  }

  it('a FILE argument reads the same as stdin', async () => {
    const file = path.join(FIXTURES, 'invalid-lines.jsonl')
    const expected = readFileSync(path.join(FIXTURES, 'invalid-lines.out'), 'utf8')
    const runs = await runAll(null, file)
    for (const r of runs) {
      expect(r.stdout.toString('utf8'), `${r.name}\n${diffReport(runs)}`).toBe(expected)
      expect(r.status, r.name).toBe(1)
    }
  }, 60_000)

  it('CRLF line endings and a missing final newline change nothing', async () => {
    const text = readFileSync(path.join(FIXTURES, 'basics.jsonl'), 'utf8')
    const expected = readFileSync(path.join(FIXTURES, 'basics.out'), 'utf8')
    const crlf = Buffer.from(text.trimEnd().split('\n').join('\r\n'), 'utf8')
    const runs = await runAll(crlf)
    for (const r of runs) {
      expect(r.stdout.toString('utf8'), `${r.name}\n${diffReport(runs)}`).toBe(expected)
      expect(r.status, r.name).toBe(0)
    }
  }, 60_000)

  it('empty input and blank-only input print nothing and exit 0', async () => {
    for (const input of ['', '\n\n', ' \t\r\n\r\n  ']) {
      const runs = await runAll(Buffer.from(input, 'utf8'))
      for (const r of runs) {
        expect(r.stdout.length, `${r.name} on ${JSON.stringify(input)}`).toBe(0)
        expect(r.status, `${r.name} on ${JSON.stringify(input)}`).toBe(0)
      }
    }
  }, 60_000)

  it('invalid UTF-8 is replaced by U+FFFD before anything else', async () => {
    // Line 2's dimension holds the byte 0xFF; after replacement it is the
    // unknown dimension "tok\uFFFDens". Line 3 has a raw 0xFF outside any
    // string, which is not JSON.
    const input = Buffer.concat([
      Buffer.from('{"op":"build","limits":[{"dim":"tokens","limit":5}]}\n{"op":"charge","dim":"tok', 'utf8'),
      Buffer.from([0xff]),
      Buffer.from('ens","amount":1}\n{"op":"reset"}', 'utf8'),
      Buffer.from([0xff]),
      Buffer.from('\n{"op":"spent","dim":"tokens"}\n', 'utf8'),
    ])
    const expected =
      '{"ok":true}\n' +
      '{"error":"INVALID_INPUT","line":2,"message":"dim: unknown dimension \\"tok\uFFFDens\\""}\n' +
      '{"error":"INVALID_INPUT","line":3,"message":"invalid JSON"}\n' +
      '{"value":"0"}\n'
    const runs = await runAll(input)
    for (const r of runs) {
      expect(r.stdout.toString('utf8'), `${r.name}\n${diffReport(runs)}`).toBe(expected)
      expect(r.status, r.name).toBe(1)
    }
  }, 60_000)

  it('usage errors and unreadable input: exit 2, a message on stderr, nothing on stdout', async () => {
    const cases: Array<[string, string[]]> = [
      ['a missing file', [path.join(FIXTURES, 'no-such-trace.jsonl')]],
      ['a directory', [FIXTURES]],
      ['two files', [path.join(FIXTURES, 'basics.jsonl'), path.join(FIXTURES, 'builds.jsonl')]],
      ['an unknown option', ['--no-such-option']],
    ]
    for (const [what, args] of cases) {
      const runs = await Promise.all([
        run('node cli', process.execPath, [NODE_CLI, 'replay', ...args], null),
        run('rust upstream', REPLAY_BIN, ['--engine', 'upstream', ...args], null),
        run('rust ours', REPLAY_BIN, ['--engine', 'ours', ...args], null),
      ])
      for (const r of runs) {
        expect(r.status, `${r.name}, ${what}`).toBe(2)
        expect(r.stdout.length, `${r.name}, ${what}: stdout`).toBe(0)
        expect(r.stderr.length, `${r.name}, ${what}: stderr`).toBeGreaterThan(0)
      }
    }
  }, 60_000)
})

describe('random traces: Node CLI, upstream 0.1.2 and our kernel agree byte for byte', () => {
  it('agree on every generated trace (spawned processes)', async () => {
    await fc.assert(
      fc.asyncProperty(traceArbitrary(), async (t: Trace) => {
        const runs = await runAll(traceBytes(t))
        if (!agree(runs)) {
          throw new Error(`replayers disagree\n--- trace ---\n${describeTrace(t)}\n--- outputs ---\n${diffReport(runs)}`)
        }
        // Sanity: an exit status from the format, and one line per non-blank input line.
        const first = runs[0]
        if (first.status !== 0 && first.status !== 1) {
          throw new Error(`unexpected exit status\n--- trace ---\n${describeTrace(t)}\n--- outputs ---\n${diffReport(runs)}`)
        }
      }),
      { numRuns: Number(process.env.CROSSCHECK_RUNS ?? 200) },
    )
  }, 600_000)

  it('every non-blank line gets exactly one output line', async () => {
    await fc.assert(
      fc.asyncProperty(traceArbitrary({ maxLines: 20 }), async (t: Trace) => {
        const input = traceBytes(t)
        const text = input.toString('utf8')
        const lines = text.split('\n')
        if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
        const nonBlank = lines.filter((l) => !/^[ \t\r]*$/.test(l)).length
        const node = await run('node cli', process.execPath, [NODE_CLI, 'replay', '-'], input)
        const out = node.stdout.toString('utf8')
        const outLines = out === '' ? 0 : out.endsWith('\n') ? out.split('\n').length - 1 : -1
        if (outLines !== nonBlank) {
          throw new Error(
            `expected ${nonBlank} output lines (newline-terminated), got ${outLines}\n--- trace ---\n${describeTrace(t)}\n--- output ---\n${out}`,
          )
        }
      }),
      { numRuns: 40 },
    )
  }, 300_000)

  it('agree on many more traces (the CLI logic in-process, the Rust twin spawned)', async () => {
    // The same comparison without a Node start-up per trace: cli/replay.js's
    // replayText is what the CLI runs on each line, minus argv and stdio.
    const { replayText } = require(path.join(ROOT, 'cli', 'replay.js')) as {
      replayText(input: Uint8Array): { output: string; status: 0 | 1 }
    }
    await fc.assert(
      fc.asyncProperty(traceArbitrary(), async (t: Trace) => {
        const input = traceBytes(t)
        const inProcess = replayText(input)
        const node: Run = { name: 'node replayText', stdout: Buffer.from(inProcess.output, 'utf8'), stderr: '', status: inProcess.status, signal: null }
        const [upstream, ours] = await Promise.all([
          run('rust upstream', REPLAY_BIN, ['--engine', 'upstream', '-'], input),
          run('rust ours', REPLAY_BIN, ['--engine', 'ours', '-'], input),
        ])
        const runs = [node, upstream, ours]
        if (!agree(runs)) {
          throw new Error(`replayers disagree\n--- trace ---\n${describeTrace(t)}\n--- outputs ---\n${diffReport(runs)}`)
        }
      }),
      { numRuns: Number(process.env.CROSSCHECK_INPROCESS_RUNS ?? 2000) },
    )
  }, 600_000)

  it('agree on one large trace (about 1 MiB), read in many chunks, from stdin and from a file', async () => {
    // Replayers read their input in chunks; multi-byte characters and
    // invalid UTF-8 sequences then straddle chunk boundaries. Every third line
    // is dense with 2-, 3- and 4-byte characters (and sometimes raw invalid
    // bytes), so boundaries fall inside them many times over.
    const sampled = fc.sample(traceArbitrary(), { seed: 20261128, numRuns: 600 })
    const lines: string[] = []
    let k = 0
    for (const t of sampled) {
      for (const l of t.lines) {
        lines.push(l)
        if (++k % 3 === 0) {
          const pad = 'ö€😀'.repeat(1 + (k % 7))
          lines.push(
            k % 2 === 0
              ? `{"op":"charge","dim":"${pad}","amount":${k % 13}}`
              : `{"op":"spent","dim":"tokens","note":"${pad}${k % 5 === 0 ? '\uE001' : ''}${pad}"}`,
          )
        }
      }
    }
    const input = traceBytes({ lines, eol: '\n', trailingEol: true, bom: false })
    expect(input.length).toBeGreaterThan(512 * 1024)
    const nonBlank = lines.filter((l) => !/^[ \t\r]*$/.test(l)).length
    const viaStdin = await runAll(input)
    if (!agree(viaStdin)) throw new Error(`replayers disagree on the large trace (stdin)\n${diffReport(viaStdin).slice(0, 20000)}`)
    expect(viaStdin[0].stdout.toString('utf8').split('\n').length - 1).toBe(nonBlank)
    const dir = mkdtempSync(path.join(tmpdir(), 'bk-crosscheck-'))
    try {
      const file = path.join(dir, 'large.jsonl')
      writeFileSync(file, input)
      const viaFile = await runAll(null, file)
      if (!agree(viaFile)) throw new Error(`replayers disagree on the large trace (file)\n${diffReport(viaFile).slice(0, 20000)}`)
      expect(viaFile[0].stdout.equals(viaStdin[0].stdout)).toBe(true)
      expect(viaFile[0].status).toBe(viaStdin[0].status)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it('the CLI logic gives the same output however the input is cut into chunks', async () => {
    // The CLI streams: it decodes and splits lines chunk by chunk (a
    // LineSplitter feeding a Replayer, as replayText composes them). Cutting
    // the bytes anywhere, including inside a multi-byte character, an invalid
    // sequence or a CRLF, must not change a byte of the output.
    const mod = require(path.join(ROOT, 'cli', 'replay.js')) as {
      replayText(input: Uint8Array): { output: string; status: 0 | 1 }
      LineSplitter: new () => { push(chunk: Uint8Array, onLine: (l: string) => void): void; end(onLine: (l: string) => void): void }
      Replayer: new () => { line(text: string): unknown; invalid: number }
      formatOutcome(o: unknown): string
    }
    fc.assert(
      fc.property(traceArbitrary(), fc.array(fc.nat(), { maxLength: 12 }), (t: Trace, cutsRaw: number[]) => {
        const input = traceBytes(t)
        const cuts = [...new Set(cutsRaw.map((c) => (input.length === 0 ? 0 : c % (input.length + 1))))].sort((a, b) => a - b)
        const splitter = new mod.LineSplitter()
        const replayer = new mod.Replayer()
        let output = ''
        const onLine = (text: string) => {
          const outcome = replayer.line(text)
          if (outcome !== undefined) output += mod.formatOutcome(outcome) + '\n'
        }
        let from = 0
        for (const c of [...cuts, input.length]) {
          splitter.push(input.subarray(from, c), onLine)
          from = c
        }
        splitter.end(onLine)
        const whole = mod.replayText(input)
        if (output !== whole.output || (replayer.invalid > 0 ? 1 : 0) !== whole.status) {
          throw new Error(`chunked replay differs (cuts at ${cuts.join(', ')})\n--- trace ---\n${describeTrace(t)}\n--- whole ---\n${whole.output}--- chunked ---\n${output}`)
        }
      }),
      { numRuns: 1000 },
    )
  }, 120_000)

  it('--pretty (Node CLI only) exits like JSON Lines mode and its summary counts match the JSON lines', async () => {
    const { replayText } = require(path.join(ROOT, 'cli', 'replay.js')) as {
      replayText(input: Uint8Array): { output: string; status: 0 | 1 }
    }
    await fc.assert(
      fc.asyncProperty(traceArbitrary(), async (t: Trace) => {
        const input = traceBytes(t)
        const json = replayText(input)
        const out = json.output.split('\n').filter((l) => l !== '')
        const text = input.toString('utf8')
        const physical = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
        const count = (re: RegExp) => out.filter((l) => re.test(l)).length
        const invalid = count(/^\{"error":"INVALID_INPUT"/)
        const expected = {
          status: json.status,
          summary: `${physical} lines · ${out.length} operations · ${physical - out.length} blank · ${invalid} invalid`,
          verdicts: `continue ${count(/^\{"verdict":"continue"/)} · warn ${count(/^\{"verdict":"warn"/)} · exhausted ${count(/^\{"verdict":"exhausted"/)}`,
          other: `ok ${count(/^\{"ok":true\}$/)} · values ${count(/^\{"value":/)} · errors ${count(/^\{"error":/) - invalid}`,
        }
        const pretty = await run('node cli --pretty', process.execPath, [NODE_CLI, 'replay', '--pretty', '-'], input)
        const p = pretty.stdout.toString('utf8')
        const got = {
          status: pretty.status,
          summary: /^summary\s+(.*)$/m.exec(p)?.[1],
          verdicts: /^verdicts\s+(.*)$/m.exec(p)?.[1],
          other: /^other\s+(.*)$/m.exec(p)?.[1],
        }
        if (JSON.stringify(got) !== JSON.stringify(expected) || pretty.stderr !== '' || p.includes('\x1b[')) {
          throw new Error(
            `--pretty disagrees with the JSON Lines mode\n--- trace ---\n${describeTrace(t)}\n--- expected ---\n${JSON.stringify(expected, null, 1)}\n--- got ---\n${JSON.stringify(got, null, 1)}\nstderr: ${pretty.stderr}\n--- pretty output ---\n${p}`,
          )
        }
      }),
      { numRuns: 60 },
    )
  }, 300_000)
})
