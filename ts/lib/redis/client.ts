// Running the store's scripts on the caller's own Redis client: ioredis
// (standalone or Cluster) or node-redis (`redis` 4, 5 and 6, client or cluster).
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
 * The part of a node-redis (`redis` 4, 5 or 6) client or cluster the store uses.
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

/** Sends one command (`['CONFIG', 'GET', 'maxmemory-policy']`) on a connection and resolves its reply. */
export type Command = (args: readonly string[]) => Promise<unknown>

/** What the store needs of a client. */
export interface Connection {
  readonly run: Runner
  /** The client's one connection (standalone clients only): a `WAIT` sent here follows the writes sent before it. */
  readonly command: Command | undefined
  /** One command sender per primary (every master of a Cluster), for the first-use check. */
  readonly servers: () => Promise<Command[]>
}

type Methods = Record<string, ((...args: unknown[]) => unknown) | undefined>

/** The connection for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
export function connectionFor(client: unknown): Connection {
  const run = runnerFor(client)
  const c = client as Methods & { masters?: unknown; status?: unknown; once?: unknown }
  if (typeof c.defineCommand === 'function') {
    const call = (target: Methods): Command => (args) => (target.call as (...a: readonly string[]) => Promise<unknown>)(...args)
    if (typeof c.nodes === 'function') {
      // ioredis Cluster: its masters once it has connected.
      const servers = async (): Promise<Command[]> => {
        if (c.status !== 'ready') await new Promise((resolve) => (c.once as (event: string, f: () => void) => void)('ready', () => resolve(undefined)))
        return ((c.nodes as (role: string) => Methods[])('master')).map(call)
      }
      return { run, command: undefined, servers }
    }
    const command = call(c)
    return { run, command, servers: async () => [command] }
  }
  const send = (target: Methods): Command => (args) => (target.sendCommand as (a: readonly string[]) => Promise<unknown>)(args)
  if (Array.isArray(c.masters) && typeof c.nodeClient === 'function') {
    // node-redis cluster: a client per master.
    const servers = async (): Promise<Command[]> =>
      Promise.all((c.masters as unknown[]).map(async (master) => send((await (c.nodeClient as (m: unknown) => unknown)(master)) as Methods)))
    return { run, command: undefined, servers }
  }
  const command = send(c)
  return { run, command, servers: async () => [command] }
}

/** The runner for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
export function runnerFor(client: unknown): Runner {
  const c = client as Record<string, unknown> | null
  if (typeof c === 'object' && c !== null && typeof c.evalsha === 'function' && typeof c.eval === 'function' && typeof c.defineCommand === 'function') {
    const io = client as IoredisLike
    // One array argument (ioredis flattens it): spreading a checkpoint's
    // 2 × MAX_ENTRIES strings into a call overflows V8's stack.
    const evalsha = io.evalsha as unknown as (sha: string, numKeys: number, keysAndArgs: readonly string[]) => Promise<unknown>
    const evaluate = io.eval as unknown as (source: string, numKeys: number, keysAndArgs: readonly string[]) => Promise<unknown>
    return (s, keys, args) => {
      const keysAndArgs = keys.concat(args)
      return evalsha.call(io, s.sha, keys.length, keysAndArgs).catch((error: unknown) => {
        if (!isNoScript(error)) throw error
        return evaluate.call(io, s.source, keys.length, keysAndArgs)
      })
    }
  }
  if (typeof c === 'object' && c !== null && typeof c.evalSha === 'function' && typeof c.eval === 'function') {
    const nr = client as NodeRedisLike
    if (Array.isArray(c.masters) && typeof c.nodeClient === 'function' && typeof c.withCommandOptions !== 'function' && typeof c.sendCommand === 'function') {
      // node-redis 4's cluster (no withCommandOptions, added in 5) routes
      // evalSha/eval by calling the command's key function with the SHA in
      // place of the options, so it finds no key and picks a random master;
      // MOVED sends it to another random one, and after its redirections it
      // fails (redis/node-redis#2811). Its sendCommand takes the routing key
      // itself: every key of a budget shares the first key's slot.
      const send = c.sendCommand as (firstKey: string, isReadonly: boolean, args: readonly string[]) => Promise<unknown>
      return (s, keys, args) => {
        const tail = [String(keys.length), ...keys].concat(args)
        return send.call(c, keys[0] as string, false, ['EVALSHA', s.sha].concat(tail)).catch((error: unknown) => {
          if (!isNoScript(error)) throw error
          return send.call(c, keys[0] as string, false, ['EVAL', s.source].concat(tail))
        })
      }
    }
    return (s, keys, args) =>
      nr.evalSha(s.sha, { keys: keys as string[], arguments: args as string[] }).catch((error: unknown) => {
        if (!isNoScript(error)) throw error
        return nr.eval(s.source, { keys: keys as string[], arguments: args as string[] })
      })
  }
  throw new TypeError(`client must be an ioredis Redis or Cluster, or a node-redis client or cluster (redis 4, 5 or 6), got ${describe(client)}`)
}
