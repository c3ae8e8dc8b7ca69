// Running the store's scripts on the caller's own Redis client: ioredis
// (standalone or Cluster) or node-redis (`redis` 4 and 5, client or cluster).
// The package depends on neither; it only calls the client's script methods.

import { createHash } from 'node:crypto'
import { describe } from '../values'

/** A script with its SHA-1, sent with EVALSHA and, after `NOSCRIPT`, with EVAL. */
export interface Script {
  readonly source: string
  readonly sha: string
}

export function script(source: string): Script {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') })
}

/** Runs a script: EVALSHA first, EVAL when the server does not know it (a restart, SCRIPT FLUSH, another node). */
export type Runner = (script: Script, keys: readonly string[], args: readonly string[]) => Promise<unknown>

/**
 * The part of an ioredis `Redis` or `Cluster` the store uses.
 */
export interface IoredisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>
  defineCommand(...args: never[]): unknown
}

/**
 * The part of a node-redis (`redis` 4 or 5) client or cluster the store uses.
 */
export interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/** A client the store can use: ioredis or node-redis. */
export type RedisClientLike = IoredisLike | NodeRedisLike

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/** The runner for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
export function runnerFor(client: unknown): Runner {
  const c = client as Record<string, unknown> | null
  if (typeof c === 'object' && c !== null && typeof c.evalsha === 'function' && typeof c.eval === 'function' && typeof c.defineCommand === 'function') {
    const io = client as IoredisLike
    return (s, keys, args) =>
      io.evalsha(s.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (!isNoScript(error)) throw error
        return io.eval(s.source, keys.length, ...keys, ...args)
      })
  }
  if (typeof c === 'object' && c !== null && typeof c.evalSha === 'function' && typeof c.eval === 'function') {
    const nr = client as NodeRedisLike
    return (s, keys, args) =>
      nr.evalSha(s.sha, { keys: keys as string[], arguments: args as string[] }).catch((error: unknown) => {
        if (!isNoScript(error)) throw error
        return nr.eval(s.source, { keys: keys as string[], arguments: args as string[] })
      })
  }
  throw new TypeError(`client must be an ioredis Redis or Cluster, or a node-redis client or cluster (redis 4 or 5), got ${describe(client)}`)
}
