// The shipped examples run and say what their inputs imply. Every expected
// figure below is worked out by hand from the example's own inputs and the
// kernel rules (limits inclusive, warn strict, exhaustion wins, chargeMany
// reports the worst verdict, left-biased), not copied from a run.

import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = path.join(ROOT, 'cli', 'budgetkernel.js')

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

function node(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    // Not a TTY and NO_COLOR unset: the output must carry no colour codes anyway.
    const env = { ...process.env }
    delete env.FORCE_COLOR
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : null, stdout, stderr })
    })
  })
}

/** A regex source for an integer, with or without thousands separators. */
const num = (n: number): string => {
  const s = String(n)
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',?'
    out += s[i]
  }
  return out
}

describe('examples/agent-run.jsonl through the replay CLI', () => {
  // The trace: tokens 16000 (warn 12000), millis 45000 (warn 36000), calls 10;
  // line 2 is blank. Running totals after each line:
  //   3  chargeMany t 1850  m 2400  c 1   -> continue
  //   4  chargeMany         m 3040  c 2   -> continue
  //   5  charge     t 5050                -> continue
  //   6  chargeMany t 7800  m 3950  c 3   -> continue
  //   7  spent tokens                     -> 7800
  //   8  chargeMany t 10700 m 13750 c 4   -> continue
  //   9  chargeMany t 12300 m 19950 c 5   -> warn tokens (12300 > 12000)
  //  10  remaining tokens                 -> 16000 - 12300 = 3700
  //  11  chargeMany t 14400 m 28650 c 6   -> warn tokens
  //  12  chargeMany t 15900 m 36550 c 7   -> warn tokens and warn millis (36550 > 36000): worst keeps the first, tokens
  //  13  charge     t 17300               -> exhausted tokens (17300 > 16000)
  //  14  spent tokens                     -> 17300
  //  15  remaining tokens                 -> 0
  const trace = path.join(ROOT, 'examples', 'agent-run.jsonl')

  it('JSON Lines mode prints one line per operation and exits 0', async () => {
    const r = await node([CLI, 'replay', trace])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(
      [
        '{"ok":true}',
        '{"verdict":"continue"}',
        '{"verdict":"continue"}',
        '{"verdict":"continue"}',
        '{"verdict":"continue"}',
        '{"value":"7800"}',
        '{"verdict":"continue"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"value":"3700"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"verdict":"warn","dim":"tokens"}',
        '{"verdict":"exhausted","dim":"tokens"}',
        '{"value":"17300"}',
        '{"value":"0"}',
        '',
      ].join('\n'),
    )
  }, 60_000)

  it('--pretty shows each step with its verdict, the final spent/limit per dimension and a summary, and exits 0', async () => {
    const r = await node([CLI, 'replay', '--pretty', trace])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).not.toMatch(/\x1b\[/)
    const lines = r.stdout.split('\n')
    // One step row per operation: "<step> <input line> <op> ... <result>" at the end of the row.
    const row = (step: number, line: number, op: string, result: string) =>
      new RegExp(`^\\s*${step}\\s+${line}\\s+${op}\\b.*\\s${result}\\s*$`)
    const steps: Array<[number, number, string, string]> = [
      [1, 1, 'build', 'ok'],
      [2, 3, 'chargeMany', 'continue'],
      [3, 4, 'chargeMany', 'continue'],
      [4, 5, 'charge', 'continue'],
      [5, 6, 'chargeMany', 'continue'],
      [6, 7, 'spent', `=?\\s*${num(7800)}`],
      [7, 8, 'chargeMany', 'continue'],
      [8, 9, 'chargeMany', 'warn tokens'],
      [9, 10, 'remaining', `=?\\s*${num(3700)}`],
      [10, 11, 'chargeMany', 'warn tokens'],
      [11, 12, 'chargeMany', 'warn tokens'],
      [12, 13, 'charge', 'exhausted tokens'],
      [13, 14, 'spent', `=?\\s*${num(17300)}`],
      [14, 15, 'remaining', '=?\\s*0'],
    ]
    for (const [step, line, op, result] of steps) {
      const re = row(step, line, op, result)
      expect(lines.some((l) => re.test(l)), `a row matching ${re}\n${r.stdout}`).toBe(true)
    }
    // The final state per declared dimension: spent / limit.
    const final = lines.slice(lines.findIndex((l) => /^final\b/.test(l)))
    expect(final.length, r.stdout).toBeGreaterThan(2)
    for (const [dim, spent, limit] of [
      ['tokens', 17300, 16000],
      ['millis', 36550, 45000],
      ['calls', 7, 10],
    ] as const) {
      const re = new RegExp(`\\b${dim}\\b.*\\b${num(spent)}\\s*/\\s*${num(limit)}\\b`)
      expect(final.some((l) => re.test(l)), `final ${dim}: ${re}\n${r.stdout}`).toBe(true)
    }
    // Summary: 15 physical lines, 14 operations, 1 blank, no invalid line;
    // verdicts: continue 5 (lines 3 4 5 6 8), warn 3 (9 11 12), exhausted 1 (13).
    expect(r.stdout).toMatch(/\b15 lines\b/)
    expect(r.stdout).toMatch(/\b14 operations\b/)
    expect(r.stdout).toMatch(/\b1 blank\b/)
    expect(r.stdout).toMatch(/\b0 invalid\b/)
    expect(r.stdout).toMatch(/continue 5\b.*warn 3\b.*exhausted 1\b/)
    expect(r.stdout).toMatch(/exit status 0/)
  }, 60_000)

  it('--pretty exits 1 when a line is invalid, like the JSON Lines mode', async () => {
    const r = await node([CLI, 'replay', '--pretty', path.join(ROOT, '__test__', 'fixtures', 'traces', 'invalid-lines.jsonl')])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/exit status 1/)
  }, 60_000)
})

describe('examples/task-runner.mjs', () => {
  it('runs the tasks until tokens are exhausted, skipping optional tasks after the warning', async () => {
    // Budget: tokens 5000 (warn 4000), millis 2000 (warn 1500), calls 8.
    // Running totals per task (tokens, millis, calls):
    //   1 fetch-sources    0 320 2   continue
    //   2 extract-facts 1400 570 3   continue
    //   3 outline       2300 750 4   continue
    //   4 write-sec-1   3600 1010 5  continue
    //   5 write-sec-2   4300 1250 6  warn tokens (4300 > 4000)
    //   6, 7 optional: skipped while in warning
    //   8 summarize     5200 1400 7  exhausted tokens (5200 > 5000): stop; spend is recorded
    //   9 publish: never reached
    const r = await node([path.join(ROOT, 'examples', 'task-runner.mjs')])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const out = r.stdout
    for (const name of ['fetch-sources', 'extract-facts', 'outline', 'write-section-1']) {
      expect(out, name).toMatch(new RegExp(`^\\[\\d/9\\] ${name}\\s+ran$`, 'm'))
    }
    expect(out).toMatch(/^\[5\/9\] write-section-2\s+ran \(warn: tokens\b.*$/m)
    expect(out).toMatch(/^\[6\/9\] polish-wording\s+skipped\b/m)
    expect(out).toMatch(/^\[7\/9\] add-citations\s+skipped\b/m)
    expect(out).toMatch(/^\[8\/9\] summarize\s+refused: tokens exhausted\b/m)
    expect(out).not.toMatch(/publish\s+(ran|refused|skipped)/)
    expect(out).toMatch(/ran 5: fetch-sources, extract-facts, outline, write-section-1, write-section-2$/m)
    expect(out).toMatch(/skipped 2: polish-wording, add-citations$/m)
    expect(out).toMatch(/stopped at summarize: tokens exhausted$/m)
    expect(out).toMatch(/tokens\s+spent 5200, remaining 0$/m)
    expect(out).toMatch(/millis\s+spent 1400, remaining 600$/m)
    expect(out).toMatch(/calls\s+spent 7, remaining 1$/m)
  }, 60_000)
})

describe('examples/http-quota.mjs', () => {
  it('serves within the per-request budget, answers 429 on exhaustion, and closes cleanly', async () => {
    // Per request: bytes 1024 (warn 768), millis 100 (warn 60), calls 10;
    // each item charges calls 1, millis 15, bytes = item size + 1 newline.
    //   count=2  (16-byte items): bytes 34, millis 30, calls 2; no warn
    //   count=5:  bytes 85, millis 75 (> 60 from the 5th item), calls 5; warn millis
    //   count=8:  millis 90 at the 6th item, 105 > 100 at the 7th: 429 millis, 6 served
    //   count=3&size=400: bytes 401, 802 (> 768 warn), 1203 > 1024 at the 3rd: 429 bytes, 2 served
    //   count=-1: rejected as a bad request (400)
    const r = await node([path.join(ROOT, 'examples', 'http-quota.mjs')])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines).toContain('GET /items?count=2 -> 200 2 items; spent bytes=34, millis=30, calls=2')
    expect(lines).toContain('GET /items?count=5 -> 200 5 items; spent bytes=85, millis=75, calls=5; warn millis')
    expect(lines).toContain('GET /items?count=8 -> 429 {"error":"budget exhausted","dim":"millis","served":6}')
    expect(lines).toContain('GET /items?count=3&size=400 -> 429 {"error":"budget exhausted","dim":"bytes","served":2}')
    expect(lines.some((l) => l.startsWith('GET /items?count=-1 -> 400 '))).toBe(true)
    expect(lines).toContain('http-quota: server closed')
  }, 60_000)
})

describe('examples/abort-signal.mjs', () => {
  it('cancels the streaming fetch on the exhausting charge and refuses the next request', async () => {
    // tokens 20 (warn 15), one token per line received:
    //   line 16: 16 > 15, the first warn
    //   line 21: 21 > 20, exhausted: the signal aborts inside that charge (its
    //            listener prints before the charge's own line), the body's next
    //            read rejects with the BudgetExhaustedError, the server (200
    //            lines) sees the connection close early
    //   the second fetch, on the aborted signal, is never sent: 1 request
    const r = await node([path.join(ROOT, 'examples', 'abort-signal.mjs')])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')).toEqual([
      'fetch: 200, streaming',
      'line 16: warn on tokens',
      'signal aborted: BUDGET_EXHAUSTED on tokens',
      'line 21: exhausted on tokens',
      'fetch: rejected with BudgetExhaustedError (tokens) after 21 lines',
      'server: the client closed the connection before the end of the answer',
      'second fetch: rejected before sending (BUDGET_EXHAUSTED)',
      'server: 1 request(s) received',
      'tokens: spent 21, remaining 0',
      'abort-signal: server closed',
      '',
    ])
  }, 60_000)
})
