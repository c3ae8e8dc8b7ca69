// RedisBudgets: budgets shared by processes and machines, kept in Redis with
// the kernel's exact semantics. Validation, dimension names, verdicts and
// errors are the in-process facade's own (./dims, ./amounts, ./verdicts,
// ./errors, the kernel's builder through whichever engine is loaded, ./engine); the accounting runs in
// the Lua scripts of ./scripts, one atomic call per operation.

import { checkedAmount, MAX_U64, toU64, type Amount } from '../amounts'
import { entryDim, failure, isPlainObject, pairOf, recordEntry } from '../budget'
import { DIMS, dimIndex, type Dim } from '../dims'
import { StoreError } from '../errors'
import { anyEngine } from '../engine'
import { describe } from '../values'
import { EXHAUSTED, VERDICTS, WARN, type Verdict } from '../verdicts'
import { connectionFor, script, type Connection, type RedisClientLike, type Script } from './client'
import { CHARGE, CORRUPT, CREATE, DELETE, READ, RESET } from './scripts'
import { LeasedBudget, type LeaseOptions } from './lease'

const SCRIPTS = {
  charge: script(CHARGE),
  create: script(CREATE),
  reset: script(RESET),
  delete: script(DELETE),
  read: script(READ),
}

/** One declared dimension, as `create` and `createWith` take them. */
export interface DimDeclaration {
  readonly dim: Dim
  /** Inclusive limit. */
  readonly limit: Amount
  /** Optional warn threshold, strictly below `limit`. */
  readonly warn?: Amount | undefined
}

/** A budget's declaration: what `Budget.builder()` would be told, in the same order. */
export type Declaration = readonly DimDeclaration[]

/** Options of {@link RedisBudgets}. */
export interface RedisBudgetsOptions {
  /** Prefix of every key (default `'bk'`); no `{` or `}`. A budget lives at `PREFIX:{KEY}`. */
  readonly prefix?: string | undefined
  /**
   * How long an operation may take, in milliseconds (default 1000), before it
   * fails with `STORE_UNAVAILABLE`. The command may still reach the server
   * later (clients queue and resend), so retry a write with the same `requestId`.
   */
  readonly timeoutMs?: number | undefined
  /**
   * How long a `requestId`'s first result is kept, in milliseconds (default
   * 600,000). It must outlast the whole window in which a write may be retried.
   * Each stored result is a key of about 100 bytes: the memory it costs is
   * about (writes with a request id per second) × requestTtlMs / 1000 × 100 B.
   */
  readonly requestTtlMs?: number | undefined
  /**
   * Accept a server whose `maxmemory-policy` is not `noeviction` (default
   * `false`: on first use the store reads the policy with `CONFIG GET` and
   * every call throws `UNSAFE_EVICTION_POLICY` when it is anything else,
   * because an evicted budget or stored result resets a quota or lets a retry
   * charge twice). Where `CONFIG GET` is refused (ACL, managed services) the
   * store warns once with `process.emitWarning` and goes on.
   */
  readonly allowEviction?: boolean | undefined
  /**
   * Wait after each write until this many replicas have it (`WAIT`), at most
   * `replicaTimeoutMs`; fewer acknowledgements throw `NOT_REPLICATED` with
   * `applied: true`. Default 0: replication is asynchronous and a failover
   * may lose acknowledged writes. Not with a Cluster client.
   */
  readonly replicas?: number | undefined
  /** How long a write waits for `replicas` (default 1000 ms). */
  readonly replicaTimeoutMs?: number | undefined
  /**
   * With `replicas`: wait for the local AOF fsync and `replicas` replicas'
   * AOF fsyncs instead (`WAITAOF`, Redis 7.2 or later; on an older server
   * every call throws `STORE_UNAVAILABLE` and nothing is sent; likewise on a
   * server with `appendonly no`, and if it is switched off later, a write
   * throws `NOT_REPLICATED` with `applied: true`). Tested on Valkey 8.0.1.
   */
  readonly aof?: boolean | undefined
}

/** Options of {@link RedisBudgets.reset} and {@link RedisBudgets.delete}. */
export interface WriteOptions {
  /**
   * Makes the write idempotent: its first result is kept for `requestTtlMs`;
   * a resend returns it and does nothing again (a resent `reset` does not wipe
   * charges made since), an id used for another operation is `REQUEST_ID_CONFLICT`.
   */
  readonly requestId?: string | undefined
}

/** Options of {@link RedisBudgets.create}. */
export interface CreateOptions {
  /** The budget expires this many milliseconds after creation (Redis's clock). */
  readonly ttlMs?: number | undefined
  /** Leave an existing budget alone (and resolve `false`) instead of replacing it. */
  readonly ifAbsent?: boolean | undefined
  /** As {@link WriteOptions.requestId}; the payload is the declaration and `ifAbsent`, not `ttlMs`. */
  readonly requestId?: string | undefined
}

/** Options of {@link RedisBudgets.charge} and {@link RedisBudgets.chargeMany}. */
export interface ChargeOptions {
  /**
   * Makes the charge idempotent: its first result is kept with a hash of the
   * charged entries for `requestTtlMs`; a repeat returns that result and
   * applies nothing, a repeat with other entries fails with
   * `REQUEST_ID_CONFLICT`. `createWith` and `ttlMs` are not part of the hash,
   * so a retry that recomputes them gets the stored verdict.
   */
  readonly requestId?: string | undefined
  /** Creates the budget with this declaration, in the same script call, if it does not exist. */
  readonly createWith?: Declaration | undefined
  /** With `createWith`: the created budget expires after this many milliseconds. */
  readonly ttlMs?: number | undefined
}

/** One declared dimension of a {@link BudgetSnapshot}. */
export interface DimSnapshot {
  readonly limit: bigint
  readonly warn: bigint | undefined
  readonly spent: bigint
  /** `limit - spent`, floored at `0n`. */
  readonly remaining: bigint
}

/** What {@link RedisBudgets.snapshot} returns: every declared dimension, in {@link DIMS} order. */
export interface BudgetSnapshot {
  readonly dims: Readonly<Partial<Record<Dim, DimSnapshot>>>
  /** Milliseconds until the budget expires, or `undefined` when it has no time to live. */
  readonly ttlMs: number | undefined
}

/** Keys and request ids longer than this many characters are refused. */
const MAX_KEY = 4096
const MAX_REQUEST_ID = 512
const MAX_PREFIX = 256
const LONE_SURROGATE = /\p{Cs}/u
const HASH_TAG = /[%{}]/g
const MAX_MS = 2 ** 47

/**
 * The most entries one checkpoint may have (`CHECKPOINT_TOO_LARGE` beyond).
 * The script reads only the distinct dimensions, so size costs no extra
 * reads on the server, but the call carries two arguments per entry and runs
 * atomically (it blocks the server while it runs), and node-redis spreads the
 * arguments into one call, which overflows V8's stack at about 65,000 entries.
 * Sum a larger checkpoint per dimension first.
 */
export const MAX_ENTRIES = 16_384

function escapeTag(char: string): string {
  return char === '%' ? '%25' : char === '{' ? '%7B' : '%7D'
}

function checkedString(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${describe(value)}`)
  if (value.length === 0 || value.length > max) {
    throw new RangeError(`${what} must be 1 to ${max} characters long, got ${value.length}`)
  }
  if (LONE_SURROGATE.test(value)) throw new TypeError(`${what} must be well-formed Unicode (it holds a lone surrogate)`)
  return value
}

function checkedMs(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number of milliseconds, got ${describe(value)}`)
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_MS) {
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_MS}, got ${describe(value)}`)
  }
  return value
}

/** The options object, checked to be a plain object naming only `allowed` keys. */
function checkedOptions(options: unknown, what: string, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined) return {}
  if (!isPlainObject(options)) throw new TypeError(`${what} must be an object, got ${describe(options)}`)
  const record = options as Record<string, unknown>
  for (const key in record) {
    if (Object.prototype.hasOwnProperty.call(record, key) && !allowed.includes(key)) {
      throw new TypeError(`${what} has an unknown option ${describe(key)} (known: ${allowed.join(', ')})`)
    }
  }
  return record
}

/**
 * A declaration as script arguments (dim, limit, warn or '-' triples),
 * checked as `Budget.builder()` checks it: each entry's values in order, then
 * the kernel's own builder validates the whole (same `BuilderError` codes, in
 * the same order). The budget the kernel builds for that is released at once.
 */
function declarationArgs(declarations: unknown, what: string): string[] {
  if (!Array.isArray(declarations)) {
    throw new TypeError(`${what} must be an array of { dim, limit, warn? } declarations, got ${describe(declarations)}`)
  }
  const count = declarations.length
  const words = new BigUint64Array(4 * Math.max(count, 1))
  const args: string[] = []
  for (let i = 0; i < count; i++) {
    const entry: unknown = declarations[i]
    const at = `${what}[${i}]`
    if (!isPlainObject(entry)) throw new TypeError(`${at} must be a { dim, limit, warn? } object, got ${describe(entry)}`)
    const { dim, limit, warn } = entry as Record<string, unknown>
    const index = dimIndex(dim, `${at}.dim`)
    const limitValue = toU64(limit, `${at}.limit`)
    const warnValue = warn === undefined ? undefined : toU64(warn, `${at}.warn`)
    words[4 * i] = BigInt(index)
    words[4 * i + 1] = warnValue === undefined ? 0n : 1n
    words[4 * i + 2] = limitValue
    words[4 * i + 3] = warnValue ?? 0n
    args.push(DIMS[index] as Dim, String(limitValue), warnValue === undefined ? '-' : String(warnValue))
  }
  const engine = anyEngine()
  const handle = engine.create(words, count)
  if (handle < 0) throw failure(engine)
  engine.release(handle)
  return args
}

/** The kernel's own `UNKNOWN_DIMENSION` error for `dim`, from a throwaway budget that does not declare it. */
export function unknownDimension(dim: number): Error {
  const words = new BigUint64Array([BigInt((dim + 1) % DIMS.length), 0n, 1n, 0n])
  const engine = anyEngine()
  const handle = engine.create(words, 1)
  const code = engine.charge(handle, dim, 0)
  const error = code < 0 ? failure(engine) : new Error('budgetkernel: internal error (no UNKNOWN_DIMENSION)')
  engine.release(handle)
  return error
}

/** Appends a checkpoint's entries (validated as `Budget.chargeMany` validates them) to `args`; returns their dimension indexes. */
export function checkpointArgs(charges: unknown, args: string[]): number[] {
  const dims: number[] = []
  const tooLarge = (count: number) =>
    new StoreError('CHECKPOINT_TOO_LARGE', `a checkpoint may have at most ${MAX_ENTRIES} entries in one call, got ${count}; nothing was sent`)
  if (Array.isArray(charges) && charges.length > MAX_ENTRIES) throw tooLarge(charges.length)
  if (Array.isArray(charges)) {
    for (let i = 0; i < charges.length; i++) {
      const pair = pairOf(charges, i)
      const dim = entryDim(pair[0], i)
      const amount = checkedAmount(pair[1], i)
      dims.push(dim)
      args.push(DIMS[dim] as Dim, String(amount))
    }
  } else if (isPlainObject(charges)) {
    const record = charges as Readonly<Record<string, unknown>>
    for (const key in record) {
      const value = recordEntry(record, key)
      if (value === undefined) continue
      const dim = entryDim(key, key)
      const amount = checkedAmount(value, key)
      dims.push(dim)
      args.push(DIMS[dim] as Dim, String(amount))
    }
  } else {
    throw new TypeError(`charges must be an array of [dim, amount] pairs or a plain object of amounts by dimension, got ${describe(charges)}`)
  }
  return dims
}

function checkedFlag(value: unknown, what: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${describe(value)}`)
  return value === true
}

function conflict(requestId: unknown, key: string): StoreError {
  return new StoreError('REQUEST_ID_CONFLICT', `requestId ${describe(requestId)} was already used for a different operation on ${describe(key)}; nothing was applied`)
}

function noBudget(key: string): StoreError {
  return new StoreError('NO_BUDGET', `no budget exists at key ${describe(key)} (never created, deleted or expired)`)
}

const STORED = /^[0-9]{1,20}$/
/** A script's refusal of a stored value, naming the field (./scripts `corrupt`). */
const CORRUPT_REPLY = new RegExp(`${CORRUPT} \\((.*)\\)`)

/**
 * A value the scripts wrote that is not what they write (a decimal of at
 * most 2^64 - 1): the key was changed outside budgetkernel. The scripts
 * refuse it before any write (./scripts `CORRUPT`), and the
 * read paths likewise: `STORE_UNAVAILABLE`, the code of every server-side
 * refusal, and nothing was applied.
 */
function corrupt(redisKey: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_UNAVAILABLE',
    `the budget at ${describe(redisKey)} holds a malformed stored value (${detail}): it was changed outside budgetkernel; nothing was applied. Repair or delete the key`,
    cause,
  )
}

/** A decimal read back from the budget's hash, checked as the scripts check it (./scripts `stored`). */
function storedValue(value: unknown, redisKey: string, field: string): bigint {
  if (typeof value === 'string' && STORED.test(value)) {
    const n = BigInt(value)
    if (n <= MAX_U64) return n
  }
  throw corrupt(redisKey, `${field} is ${describe(value)}`)
}

function internal(reply: unknown): Error {
  return new Error(`budgetkernel: unexpected reply from the Redis script (${describe(reply)}); is the server Redis 7 or later?`)
}

/**
 * Budgets kept in Redis, shared by every process and machine that uses the
 * same server (or Cluster) and prefix, with the in-process kernel's exact
 * semantics: the same verdict objects (`===` works across both), the same
 * errors, saturation at `2n ** 64n - 1n`, every operation one atomic script.
 *
 * Pass your own client (ioredis `Redis` or `Cluster`, or a node-redis 4/5/6
 * client or cluster, connected). Every method returns a promise, validates
 * its arguments first (a bad argument rejects with the same `TypeError`,
 * `RangeError` or `BudgetError` as `Budget` and sends nothing), and fails
 * closed: when Redis does not answer within `timeoutMs` it rejects with
 * `STORE_UNAVAILABLE`, never resolves a guess.
 *
 * @example
 * ```ts
 * const store = new RedisBudgets(redis, { prefix: 'bk', timeoutMs: 1000 })
 * const verdict = await store.chargeMany(`tenant:${id}:${day}`, { tokens: 1523, calls: 1 }, {
 *   requestId: request.id,
 *   createWith: [{ dim: 'tokens', limit: 1_000_000n, warn: 800_000n }, { dim: 'calls', limit: 500 }],
 *   ttlMs: 86_400_000,
 * })
 * ```
 */
export class RedisBudgets {
  readonly #connection: Connection
  readonly #prefix: string
  readonly #timeoutMs: number
  readonly #requestTtl: string
  readonly #allowEviction: boolean
  readonly #replicas: number
  readonly #replicaTimeoutMs: number
  readonly #aof: boolean
  /** The first-use check of the server (eviction policy, WAITAOF support), once per store. */
  #checked: Promise<void> | undefined

  /**
   * @throws {TypeError} `client` is neither ioredis nor node-redis, or an option has the wrong type or is unknown.
   * @throws {RangeError} an option is out of range.
   */
  constructor(client: RedisClientLike, options?: RedisBudgetsOptions) {
    this.#connection = connectionFor(client)
    const o = checkedOptions(options, 'options', ['prefix', 'timeoutMs', 'requestTtlMs', 'allowEviction', 'replicas', 'replicaTimeoutMs', 'aof'])
    const prefix = o.prefix === undefined ? 'bk' : checkedString(o.prefix, 'options.prefix', MAX_PREFIX)
    if (prefix.includes('{') || prefix.includes('}')) {
      throw new RangeError(`options.prefix must not contain '{' or '}' (the key's hash tag follows it), got ${describe(prefix)}`)
    }
    this.#prefix = prefix
    this.#timeoutMs = o.timeoutMs === undefined ? 1000 : checkedMs(o.timeoutMs, 'options.timeoutMs')
    this.#requestTtl = String(o.requestTtlMs === undefined ? 600_000 : checkedMs(o.requestTtlMs, 'options.requestTtlMs'))
    this.#allowEviction = checkedFlag(o.allowEviction, 'options.allowEviction')
    this.#aof = checkedFlag(o.aof, 'options.aof')
    const replicas = o.replicas ?? 0
    if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 0 || replicas > 64) {
      throw new RangeError(`options.replicas must be an integer from 0 to 64, got ${describe(replicas)}`)
    }
    this.#replicas = replicas
    this.#replicaTimeoutMs = o.replicaTimeoutMs === undefined ? 1000 : checkedMs(o.replicaTimeoutMs, 'options.replicaTimeoutMs')
    if ((replicas > 0 || this.#aof) && this.#connection.command === undefined) {
      throw new TypeError('options.replicas and options.aof need a standalone client: WAIT must follow the write on its connection, which a Cluster client does not promise')
    }
  }

  /**
   * The Redis key of the budget named `key`: `PREFIX:{KEY}`, with `%`, `{`
   * and `}` in the name escaped as `%25`, `%7B` and `%7D`, so the whole name
   * is the hash tag (one Cluster slot for the budget and its request ids).
   *
   * @throws {TypeError} `key` is not a string or not well-formed Unicode.
   * @throws {RangeError} `key` is empty or longer than 4096 characters.
   */
  redisKey(key: string): string {
    return `${this.#prefix}:{${checkedString(key, 'key', MAX_KEY).replace(HASH_TAG, escapeTag)}}`
  }

  /**
   * Declares (or replaces) the budget at `key` with nothing spent, after the
   * kernel has validated the declaration exactly as `Budget.builder()…build()`.
   * Resolves `true` when it wrote the budget, `false` when `ifAbsent` found one.
   *
   * @throws {BuilderError} `DUPLICATE_DIMENSION`, `NO_DIMENSIONS`, `ZERO_LIMIT` or `WARN_NOT_BELOW_LIMIT`.
   */
  async create(key: string, declarations: Declaration, options?: CreateOptions): Promise<boolean> {
    const redisKey = this.redisKey(key)
    const args = declarationArgs(declarations, 'declarations')
    const o = checkedOptions(options, 'options', ['ttlMs', 'ifAbsent', 'requestId'])
    const ifAbsent = checkedFlag(o.ifAbsent, 'options.ifAbsent')
    const ttl = o.ttlMs === undefined ? '0' : String(checkedMs(o.ttlMs, 'options.ttlMs'))
    const keys = this.#keys(redisKey, o.requestId)
    const reply = await this.#write(SCRIPTS.create, keys, [this.#requestTtl, ifAbsent ? '1' : '0', ttl, ...args])
    if (reply === 1) return true
    if (reply === 0) return false
    if (reply === -2) throw conflict(o.requestId, key)
    throw internal(reply)
  }

  /**
   * Charges `amount` to `dim` of the budget at `key`, exactly as
   * `Budget.charge`, and resolves its verdict (one of the shared objects).
   *
   * @throws {ChargeError} `UNKNOWN_DIMENSION`: nothing was charged.
   * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
   */
  async charge(key: string, dim: Dim, amount: Amount, options?: ChargeOptions): Promise<Verdict> {
    const redisKey = this.redisKey(key)
    const index = dimIndex(dim, 'dim')
    const value = checkedAmount(amount, 'amount', String)
    return this.#charge(key, redisKey, options, [index], [DIMS[index] as Dim, String(value)])
  }

  /**
   * Charges a checkpoint (pairs or object form, as `Budget.chargeMany`) to
   * the budget at `key` atomically, and resolves the worst verdict.
   *
   * @throws {ChargeError} `UNKNOWN_DIMENSION` for the first undeclared dimension: nothing was charged.
   * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
   */
  async chargeMany(
    key: string,
    charges: ReadonlyArray<readonly [Dim, Amount]> | Readonly<Partial<Record<Dim, Amount>>>,
    options?: ChargeOptions,
  ): Promise<Verdict> {
    const redisKey = this.redisKey(key)
    const entries: string[] = []
    const dims = checkpointArgs(charges, entries)
    return this.#charge(key, redisKey, options, dims, entries)
  }

  async #charge(key: string, redisKey: string, options: unknown, dims: readonly number[], entries: readonly string[]): Promise<Verdict> {
    const o = checkedOptions(options, 'options', ['requestId', 'createWith', 'ttlMs'])
    const keys = this.#keys(redisKey, o.requestId)
    let head: string[]
    if (o.createWith === undefined) {
      if (o.ttlMs !== undefined) throw new TypeError('options.ttlMs applies to a budget created by options.createWith; give both')
      head = [this.#requestTtl, '', '0']
    } else {
      const declaration = declarationArgs(o.createWith, 'options.createWith')
      const ttl = o.ttlMs === undefined ? '0' : String(checkedMs(o.ttlMs, 'options.ttlMs'))
      head = [this.#requestTtl, ttl, String(declaration.length / 3), ...declaration]
    }
    const reply = await this.#write(SCRIPTS.charge, keys, head.concat(entries))
    if (typeof reply !== 'number' || !Number.isInteger(reply)) throw internal(reply)
    if (reply === 0) return VERDICTS[0] as Verdict
    if (reply > 0) {
      const dim = dims[(reply - 1) >> 1]
      if (dim === undefined) throw internal(reply)
      return VERDICTS[(reply & 1) === 1 ? WARN + dim : EXHAUSTED + dim] as Verdict
    }
    if (reply === -1) throw noBudget(key)
    if (reply === -2) throw conflict(o.requestId, key)
    const dim = dims[-3 - reply]
    if (dim === undefined) throw internal(reply)
    throw unknownDimension(dim)
  }

  /**
   * What has been spent on `dim`: `0n` if declared and never charged,
   * `undefined` if the budget does not declare `dim`.
   *
   * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
   */
  async spent(key: string, dim: Dim): Promise<bigint | undefined> {
    const values = await this.#readDim(key, dim)
    return values === undefined ? undefined : values[1]
  }

  /**
   * The headroom left on `dim`, `limit - spent` floored at `0n`;
   * `undefined` if the budget does not declare `dim`.
   *
   * @throws {StoreError} `NO_BUDGET` or `STORE_UNAVAILABLE` (also when a stored value was changed outside budgetkernel).
   */
  async remaining(key: string, dim: Dim): Promise<bigint | undefined> {
    const values = await this.#readDim(key, dim)
    if (values === undefined) return undefined
    const [limit, spent] = values
    return spent >= limit ? 0n : limit - spent
  }

  async #readDim(key: string, dim: Dim): Promise<readonly [bigint, bigint] | undefined> {
    const redisKey = this.redisKey(key)
    const name = DIMS[dimIndex(dim, 'dim')] as Dim
    const reply = await this.#call(SCRIPTS.read, [redisKey], [name])
    if (reply === -1) throw noBudget(key)
    if (!Array.isArray(reply) || reply.length !== 2) throw internal(reply)
    const [limit, spent] = reply as unknown[]
    if (limit === null || limit === undefined) return undefined
    return [storedValue(limit, redisKey, `${name}:limit`), storedValue(spent, redisKey, name)]
  }

  /**
   * Zeroes every spent counter of the budget at `key`; limits, warn
   * thresholds and its time to live stay. Without a `requestId`, a resend
   * (yours, or the client's after a reconnect) wipes charges made since.
   *
   * @throws {StoreError} `NO_BUDGET`, `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
   */
  async reset(key: string, options?: WriteOptions): Promise<void> {
    const redisKey = this.redisKey(key)
    const o = checkedOptions(options, 'options', ['requestId'])
    const reply = await this.#write(SCRIPTS.reset, this.#keys(redisKey, o.requestId), [this.#requestTtl])
    if (reply === -1) throw noBudget(key)
    if (reply === -2) throw conflict(o.requestId, key)
    if (reply !== 0) throw internal(reply)
  }

  /**
   * Deletes the budget at `key`. Resolves whether there was one (a resend
   * with the same `requestId` resolves the first answer and deletes nothing
   * again). Stored request results are left to expire.
   *
   * @throws {StoreError} `REQUEST_ID_CONFLICT` or `STORE_UNAVAILABLE`.
   */
  async delete(key: string, options?: WriteOptions): Promise<boolean> {
    const redisKey = this.redisKey(key)
    const o = checkedOptions(options, 'options', ['requestId'])
    const reply = await this.#write(SCRIPTS.delete, this.#keys(redisKey, o.requestId), [this.#requestTtl])
    if (reply === 1) return true
    if (reply === 0) return false
    if (reply === -2) throw conflict(o.requestId, key)
    throw internal(reply)
  }

  /**
   * The limits, warn thresholds and spent of every declared dimension, and the time to live; `undefined` when there is no budget.
   *
   * @throws {StoreError} `STORE_UNAVAILABLE`, also when a stored value was changed outside budgetkernel.
   */
  async snapshot(key: string): Promise<BudgetSnapshot | undefined> {
    const redisKey = this.redisKey(key)
    const reply = await this.#call(SCRIPTS.read, [redisKey], [])
    if (reply === -1) return undefined
    if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== 'number' || !Array.isArray(reply[1])) throw internal(reply)
    const fields = new Map<string, string>()
    const flat = reply[1] as unknown[]
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]))
    const dims: Partial<Record<Dim, DimSnapshot>> = {}
    for (const dim of DIMS) {
      const limitText = fields.get(`${dim}:limit`)
      if (limitText === undefined) continue
      const limit = storedValue(limitText, redisKey, `${dim}:limit`)
      const spent = storedValue(fields.get(dim), redisKey, dim)
      const warnText = fields.get(`${dim}:warn`)
      dims[dim] = Object.freeze({
        limit,
        warn: warnText === undefined ? undefined : storedValue(warnText, redisKey, `${dim}:warn`),
        spent,
        remaining: spent >= limit ? 0n : limit - spent,
      })
    }
    const ttl = reply[0] as number
    return Object.freeze({ dims: Object.freeze(dims), ttlMs: ttl >= 0 ? ttl : undefined })
  }

  /**
   * A lease on the budget at `key` for this process (see ./lease): charges
   * decided in-process by the kernel against a reservation, refilled in one
   * script call (with a request id, so a resent call applies once). With
   * `createWith`, the budget is created (if absent) before the first grant;
   * an existing budget is leased as it is, whatever its declaration.
   * Every option is checked here; nothing is sent until the first charge.
   *
   * @throws {TypeError} an option has the wrong type or is unknown (or `createTtlMs` without `createWith`).
   * @throws {RangeError} an option is out of range.
   * @throws {BuilderError} `createWith` is not a declaration `Budget.builder()` accepts.
   */
  lease(key: string, options?: LeaseOptions): LeasedBudget {
    const redisKey = this.redisKey(key)
    const o = checkedOptions(options, 'options', ['chunk', 'ttlMs', 'holder', 'createWith', 'createTtlMs'])
    let ensure: (() => Promise<unknown>) | undefined
    if (o.createWith !== undefined) {
      const createWith = o.createWith as Declaration
      declarationArgs(createWith, 'options.createWith')
      const ttlMs = o.createTtlMs === undefined ? undefined : checkedMs(o.createTtlMs, 'options.createTtlMs')
      ensure = () => this.create(key, createWith, { ifAbsent: true, ttlMs })
    } else if (o.createTtlMs !== undefined) {
      throw new TypeError('options.createTtlMs applies to a budget created by options.createWith; give both')
    }
    const store = {
      call: (s: Script, keys: readonly string[], args: readonly string[]) => this.#write(s, keys, args),
      requestKey: (id: string) => this.#keys(redisKey, id)[2] as string,
      requestTtl: this.#requestTtl,
      ensure,
    }
    return new LeasedBudget(key, redisKey, store, { chunk: o.chunk as number | undefined, ttlMs: o.ttlMs as number | undefined, holder: o.holder as string | undefined })
  }

  /** A writing script's keys (./scripts): the budget, its lease state and the request id's key, all in the budget's slot. */
  #keys(redisKey: string, requestId: unknown): string[] {
    const keys = [redisKey, `${redisKey}:ls`]
    if (requestId !== undefined) keys.push(`${redisKey}:rq:${checkedString(requestId, 'options.requestId', MAX_REQUEST_ID)}`)
    return keys
  }

  /** Runs a writing script, then waits for `replicas` when asked. */
  async #write(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const reply = await this.#call(s, keys, args, keys.length > 2 ? 'retry with the same requestId' : 'without a requestId a retry may apply it twice')
    if (this.#replicas > 0 || this.#aof) await this.#replicated()
    return reply
  }

  /** `WAIT` (or `WAITAOF`) on the connection that sent the write; fewer acknowledgements are `NOT_REPLICATED`. */
  async #replicated(): Promise<void> {
    const command = this.#connection.command as NonNullable<Connection['command']>
    const wanted = this.#replicas
    const timeout = String(this.#replicaTimeoutMs)
    const args = this.#aof ? ['WAITAOF', '1', String(wanted), timeout] : ['WAIT', String(wanted), timeout]
    let reply: unknown
    try {
      reply = await this.#bounded(() => command(args), this.#replicaTimeoutMs + this.#timeoutMs, 'the write was applied on the primary; its replication is unknown')
    } catch (error) {
      // appendonly switched off since the first-use check: WAITAOF answers an error, after the write.
      const cause = (error as { cause?: unknown }).cause
      if (this.#aof && cause instanceof Error && /appendonly is disabled/i.test(cause.message)) {
        throw new StoreError('NOT_REPLICATED', `the write was applied on the primary but the server has no AOF (appendonly no), so WAITAOF cannot confirm its fsync: ${cause.message}`, cause, true)
      }
      throw error
    }
    const [local, replicas] = Array.isArray(reply) ? [Number(reply[0]), Number(reply[1])] : [1, Number(reply)]
    if (!(local >= 1) || !(replicas >= wanted)) {
      const what = this.#aof ? `${local} local and ${replicas} replica AOF fsyncs` : `${replicas} replicas`
      throw new StoreError('NOT_REPLICATED', `the write was applied on the primary but only ${what} of ${wanted} acknowledged it within ${timeout} ms; a failover now may lose it`, undefined, true)
    }
  }

  /** The first-use check: the eviction policy (and WAITAOF support), once per store; a refusal is thrown on every call. */
  #check(): Promise<void> {
    this.#checked ??= this.#checkServer()
    return this.#checked
  }

  async #checkServer(): Promise<void> {
    const servers = this.#connection.servers
    let policies: string[]
    try {
      policies = await this.#bounded(async () => {
        const nodes = await servers()
        return Promise.all(nodes.map(async (node) => {
          const reply = await node(['CONFIG', 'GET', 'maxmemory-policy'])
          const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.['maxmemory-policy']
          if (typeof value !== 'string') throw new Error(`CONFIG GET maxmemory-policy answered ${describe(reply)}`)
          return value
        }))
      }, this.#timeoutMs, 'nothing was sent')
    } catch (error) {
      // The server answered with an error (NOPERM under an ACL, ERR unknown
      // command where CONFIG is renamed): warn and go on. No answer at all
      // is STORE_UNAVAILABLE, and the next call checks again.
      const cause: unknown = error instanceof StoreError ? (error as { cause?: unknown }).cause : error
      const message = cause instanceof Error ? cause.message : String(cause)
      if (!/^(NOPERM|ERR|WRONGPASS|NOAUTH)/.test(message)) {
        this.#checked = undefined
        throw error
      }
      process.emitWarning(
        `budgetkernel/redis could not read maxmemory-policy (${message}); make sure it is noeviction, or budgets and stored results may be evicted`,
        { code: 'BUDGETKERNEL_EVICTION_UNCHECKED' },
      )
      policies = []
    }
    const unsafe = policies.find((policy) => policy !== 'noeviction')
    if (unsafe !== undefined && !this.#allowEviction) {
      throw new StoreError('UNSAFE_EVICTION_POLICY', `the Redis server's maxmemory-policy is ${describe(unsafe)}, not 'noeviction': it may evict budgets (a quota silently reset) and stored results (a retry charged twice); nothing was sent. Use a dedicated instance with noeviction, or pass { allowEviction: true }`)
    }
    if (this.#aof) {
      const command = this.#connection.command as NonNullable<Connection['command']>
      const info = String(await this.#bounded(() => command(['INFO', 'server']), this.#timeoutMs, 'nothing was sent'))
      const version = /redis_version:(\d+)\.(\d+)/.exec(info)
      if (version === null || Number(version[1]) * 100 + Number(version[2]) < 702) {
        throw new StoreError('STORE_UNAVAILABLE', `options.aof needs WAITAOF (Redis 7.2 or later); the server is ${version === null ? 'of unknown version' : `${version[1]}.${version[2]}`}; nothing was sent`)
      }
      const persistence = String(await this.#bounded(() => command(['INFO', 'persistence']), this.#timeoutMs, 'nothing was sent'))
      if (!/^aof_enabled:1\r?$/m.test(persistence)) {
        throw new StoreError('STORE_UNAVAILABLE', 'options.aof needs the server\'s AOF (appendonly yes): without it WAITAOF cannot confirm any write; nothing was sent')
      }
    }
  }

  /** Runs a script within `timeoutMs` after the first-use check; any failure of the client or the server is `STORE_UNAVAILABLE`. */
  async #call(s: Script, keys: readonly string[], args: readonly string[], retry = 'a read is safe to retry'): Promise<unknown> {
    await this.#check()
    try {
      return await this.#bounded(() => this.#connection.run(s, keys, args), this.#timeoutMs, `the operation may or may not have been applied (${retry})`)
    } catch (error) {
      // A script's refusal of a stored value (./scripts `corrupt`) comes before its writes: say so.
      const cause = (error as { cause?: unknown }).cause
      const found = cause instanceof Error ? CORRUPT_REPLY.exec(cause.message) : null
      if (found !== null) throw corrupt(keys[0] as string, `field ${found[1]}`, cause)
      throw error
    }
  }

  /** `send()` within `timeoutMs`; its failure or the timeout is `STORE_UNAVAILABLE` saying `what`. */
  #bounded<T>(send: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StoreError('STORE_UNAVAILABLE', `Redis did not answer within ${timeoutMs} ms; ${what}`))
      }, timeoutMs)
      let sent: Promise<T>
      try {
        sent = send()
      } catch (error) {
        sent = Promise.reject(error)
      }
      sent.then(
        (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        (error: unknown) => {
          clearTimeout(timer)
          const message = error instanceof Error ? error.message : String(error)
          reject(new StoreError('STORE_UNAVAILABLE', `Redis failed: ${message}; ${what}`, error))
        },
      )
    })
  }
}
