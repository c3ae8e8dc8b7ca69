/**
 * The replay trace logic, kept apart from argv and I/O so it can be driven
 * in-process: line splitting, JSON validation with the exact messages of
 * docs/TRACE_FORMAT.md, amount parsing, executing one operation against a
 * Budget and formatting the JSON output line.
 *
 * Everything here goes through the package's public API only, on the engine
 * ./engine.ts selected.
 */

import type { Amount, Budget, Dim, Verdict } from '../index'
import { facade } from './engine'

/** One declared dimension of a `build` line. */
export interface LimitSpec {
  dim: Dim
  limit: Amount
  warn: Amount | undefined
}

/** A validated operation. */
export type Op =
  | { op: 'build'; limits: LimitSpec[] }
  | { op: 'charge'; dim: Dim; amount: Amount }
  | { op: 'chargeMany'; charges: Array<[Dim, Amount]> }
  | { op: 'spent'; dim: Dim }
  | { op: 'remaining'; dim: Dim }
  | { op: 'reset' }

/** What one non-blank line produced. */
export type Outcome =
  | { kind: 'invalid'; line: number; message: string }
  | { kind: 'ok'; line: number; op: Op }
  | { kind: 'error'; line: number; op: Op; code: string; dim: Dim | undefined }
  | { kind: 'verdict'; line: number; op: Op; verdict: Verdict }
  | { kind: 'value'; line: number; op: Op; value: bigint | undefined }

/** Largest amount a JSON number may carry: 2^53-1. */
const MAX_NUMBER_AMOUNT = 9007199254740991
/** Largest amount a decimal string may carry: 2^64-1. */
const MAX_STRING_AMOUNT = 18446744073709551615n
/** Containers nested deeper than this make a line `invalid JSON`. */
export const MAX_DEPTH = 64

const MSG_NUMBER_RANGE = 'must be an integer from 0 to 9007199254740991'
const MSG_STRING_RANGE = 'must be a decimal string from "0" to "18446744073709551615"'

const DIM_SET: ReadonlySet<string> = new Set(facade().DIMS)

const BLANK = /^[ \t\r]*$/
/**
 * Matches a lone surrogate: a string is well-formed UTF-16 exactly when this
 * does not match (what String.prototype.isWellFormed answers, without
 * needing the ES2024 typings).
 */
const LONE_SURROGATE = /\p{Cs}/u
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/

/** True when the line is made only of spaces, tabs and carriage returns. */
export function isBlank(line: string): boolean {
  return BLANK.test(line)
}

/**
 * Splits a byte stream into lines at `\n`, decoding UTF-8 with U+FFFD
 * replacement (a leading byte order mark is kept, not stripped). Chunks may
 * cut multi-byte sequences anywhere. A final line without `\n` is emitted by
 * `end()` when it is not empty.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
  /** Text of the current, unfinished line. */
  private pending: string[] = []

  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    this.feed(this.decoder.decode(chunk, { stream: true }), onLine)
  }

  end(onLine: (line: string) => void): void {
    this.feed(this.decoder.decode(), onLine)
    if (this.pending.length > 0) {
      const last = this.pending.join('')
      this.pending = []
      if (last.length > 0) onLine(last)
    }
  }

  private feed(text: string, onLine: (line: string) => void): void {
    let start = 0
    let nl = text.indexOf('\n')
    if (nl === -1) {
      if (text.length > 0) this.pending.push(text)
      return
    }
    if (this.pending.length > 0) {
      this.pending.push(text.slice(0, nl))
      const line = this.pending.join('')
      this.pending = []
      onLine(line)
      start = nl + 1
      nl = text.indexOf('\n', start)
    }
    while (nl !== -1) {
      onLine(text.slice(start, nl))
      start = nl + 1
      nl = text.indexOf('\n', start)
    }
    if (start < text.length) this.pending.push(text.slice(start))
  }
}

/**
 * Rejects what JSON.parse accepts but a strict parser (the Rust twin's
 * serde_json) refuses: numbers too large for a double (parsed as ±Infinity),
 * strings or keys that are not well-formed UTF-16 (lone surrogates from
 * `\u` escapes), and containers nested deeper than 64.
 * Iterative, so a deep value cannot exhaust the stack.
 */
export function isStrictJson(root: unknown): boolean {
  const values: unknown[] = [root]
  const depths: number[] = [0]
  while (values.length > 0) {
    const value = values.pop()
    const depth = depths.pop() ?? 0
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value)) return false
        break
      case 'string':
        if (LONE_SURROGATE.test(value)) return false
        break
      case 'object': {
        if (value === null) break
        if (depth + 1 > MAX_DEPTH) return false
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            values.push(value[i])
            depths.push(depth + 1)
          }
        } else {
          const record = value as Record<string, unknown>
          for (const key of Object.keys(record)) {
            if (LONE_SURROGATE.test(key)) return false
            values.push(record[key])
            depths.push(depth + 1)
          }
        }
        break
      }
      default:
        break
    }
  }
  return true
}

/**
 * Thrown by the field validators; carries the exact message of the trace
 * format. Never escapes this module. Not an Error: no stack is captured, so
 * an invalid line costs little.
 */
class InvalidLine {
  constructor(readonly message: string) {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function required(obj: Record<string, unknown>, key: string, path: string): unknown {
  if (!Object.hasOwn(obj, key)) throw new InvalidLine(`${path}: missing`)
  return obj[key]
}

function parseDim(value: unknown, path: string): Dim {
  if (typeof value !== 'string') throw new InvalidLine(`${path}: expected a string`)
  if (!DIM_SET.has(value)) {
    throw new InvalidLine(`${path}: unknown dimension ${JSON.stringify(value)}`)
  }
  return value as Dim
}

/**
 * Parses an amount field: a JSON number holding an integer in 0..=2^53-1
 * (returned as a number, -0 as 0) or a canonical decimal string up to 2^64-1
 * (returned as a bigint).
 */
export function parseAmount(value: unknown, path: string): Amount {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_NUMBER_AMOUNT) {
      throw new InvalidLine(`${path}: ${MSG_NUMBER_RANGE}`)
    }
    return value + 0 // folds -0 into 0
  }
  if (typeof value === 'string') {
    if (!CANONICAL_DECIMAL.test(value)) throw new InvalidLine(`${path}: ${MSG_STRING_RANGE}`)
    const n = BigInt(value)
    if (n > MAX_STRING_AMOUNT) throw new InvalidLine(`${path}: ${MSG_STRING_RANGE}`)
    return n
  }
  throw new InvalidLine(`${path}: expected an integer or a decimal string`)
}

function parseOp(obj: Record<string, unknown>): Op {
  const op = required(obj, 'op', 'op')
  if (typeof op !== 'string') throw new InvalidLine('op: expected a string')
  switch (op) {
    case 'build': {
      const limits = required(obj, 'limits', 'limits')
      if (!Array.isArray(limits)) throw new InvalidLine('limits: expected an array')
      const specs: LimitSpec[] = []
      for (let i = 0; i < limits.length; i++) {
        const path = `limits[${i}]`
        const entry: unknown = limits[i]
        if (!isPlainObject(entry)) throw new InvalidLine(`${path}: expected an object`)
        const dim = parseDim(required(entry, 'dim', `${path}.dim`), `${path}.dim`)
        const limit = parseAmount(required(entry, 'limit', `${path}.limit`), `${path}.limit`)
        const rawWarn = Object.hasOwn(entry, 'warn') ? entry.warn : null
        const warn = rawWarn === null ? undefined : parseAmount(rawWarn, `${path}.warn`)
        specs.push({ dim, limit, warn })
      }
      return { op, limits: specs }
    }
    case 'charge': {
      const dim = parseDim(required(obj, 'dim', 'dim'), 'dim')
      const amount = parseAmount(required(obj, 'amount', 'amount'), 'amount')
      return { op, dim, amount }
    }
    case 'chargeMany': {
      const charges = required(obj, 'charges', 'charges')
      if (!Array.isArray(charges)) throw new InvalidLine('charges: expected an array')
      const pairs: Array<[Dim, Amount]> = []
      for (let i = 0; i < charges.length; i++) {
        const path = `charges[${i}]`
        const pair: unknown = charges[i]
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new InvalidLine(`${path}: expected a [dim, amount] pair`)
        }
        const dim = parseDim(pair[0], `${path}[0]`)
        const amount = parseAmount(pair[1], `${path}[1]`)
        pairs.push([dim, amount])
      }
      return { op, charges: pairs }
    }
    case 'spent':
    case 'remaining': {
      const dim = parseDim(required(obj, 'dim', 'dim'), 'dim')
      return { op, dim }
    }
    case 'reset':
      return { op }
    default:
      throw new InvalidLine(`op: unknown op ${JSON.stringify(op)}`)
  }
}

/**
 * Parses and validates one non-blank line. A string field `note` is handed
 * back for display (the pretty table shows it); like every other extra field
 * it has no effect on the JSON output.
 */
export function parseLine(
  line: string,
): { ok: true; op: Op; note: string | undefined } | { ok: false; message: string } {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { ok: false, message: 'invalid JSON' }
  }
  if (!isStrictJson(value)) return { ok: false, message: 'invalid JSON' }
  if (!isPlainObject(value)) return { ok: false, message: 'expected a JSON object' }
  try {
    const op = parseOp(value)
    const note = Object.hasOwn(value, 'note') && typeof value.note === 'string' ? value.note : undefined
    return { ok: true, op, note }
  } catch (err) {
    if (err instanceof InvalidLine) return { ok: false, message: err.message }
    throw err
  }
}

/**
 * Holds the current budget between lines and executes validated operations
 * against it.
 */
export class Replayer {
  /** The current budget, once a build succeeded. */
  budget: Budget | undefined = undefined
  /** The declaration of the current budget. */
  limits: LimitSpec[] = []
  /** Physical lines seen so far, blank ones included. */
  lines = 0
  /** Lines that were INVALID_INPUT. */
  invalid = 0
  /** The `note` of the last valid line, if it had one. */
  note: string | undefined = undefined

  /** Feeds the next physical line. Returns undefined for a blank line. */
  line(text: string): Outcome | undefined {
    const next = this.prepare(text)
    return next === undefined || next.kind === 'invalid' ? next : this.execute(next.op, next.line)
  }

  /**
   * Counts and parses the next physical line: undefined for a blank line,
   * the `invalid` outcome, or the validated operation still to execute.
   * Every engine shares this step (the Redis replayer executes the
   * operation asynchronously, see ./replay-redis.ts).
   */
  prepare(
    text: string,
  ): { kind: 'invalid'; line: number; message: string } | { kind: 'op'; line: number; op: Op } | undefined {
    const line = ++this.lines
    if (isBlank(text)) return undefined
    const parsed = parseLine(text)
    this.note = parsed.ok ? parsed.note : undefined
    if (!parsed.ok) {
      this.invalid++
      return { kind: 'invalid', line, message: parsed.message }
    }
    return { kind: 'op', line, op: parsed.op }
  }

  /** Executes a validated operation. */
  execute(op: Op, line: number): Outcome {
    if (op.op === 'build') return this.build(op, line)
    const budget = this.budget
    if (budget === undefined) return { kind: 'error', line, op, code: 'NO_BUDGET', dim: undefined }
    switch (op.op) {
      case 'charge':
      case 'chargeMany':
        try {
          const verdict = op.op === 'charge' ? budget.charge(op.dim, op.amount) : budget.chargeMany(op.charges)
          return { kind: 'verdict', line, op, verdict }
        } catch (err) {
          if (err instanceof facade().ChargeError) {
            return { kind: 'error', line, op, code: err.code, dim: err.dim }
          }
          throw err
        }
      case 'spent':
        return { kind: 'value', line, op, value: budget.spent(op.dim) }
      case 'remaining':
        return { kind: 'value', line, op, value: budget.remaining(op.dim) }
      case 'reset':
        budget.reset()
        return { kind: 'ok', line, op }
    }
  }

  private build(op: { op: 'build'; limits: LimitSpec[] }, line: number): Outcome {
    const api = facade()
    try {
      let builder = api.Budget.builder()
      for (const { dim, limit, warn } of op.limits) {
        builder = warn === undefined ? builder.limit(dim, limit) : builder.limitWithWarn(dim, limit, warn)
      }
      const built = builder.build()
      // Free the budget this build replaces now: a long trace of builds
      // would otherwise keep every one alive until the event loop turns.
      this.budget?.release()
      this.budget = built
      this.limits = op.limits
      return { kind: 'ok', line, op }
    } catch (err) {
      if (err instanceof api.BuilderError) {
        return { kind: 'error', line, op, code: err.code, dim: err.dim }
      }
      throw err
    }
  }
}

/** The JSON output line for an outcome, without the trailing newline. */
export function formatOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'ok':
      return '{"ok":true}'
    case 'verdict': {
      const v = outcome.verdict
      return v.kind === 'continue' ? '{"verdict":"continue"}' : `{"verdict":"${v.kind}","dim":"${v.dim}"}`
    }
    case 'value':
      return outcome.value === undefined ? '{"value":null}' : `{"value":"${outcome.value}"}`
    case 'error':
      return outcome.dim === undefined
        ? `{"error":"${outcome.code}"}`
        : `{"error":"${outcome.code}","dim":"${outcome.dim}"}`
    case 'invalid':
      return `{"error":"INVALID_INPUT","line":${outcome.line},"message":${JSON.stringify(outcome.message)}}`
  }
}

/**
 * Replays a whole trace held in memory and returns the JSON Lines output and
 * the exit status (0, or 1 when a line was invalid). For tests and small
 * inputs; the CLI streams instead.
 */
export function replayText(input: string | Uint8Array): { output: string; status: 0 | 1 } {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  const replayer = new Replayer()
  const splitter = new LineSplitter()
  let output = ''
  const onLine = (text: string): void => {
    const outcome = replayer.line(text)
    if (outcome !== undefined) output += formatOutcome(outcome) + '\n'
  }
  splitter.push(bytes, onLine)
  splitter.end(onLine)
  return { output, status: replayer.invalid > 0 ? 1 : 0 }
}
