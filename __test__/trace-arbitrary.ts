// fast-check generator of replay traces (docs/TRACE_FORMAT.md).
//
// A trace is a list of raw text lines. Most lines are valid operations whose
// values are chosen so that charges hit declared dimensions, cross warn
// thresholds and limits, and saturate; a minority are the invalid inputs the
// format lists (bad JSON, wrong types, missing fields, bad amounts, unknown
// ops and dimensions). The generator knows nothing about the expected output:
// the cross-check only asks that every replayer writes the same bytes.
//
// Invalid UTF-8 cannot live in a JS string, so three private-use characters
// stand for raw byte sequences and are substituted by `traceBytes`.

import fc from 'fast-check'
import { DIM_NAMES } from './model.js'


const SAFE_MAX = 2n ** 53n - 1n
const U64_MAX = 2n ** 64n - 1n

/** Placeholder characters and the raw (invalid UTF-8) bytes they stand for. */
export const RAW_BYTES: ReadonlyMap<string, Buffer> = new Map([
  ['\uE000', Buffer.from([0xff])], // never valid in UTF-8
  ['\uE001', Buffer.from([0xe2, 0x82])], // truncated 3-byte sequence
  ['\uE002', Buffer.from([0xed, 0xa0, 0x80])], // UTF-8-encoded lone surrogate
  ['\uE003', Buffer.from([0xc0, 0x80])], // overlong NUL
])

export interface Trace {
  /** Physical lines, without their terminators. */
  readonly lines: readonly string[]
  /** Line terminator used between lines. */
  readonly eol: '\n' | '\r\n'
  /** Whether the last line is followed by a terminator too. */
  readonly trailingEol: boolean
  /** Whether the input starts with a byte order mark (U+FEFF). */
  readonly bom: boolean
}

/** The exact bytes fed to a replayer on stdin. */
export function traceBytes(t: Trace): Buffer {
  let text = (t.bom ? '\uFEFF' : '') + t.lines.join(t.eol)
  if (t.trailingEol && t.lines.length > 0) text += t.eol
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const raw = RAW_BYTES.get(text[i] as string)
    if (raw !== undefined) {
      parts.push(Buffer.from(text.slice(start, i), 'utf8'), raw)
      start = i + 1
    }
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'))
  return Buffer.concat(parts)
}

/** A readable, unambiguous rendering of a trace for failure messages. */
export function describeTrace(t: Trace): string {
  const head = `eol=${JSON.stringify(t.eol)} trailingEol=${t.trailingEol} bom=${t.bom} lines=${t.lines.length}`
  const body = t.lines.map((l, i) => `  ${String(i + 1).padStart(3)} | ${escapeLine(l)}`)
  return [head, ...body].join('\n')
}

function escapeLine(l: string): string {
  let out = ''
  for (const ch of l) {
    const raw = RAW_BYTES.get(ch)
    if (raw !== undefined) {
      out += `<raw ${raw.toString('hex')}>`
      continue
    }
    const c = ch.codePointAt(0) as number
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff) {
      out += `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>`
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += `<lone U+${c.toString(16).toUpperCase()}>`
    } else {
      out += ch
    }
  }
  return out
}

// ---------------------------------------------------------------------------
// JSON building blocks. Every generator below yields raw JSON text.

const jsonString = (s: string): string => JSON.stringify(s)

/** A value of any JSON type, for extra fields and wrong-type cases. */
const anyJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1', '1.5', '""', '"x"', '[]', '{}', '[1,"a"]', '{"op":"reset"}'),
  fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v) ?? 'null'),
)

/** `arb` once in `n` times, `undefined` otherwise. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: n - 1 }, { arbitrary: arb, weight: 1 })

/** An object rendered from ordered [key, rawValue] pairs, with harmless variations. */
function objectFrom(pairs: fc.Arbitrary<Array<[string, string]>>): fc.Arbitrary<string> {
  return fc
    .record({
      pairs,
      order: sometimes(fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), 4),
      extra: sometimes(
        fc.tuple(fc.constantFrom('extra', 'note', '__proto__', 'constructor', 'limits', 'dim', 'amount', 'charges', 'op'), anyJson),
        8,
      ),
      decoy: sometimes(fc.tuple(fc.nat(), anyJson), 10),
      spaced: fc.boolean(),
      escapeKey: sometimes(fc.nat(), 12),
    })
    .map(({ pairs: ps, order, extra, decoy, spaced, escapeKey }) => {
      let entries = ps.slice()
      if (order !== undefined) {
        entries = entries
          .map((e, i) => ({ e, k: order[i % order.length] as number }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.e)
      }
      // A decoy is an earlier duplicate of a real key: the last value wins.
      if (decoy !== undefined && entries.length > 0) {
        const key = (entries[decoy[0] % entries.length] as [string, string])[0]
        entries.unshift([key, decoy[1]])
      }
      // An extra field. When it shadows a required key it comes first, so the
      // real value still wins; otherwise it goes last and must be ignored.
      if (extra !== undefined) {
        if (entries.some(([k]) => k === extra[0])) entries.unshift(extra)
        else entries.push(extra)
      }
      const sep = spaced ? ', ' : ','
      const colon = spaced ? ': ' : ':'
      // A key spelled with a JSON escape is the same key once decoded.
      const escaped = escapeKey === undefined || entries.length === 0 ? -1 : escapeKey % entries.length
      const key = (k: string, i: number): string =>
        i === escaped && k.length > 0 && k.charCodeAt(0) < 0x80
          ? `"\\u00${k.charCodeAt(0).toString(16).padStart(2, '0')}${jsonString(k).slice(2)}`
          : jsonString(k)
      const body = entries.map(([k, v], i) => key(k, i) + colon + v).join(sep)
      return spaced ? `{ ${body} }` : `{${body}}`
    })
}

// ---------------------------------------------------------------------------
// Amounts.

const bigintIn = (min: bigint, max: bigint) => fc.bigInt({ min, max })

/** Amount values worth charging: mostly small, sometimes at the edges. */
const amountValue: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.constantFrom(0n, 1n), weight: 4 },
  { arbitrary: bigintIn(0n, 4n), weight: 8 },
  { arbitrary: bigintIn(0n, 20n), weight: 8 },
  { arbitrary: bigintIn(0n, 5000n), weight: 1 },
  { arbitrary: fc.constantFrom(SAFE_MAX, SAFE_MAX - 1n, SAFE_MAX + 1n, U64_MAX, U64_MAX - 1n), weight: 1 },
  { arbitrary: bigintIn(U64_MAX - 100n, U64_MAX), weight: 1 },
  { arbitrary: bigintIn(0n, U64_MAX), weight: 1 },
)

/** Renders a valid amount value in one of the spellings the format allows. */
function renderAmount(v: bigint, form: number): string {
  if (form === 10) return `"\\u003${v.toString()}"` // the first digit written as a JSON escape
  if (v > SAFE_MAX || form === 5 || form === 6) return jsonString(v.toString())
  const s = v.toString()
  switch (form) {
    case 7:
      return `${s}.0`
    case 8: {
      if (v === 0n) return '0e5'
      let m = v
      let k = 0
      while (m % 10n === 0n) {
        m /= 10n
        k++
      }
      return k === 0 ? `${s}e0` : `${m}E+${k}`
    }
    case 9:
      return `${s}0e-1`
    default:
      return s
  }
}

const validAmountOf = (values: fc.Arbitrary<bigint>): fc.Arbitrary<string> =>
  fc.tuple(values, fc.integer({ min: 0, max: 10 })).map(([v, f]) => renderAmount(v, f))

/** Amounts the format rejects (or that are not JSON at all). */
const invalidAmount: fc.Arbitrary<string> = fc.constantFrom(
  '-1',
  '-5',
  '1.5',
  '0.1',
  '1e-7',
  '-0.5',
  '9007199254740992',
  '9007199254740993',
  '9007199254740992.0',
  '1e20',
  '18446744073709551615',
  '"01"',
  '"00"',
  '"-1"',
  '"+1"',
  '" 1"',
  '"1 "',
  '""',
  '"1.0"',
  '"1e3"',
  '"0x10"',
  '"\uFF11"', // fullwidth digit one
  '"\u0661"', // Arabic-Indic digit one
  '"18446744073709551616"',
  '"36893488147419103232"',
  '"99999999999999999999999"',
  'true',
  'false',
  'null',
  '[]',
  '[1]',
  '{}',
  '{"value":1}',
  '1e400', // not a double: invalid JSON
  '-1e400',
  '1'.repeat(400), // not a double: invalid JSON
  'NaN',
  'Infinity',
  '01',
  '.5',
  '+1',
  '0x10',
)

/** Spellings whose reading the cross-check pins down (all replayers must agree). */
const edgeAmount: fc.Arbitrary<string> = fc.constantFrom(
  '-0',
  '-0.0',
  '1e-400',
  '1.0000000000000001',
  '5e-324',
  '0.0e0',
  '0.5e1',
  '12.5e1',
  '1.5e0',
  '4503599627370496.5',
  '9007199254740991.4',
  '9007199254740990.9999999',
  '1e15',
  '1E+15',
  '1000000000000000000000',
)

const validAmount: fc.Arbitrary<string> = validAmountOf(amountValue)

/** Any amount field: mostly valid, sometimes refused by the format. */
const wildAmount: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: validAmount, weight: 40 },
  { arbitrary: invalidAmount, weight: 3 },
  { arbitrary: edgeAmount, weight: 1 },
)

// ---------------------------------------------------------------------------
// Dimensions.

/** Weighted towards a few dimensions so charges usually hit declared ones. */
const knownDim: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('tokens'), weight: 5 },
  { arbitrary: fc.constant('calls'), weight: 3 },
  { arbitrary: fc.constant('millis'), weight: 2 },
  { arbitrary: fc.constantFrom(...DIM_NAMES), weight: 2 },
)

const badDimString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Tokens',
    'TOKENS',
    'token',
    'tokens ',
    ' tokens',
    'tokens\u0000',
    'custom3',
    'custom',
    '',
    'tökens',
    '\u{1F600}',
    'a"b',
    'back\\slash',
    'tab\there',
    'line\nfeed',
    '\u0001\u001f\u007f',
    '\u2028',
    '__proto__',
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'length',
    '0',
    '7',
  ),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
)

/** A valid dimension field, sometimes spelled with a JSON escape. */
const validDim: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: knownDim.map(jsonString), weight: 30 },
  { arbitrary: knownDim.map((d) => `"\\u00${d.charCodeAt(0).toString(16)}${d.slice(1)}"`), weight: 1 },
)

/** Any dimension field: usually a known name, sometimes refused by the format. */
const wildDim: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: validDim, weight: 40 },
  { arbitrary: badDimString.map(jsonString), weight: 2 },
  { arbitrary: fc.constant('"tok\uE000ens"'), weight: 1 }, // invalid UTF-8 inside the string
  { arbitrary: fc.constantFrom('0', '3', 'null', 'true', '[]', '{}', '["tokens"]', '{"dim":"tokens"}'), weight: 1 },
)

// ---------------------------------------------------------------------------
// Operations.

type LimitPair = { limit: bigint; warn: bigint | null | undefined }

/** Limits the kernel accepts: warn strictly below the limit, or no warn. */
const goodLimitPair: fc.Arbitrary<LimitPair> = fc.oneof(
  ...[12n, 60n].map((top) => ({
    arbitrary: fc
      .tuple(bigintIn(0n, top), bigintIn(0n, top))
      .map(([a, b]): LimitPair => (a > b ? { limit: a, warn: b } : { limit: b + 1n, warn: a })),
    weight: 4,
  })),
  { arbitrary: bigintIn(1n, 12n).map((limit): LimitPair => ({ limit, warn: undefined })), weight: 3 },
  { arbitrary: bigintIn(1n, 60n).map((limit): LimitPair => ({ limit, warn: undefined })), weight: 2 },
  { arbitrary: bigintIn(1n, 5000n).map((limit): LimitPair => ({ limit, warn: null })), weight: 1 },
  {
    arbitrary: fc.constantFrom<LimitPair>(
      { limit: SAFE_MAX, warn: SAFE_MAX - 1n },
      { limit: SAFE_MAX + 1n, warn: undefined },
      { limit: U64_MAX, warn: undefined },
      { limit: U64_MAX, warn: U64_MAX - 1n },
      { limit: U64_MAX - 1n, warn: 0n },
      { limit: 1n, warn: 0n },
    ),
    weight: 2,
  },
)

/** Limits the kernel refuses: a zero limit, or warn not below the limit. */
const refusedLimitPair: fc.Arbitrary<LimitPair> = fc.oneof(
  fc.constant<LimitPair>({ limit: 0n, warn: undefined }),
  bigintIn(0n, 5n).map((w): LimitPair => ({ limit: 0n, warn: w })),
  bigintIn(1n, 30n).map((l): LimitPair => ({ limit: l, warn: l })),
  fc.tuple(bigintIn(1n, 30n), bigintIn(0n, 30n)).map(([l, d]): LimitPair => ({ limit: l, warn: l + d })),
  fc.constant<LimitPair>({ limit: U64_MAX, warn: U64_MAX }),
)

const limitPair: fc.Arbitrary<LimitPair> = fc.oneof(
  { arbitrary: goodLimitPair, weight: 8 },
  { arbitrary: refusedLimitPair, weight: 1 },
)

/** One `{dim, limit, warn?}` element whose fields are all well-formed. */
const limitEntryFor = (d: fc.Arbitrary<string>, pair: fc.Arbitrary<LimitPair>): fc.Arbitrary<string> =>
  fc
    .tuple(d, pair, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }))
    .chain(([dimText, { limit, warn }, lf, wf]) => {
      const pairs: Array<[string, string]> = [
        ['dim', dimText],
        ['limit', renderAmount(limit, lf)],
      ]
      if (warn === null) pairs.push(['warn', 'null'])
      else if (warn !== undefined) pairs.push(['warn', renderAmount(warn, wf)])
      return objectFrom(fc.constant(pairs))
    })

/** Elements of `limits` the format refuses. */
const badLimitEntry: fc.Arbitrary<string> = fc.oneof(
  limitEntryFor(wildDim, limitPair),
  fc
    .tuple(knownDim, fc.oneof(invalidAmount, edgeAmount), fc.boolean())
    .map(([d, a, inWarn]) => (inWarn ? `{"dim":"${d}","limit":10,"warn":${a}}` : `{"dim":"${d}","limit":${a}}`)),
  fc.constantFrom(
    '1',
    'null',
    '"tokens"',
    '[]',
    '["tokens",5]',
    'true',
    '{}',
    '{"dim":"tokens"}',
    '{"limit":5}',
    '{"warn":1,"limit":5}',
    '{"dim":"calls","warn":1}',
  ),
)

const buildOf = (entries: fc.Arbitrary<string[]>): fc.Arbitrary<string> =>
  objectFrom(
    entries.map((es): Array<[string, string]> => [
      ['op', '"build"'],
      ['limits', `[${es.join(',')}]`],
    ]),
  )

/** A build the kernel accepts: some of the pool's dimensions, good limits. */
const goodBuildFor = (pool: readonly string[]): fc.Arbitrary<string> =>
  fc
    .shuffledSubarray(pool.slice(), { minLength: 1 })
    .chain((names) =>
      buildOf(fc.tuple(...names.map((n) => limitEntryFor(fc.constant(jsonString(n)), goodLimitPair))).map((es) => es)),
    )

/** A well-formed build the kernel refuses (or accepts by chance). */
const refusedBuild: fc.Arbitrary<string> = fc.oneof(
  buildOf(fc.array(limitEntryFor(validDim, limitPair), { minLength: 0, maxLength: 5 })),
  buildOf(fc.constant([])),
  fc
    .tuple(knownDim, fc.array(knownDim, { maxLength: 3 }), bigintIn(0n, 9n), bigintIn(0n, 9n))
    .map(([d, others, a, b]) => {
      const es = [d, ...others, d].map((x, i) => `{"dim":"${x}","limit":${i % 2 === 0 ? a : b}}`)
      return `{"op":"build","limits":[${es.join(',')}]}`
    }),
)

/** A build line the format refuses. */
const badBuild: fc.Arbitrary<string> = fc.oneof(
  buildOf(
    fc
      .tuple(fc.array(limitEntryFor(validDim, limitPair), { maxLength: 3 }), badLimitEntry, fc.array(limitEntryFor(wildDim, limitPair), { maxLength: 2 }))
      .map(([a, b, c]) => [...a, b, ...c]),
  ),
  fc.constantFrom('{}', '"tokens"', 'null', '5', 'true').map((v) => `{"op":"build","limits":${v}}`),
)

const chargeOf = (d: fc.Arbitrary<string>, a: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  objectFrom(
    fc.tuple(d, a).map(([dimText, amountText]): Array<[string, string]> => [
      ['op', '"charge"'],
      ['dim', dimText],
      ['amount', amountText],
    ]),
  )

const chargeManyOf = (pair: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  objectFrom(
    fc.array(pair, { maxLength: 5 }).map((ps): Array<[string, string]> => [
      ['op', '"chargeMany"'],
      ['charges', `[${ps.join(',')}]`],
    ]),
  )

const pairOf = (d: fc.Arbitrary<string>, a: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(d, a).map(([dimText, amountText]) => `[${dimText},${amountText}]`)

const badPair: fc.Arbitrary<string> = fc.constantFrom(
  '[]',
  '["tokens"]',
  '["tokens",1,2]',
  '[1,"tokens"]',
  '{}',
  '{"dim":"tokens","amount":1}',
  '"tokens"',
  'null',
  '5',
)

const badChargeMany: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: chargeManyOf(fc.oneof({ arbitrary: pairOf(wildDim, wildAmount), weight: 8 }, { arbitrary: badPair, weight: 1 })), weight: 6 },
  { arbitrary: fc.constantFrom('{}', '"x"', 'null', '1', '{"tokens":1}').map((v) => `{"op":"chargeMany","charges":${v}}`), weight: 1 },
)

const queryOf = (d: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('spent', 'remaining'), d).chain(([op, dimText]) =>
    objectFrom(
      fc.constant<Array<[string, string]>>([
        ['op', jsonString(op)],
        ['dim', dimText],
      ]),
    ),
  )

const resetLine: fc.Arbitrary<string> = objectFrom(fc.constant<Array<[string, string]>>([['op', '"reset"']]))

const blankLine: fc.Arbitrary<string> = fc.constantFrom('', ' ', '\t', '\r', '  \t \r')

/** Lines that are not JSON at all, by the format's definition. */
const notJsonLine: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"op":"reset"',
    "{'op':'reset'}",
    '{"op":"reset",}',
    '{"op":"reset"} x',
    '{"op":"reset"}{"op":"reset"}',
    '{op:"reset"}',
    '// comment',
    'reset',
    'NaN',
    '\u000c{"op":"reset"}', // form feed is not JSON whitespace
    '\u000b{"op":"reset"}', // vertical tab neither
    '\u00a0{"op":"reset"}', // nor no-break space
    '{"op":"re\tset"}', // raw control character inside a string
    '{"op":"reset","x":"\\x41"}', // bad escape
    '{"op":"reset","x":"\\u00"}',
    '{"op":"reset","x":"\\ud800"}', // lone surrogate
    '{"op":"reset","x":"\\udc00\\ud800"}',
    '{"\\ud83d":1,"op":"reset"}', // lone surrogate in a key
    '{"op":"charge","dim":"tokens","amount":1e400}',
    '{"op":"build","limits":[{"dim":"tokens","limit":-1e999}]}',
    '\uE000',
    '{"op":"reset"}\uE000',
    '{"op":"reset",\uE003"x":1}',
    '{"op":"reset"}\r{"op":"reset"}', // a lone CR does not end a line
    '{"op":"reset"}\u2028',
    '\uFEFF{"op":"reset"}',
  ),
  fc.string({ maxLength: 12 }).filter((s) => !isJsonOrBlank(s)),
)

function isJsonOrBlank(s: string): boolean {
  if (/^[ \t\r]*$/.test(s)) return true
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

const notObjectLine: fc.Arbitrary<string> = fc.constantFrom(
  '[]',
  '[{"op":"reset"}]',
  '1',
  '0',
  '"reset"',
  'null',
  'true',
  '"{\\"op\\":\\"reset\\"}"',
  ' 7 ',
)

const badOpLine: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(
      'Build',
      'CHARGE',
      'charge_many',
      'chargemany',
      'charge ',
      '',
      'delete',
      'snapshot',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'a"b\\c',
      'ünïcode',
      '\u0000',
    )
    .map((op) => `{"op":${jsonString(op)},"dim":"tokens","amount":1}`),
  fc.constantFrom('1', 'null', 'true', '[]', '{}', '["reset"]').map((v) => `{"op":${v}}`),
  fc.string({ maxLength: 8 }).map((op) => `{"op":${jsonString(op)}}`),
)

const missingFieldLine: fc.Arbitrary<string> = fc.constantFrom(
  '{}',
  '{"dim":"tokens","amount":1}',
  '{"op":"build"}',
  '{"op":"charge"}',
  '{"op":"charge","dim":"tokens"}',
  '{"op":"charge","amount":1}',
  '{"op":"charge","amount":"x"}',
  '{"op":"chargeMany"}',
  '{"op":"spent"}',
  '{"op":"remaining","amount":1}',
  '{"op":"charge","dim":"bogus"}',
  '{"op":"charge","dim":"tokens","Amount":1}',
  '{"OP":"reset"}',
  '{"op ":"reset"}',
)

/** Nesting around the format's depth limit of 64 arrays/objects. */
const deepLine: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 60, max: 68 }), fc.boolean(), fc.boolean())
  .map(([depth, inObject, useObjects]) => {
    if (!inObject) {
      return '['.repeat(depth) + ']'.repeat(depth)
    }
    // The top-level object is one level; the field value adds depth - 1 more.
    const inner = depth - 1
    const open = useObjects ? '{"a":'.repeat(inner - 1) + '{' : '['.repeat(inner)
    const close = useObjects ? '}'.repeat(inner) : ']'.repeat(inner)
    return `{"op":"reset","deep":${open}${close}}`
  })

/**
 * Lines the format accepts (some of which the kernel refuses). Dimensions
 * come mostly from `pool`, the few this trace declares, so that charges
 * usually land on declared dimensions and reach warn and exhaustion.
 */
export function validLineFor(pool: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof({ arbitrary: fc.constantFrom(...pool), weight: 12 }, { arbitrary: fc.constantFrom(...DIM_NAMES), weight: 1 })
  const d = fc.oneof(
    { arbitrary: name.map(jsonString), weight: 30 },
    { arbitrary: name.map((n) => `"\\u00${n.charCodeAt(0).toString(16)}${n.slice(1)}"`), weight: 1 },
  )
  return fc.oneof(
    { arbitrary: goodBuildFor(pool), weight: 4 },
    { arbitrary: refusedBuild, weight: 1 },
    { arbitrary: chargeOf(d, validAmount), weight: 18 },
    { arbitrary: chargeManyOf(pairOf(d, validAmount)), weight: 6 },
    { arbitrary: queryOf(d), weight: 7 },
    { arbitrary: resetLine, weight: 4 },
    { arbitrary: blankLine, weight: 1 },
  )
}

/** A valid line whose field is repeated later with a bad value: the last one counts. */
const lateDuplicate: fc.Arbitrary<string> = fc
  .tuple(
    validLineFor(['tokens', 'calls']).filter((l) => l.trimEnd().endsWith('}')),
    fc.constantFrom('op', 'dim', 'amount', 'limits', 'charges'),
    fc.oneof(anyJson, badDimString.map(jsonString), invalidAmount),
  )
  .map(([line, k, v]) => `${line.trimEnd().slice(0, -1)},${jsonString(k)}:${v}}`)

/** Lines the format refuses, one kind of mistake each. */
export const invalidLine: fc.Arbitrary<string> = fc.oneof(
  lateDuplicate,
  badBuild,
  chargeOf(wildDim, wildAmount),
  badChargeMany,
  queryOf(wildDim),
  notJsonLine,
  notObjectLine,
  badOpLine,
  missingFieldLine,
  deepLine,
)

/** Optional surrounding whitespace that JSON allows (and a trailing CR). */
const padded = (line: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(line, fc.constantFrom('', '', '', '', ' ', '\t'), fc.constantFrom('', '', '', '', ' ', '\r', ' \t'))
    .map(([l, pre, post]) => pre + l + post)

export interface TraceOptions {
  readonly maxLines?: number
}

/**
 * Random traces. Most start with a build the kernel accepts so that later
 * operations act on a budget. About a third of the traces hold only valid
 * lines (exit status 0); the others mix in invalid lines (exit status 1).
 */
export function traceArbitrary(opts: TraceOptions = {}): fc.Arbitrary<Trace> {
  const maxLines = opts.maxLines ?? 30
  return fc.uniqueArray(knownDim, { minLength: 1, maxLength: 4 }).chain((pool) => {
    const valid = validLineFor(pool)
    const clean = padded(valid)
    const mixed = padded(fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalidLine, weight: 1 }))
    const body = fc.oneof(
      { arbitrary: fc.array(clean, { maxLength: maxLines, size: 'medium' }), weight: 1 },
      { arbitrary: fc.array(mixed, { maxLength: maxLines, size: 'medium' }), weight: 2 },
    )
    return fc.record({
      lines: fc
        // Seven traces in eight open with a build the kernel accepts.
        .tuple(fc.oneof({ arbitrary: goodBuildFor(pool), weight: 7 }, { arbitrary: fc.constant(undefined), weight: 1 }), body)
        .map(([first, rest]) => (first === undefined ? rest : [first, ...rest])),
      eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\n', '\n', '\r\n'),
      trailingEol: fc.boolean(),
      // A leading U+FEFF is an ordinary character to the format (not JSON
      // whitespace), so the first line becomes invalid JSON. Rare on purpose.
      bom: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
    })
  })
}
