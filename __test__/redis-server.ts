// A private redis-server for the Redis suites: a free 127.0.0.1 port, a
// temporary directory, started in the foreground as a child (so `kill -9`
// and a restart on the same port and directory are possible), stopped and
// removed at the end. Nothing listens beyond loopback.
//
// Debian's redis-server package does not start a service in containers, and
// the tests must not use one anyway: `.ci/run` installs the binary only.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { createClient as createClient4 } from 'redis4'
import { createClient as createClient5 } from 'redis5'
import { createClient as createClient6 } from 'redis6'
import { afterAll, beforeAll, describe } from 'vitest'
import type { RedisClientLike } from '../redis.js'

const BINARY = process.env.REDIS_SERVER ?? 'redis-server'

/** Fails loudly (never skips) when redis-server is missing. */
export function requireRedisServer(binary = BINARY): void {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    const how = binary === BINARY ? 'Debian: apt-get install redis-server' : 'scripts/valkey.sh unpacks valkey-server, or set VALKEY_SERVER'
    throw new Error(`${binary} is not installed: the Redis suites need it (${how}; .ci/run does this)`)
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Sends one inline command and resolves the raw reply: its first line, or
 * with `{ whole: true }` everything up to the end of a bulk reply.
 */
export function rawCommand(port: number, command: string, { whole = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let data = ''
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')))
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8')
      const eol = data.indexOf('\r\n')
      if (eol < 0) return
      const first = data.slice(0, eol)
      // A bulk reply ($N) is complete once its N bytes and their CRLF are here.
      const bulk = whole && first.startsWith('$') ? Number(first.slice(1)) : -1
      if (bulk >= 0 && Buffer.byteLength(data.slice(eol + 2)) < bulk + 2) return
      socket.end()
      resolve(bulk >= 0 ? data.slice(eol + 2, eol + 2 + bulk) : first)
    })
    socket.write(`${command}\r\n`)
  })
}

/** How a child process ended (`exited with code 1`, `was killed by SIGSEGV`), or undefined while it runs. */
function ended(child: ChildProcess): string | undefined {
  if (child.signalCode !== null) return `was killed by ${child.signalCode}`
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`
  return undefined
}

/** The `process_id` of the server answering on `port`. */
export async function answeringPid(port: number): Promise<number | undefined> {
  const info = await rawCommand(port, 'INFO server', { whole: true })
  const match = /^process_id:(\d+)\r?$/m.exec(info)
  return match === null ? undefined : Number(match[1])
}

export class RedisServer {
  readonly dir: string
  port = 0
  #child: ChildProcess | undefined
  /** What the running (or last) child wrote to stderr. */
  #stderr = ''
  readonly #args: readonly string[]
  readonly #binary: string

  private constructor(args: readonly string[], binary: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'bk-redis-'))
    this.#args = args
    this.#binary = binary
  }

  /** Starts a server with extra `--option value` arguments (no persistence unless asked); `binary` is another server (valkey-server). */
  static async start(args: readonly string[] = [], binary = BINARY): Promise<RedisServer> {
    requireRedisServer(binary)
    const server = new RedisServer(args, binary)
    server.port = await freePort()
    // A server that never became ready is stopped (if it still runs) and its directory removed.
    await server.#spawn().catch(async (error: unknown) => {
      await server.stop()
      throw error
    })
    return server
  }

  /** The running child's process id (undefined while it is down). */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async #spawn(): Promise<void> {
    const previous = this.#child
    const child = spawn(
      this.#binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...this.#args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    this.#stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#stderr += chunk.toString('utf8')
    })
    this.#child = child
    // A test process that ends without stop() (a crash, a timeout) takes its server with it.
    const reap = () => child.kill('SIGKILL')
    process.once('exit', reap)
    child.once('exit', () => process.removeListener('exit', reap))
    const deadline = Date.now() + 10_000
    for (;;) {
      // Died by a signal too (exitCode stays null then), not only by an exit code: at once, not as a PING timeout.
      const end = ended(child)
      if (end !== undefined) throw new Error(`redis-server (pid ${child.pid}) ${end} while starting: ${this.#stderr}`)
      // Loading an AOF answers -LOADING until it is done.
      const answer = await rawCommand(this.port, 'PING').catch(() => 'not listening yet')
      if (answer === '+PONG') {
        // Ready means our own child answers: a server left on the port (a
        // restart without a kill) answers PING too, while ours fails to bind.
        const pid = await answeringPid(this.port)
        if (pid === child.pid) return
        child.kill('SIGKILL')
        this.#child = previous
        throw new Error(`another redis-server (pid ${pid}) answers on port ${this.port}, not ours (pid ${child.pid})`)
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within 10 s: ${this.#stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async #exit(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child
    if (child === undefined || ended(child) !== undefined) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    await exited
    this.#child = undefined
  }

  /**
   * `kill -9`: no shutdown, no final fsync. Only of a running server: one
   * already killed or stopped, or one that died on its own (a crash the
   * test did not cause), is an error naming how it ended.
   */
  async kill9(): Promise<void> {
    const child = this.#child
    if (child === undefined) throw new Error(`kill9(): the redis-server on port ${this.port} is not running (already killed or stopped)`)
    const before = ended(child)
    if (before !== undefined) throw new Error(`kill9(): the redis-server (pid ${child.pid}) is not running: it ${before} on its own: ${this.#stderr}`)
    await this.#exit('SIGKILL')
    // Dead already, though its exit had not been seen yet: the SIGKILL found a process that was gone.
    if (child.signalCode !== 'SIGKILL') throw new Error(`kill9(): the redis-server (pid ${child.pid}) ${ended(child)} on its own before the SIGKILL: ${this.#stderr}`)
  }

  /**
   * Starts it again on the same port and directory (an AOF there is
   * loaded), after {@link kill9}: a server still running is an error, since
   * nothing would be restarted.
   */
  restart(): Promise<void> {
    const child = this.#child
    if (child !== undefined && ended(child) === undefined) {
      return Promise.reject(new Error(`redis-server (pid ${child.pid}) is still running: kill9() it before restart()`))
    }
    return this.#spawn()
  }

  /** Stops it and removes its directory. */
  async stop(): Promise<void> {
    await this.#exit('SIGKILL')
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A small Redis Cluster of `size` masters on loopback ports, no replicas. */
export class RedisCluster {
  readonly nodes: RedisServer[]

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes
  }

  static async start(size = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = []
    try {
      for (let i = 0; i < size; i++) {
        nodes.push(await RedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000']))
      }
      const create = spawnSync(
        process.env.REDIS_CLI ?? 'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 60_000 },
      )
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`)
      const deadline = Date.now() + 30_000
      for (;;) {
        const ok = nodes.every((n) =>
          spawnSync(process.env.REDIS_CLI ?? 'redis-cli', ['-p', String(n.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'),
        )
        if (ok) break
        if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok within 30 s')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return new RedisCluster(nodes)
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()))
      throw error
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()))
  }
}

/** The version of an installed devDependency (an alias such as `redis4` included), read from its package.json. */
function installed(name: string): string {
  const file = createRequire(import.meta.url).resolve(`${name}/package.json`)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

/** How a test connects: ioredis options for the ioredis kind, credentials for every kind. */
export interface OpenOptions {
  readonly username?: string
  readonly password?: string
  /** ioredis only (retry and resend behaviour has no node-redis equivalent of the same name). */
  readonly io?: RedisOptions
}

/** A connected client of one kind, as a user passes it to `RedisBudgets`. */
export interface OpenClient {
  readonly client: RedisClientLike
  /** Sends one command on the client's connection (as the client's own `call`/`sendCommand`). */
  readonly command: (args: readonly string[]) => Promise<unknown>
  readonly close: () => Promise<void>
}

/** One client library the store supports. */
export interface ClientKind {
  /** The package and its installed version, e.g. `node-redis 6.3.1`. */
  readonly name: string
  /** The name it is installed under, for `require`: `ioredis`, `redis4`, `redis5`, `redis6`. */
  readonly module: string
  /**
   * Whether commands already written when the connection drops are sent
   * again after the reconnect (ioredis `autoResendUnfulfilledCommands`,
   * on by default) or rejected (node-redis rejects the replies it waits for
   * on a socket error, and keeps only what it had not written yet).
   */
  readonly resendsWritten: boolean
  readonly open: (port: number, options?: OpenOptions) => Promise<OpenClient>
}

type NodeRedisFactory = (options: { url: string; username?: string; password?: string }) => {
  connect(): Promise<unknown>
  on(event: 'error', listener: (error: unknown) => void): unknown
  sendCommand(args: string[]): Promise<unknown>
  disconnect(): Promise<void>
}

function nodeRedis(pkg: string, create: NodeRedisFactory): ClientKind {
  return {
    name: `node-redis ${installed(pkg)}`,
    module: pkg,
    resendsWritten: false,
    open: async (port, options = {}) => {
      const c = create({ url: `redis://127.0.0.1:${port}`, username: options.username, password: options.password })
      // The fault tests break connections on purpose: an unhandled 'error' event would end the test process.
      c.on('error', () => {})
      await c.connect()
      return {
        client: c as unknown as RedisClientLike,
        command: (args) => c.sendCommand(args.slice()),
        close: () => c.disconnect().catch(() => undefined),
      }
    },
  }
}

/**
 * Every client library the Redis suites run on (each one installed as an
 * exact-pinned devDependency): ioredis, and node-redis 4, 5 and 6 under the
 * aliases `redis4`, `redis5`, `redis6`.
 */
export const CLIENTS: readonly ClientKind[] = [
  {
    name: `ioredis ${installed('ioredis')}`,
    module: 'ioredis',
    resendsWritten: true,
    open: async (port, options = {}) => {
      const c = new Redis(port, '127.0.0.1', { username: options.username, password: options.password, ...options.io })
      c.on('error', () => {})
      return {
        client: c,
        command: (args) => c.call(...(args as [string, ...string[]])),
        close: async () => void c.disconnect(),
      }
    },
  },
  nodeRedis('redis4', createClient4 as unknown as NodeRedisFactory),
  nodeRedis('redis5', createClient5 as unknown as NodeRedisFactory),
  nodeRedis('redis6', createClient6 as unknown as NodeRedisFactory),
]

/** `describe(kind.name, …)` once per client library: the enclosed suite runs on each. */
export function forEachClient(suite: (kind: ClientKind) => void): void {
  for (const kind of CLIENTS) describe(kind.name, () => suite(kind))
}

/**
 * Until the replica of the primary on `port` acknowledges the primary's
 * writes: the primary counts it online (the replica's own link status is up
 * earlier), and then a write (key `replication-probe`) is confirmed by WAIT
 * (the primary streams writes to a new replica only from its first ACK,
 * which the replica sends up to a second later: a WAIT before that times out).
 */
export async function replicating(port: number, ms = 30_000): Promise<void> {
  const io = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 })
  io.on('error', () => {})
  const deadline = Date.now() + ms
  const until = async (done: () => Promise<boolean>, what: string) => {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  try {
    await until(async () => /^slave0:.*state=online/m.test(await io.info('replication')), 'the primary counts its replica online')
    await io.set('replication-probe', '1')
    await until(async () => Number(await io.call('WAIT', '1', '100')) === 1, 'a write confirmed by WAIT 1')
  } finally {
    io.disconnect()
  }
}

/**
 * An ioredis stand-in over `io` that loses script replies on request: after
 * `loseNext(n)`, the next `n` scripts run on the server but their calls
 * never settle (a reply lost after Redis executed the command). Everything
 * else goes straight through.
 */
export function lossyClient(io: Redis): { client: RedisClientLike; loseNext(n: number): void } {
  let lose = 0
  const maybeLost = (sent: Promise<unknown>): Promise<unknown> =>
    sent.then((reply) => {
      if (lose === 0) return reply
      lose--
      return new Promise(() => undefined)
    })
  const pass = (method: 'evalsha' | 'eval' | 'call') => (...args: unknown[]) => (io[method] as (...a: unknown[]) => Promise<unknown>)(...args)
  const client = {
    evalsha: (...args: unknown[]) => maybeLost(pass('evalsha')(...args)),
    eval: (...args: unknown[]) => maybeLost(pass('eval')(...args)),
    defineCommand: () => undefined,
    call: pass('call'),
  }
  return {
    client: client as unknown as RedisClientLike,
    loseNext(n: number) {
      lose = n
    },
  }
}

/**
 * A private server, an ioredis admin client (`io`, for inspecting keys) and
 * a client of `kind` (`client`, ioredis by default, with `options`) on it for
 * the enclosing suite: started in `beforeAll`, disconnected and stopped in
 * `afterAll`. Read them inside hooks and tests (they exist once `beforeAll` ran).
 */
export function useRedis(
  args: readonly string[] = [],
  options: RedisOptions = {},
  kind: ClientKind = CLIENTS[0] as ClientKind,
): { readonly server: RedisServer; readonly io: Redis; readonly client: RedisClientLike; readonly kind: ClientKind } {
  let server: RedisServer | undefined
  let io: Redis | undefined
  let open: OpenClient | undefined
  beforeAll(async () => {
    server = await RedisServer.start(args)
    io = new Redis(server.port, '127.0.0.1', options)
    open = await kind.open(server.port, { io: options })
  })
  afterAll(async () => {
    await open?.close()
    io?.disconnect()
    await server?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedis: read server/io/client inside a hook or test, after beforeAll')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get io() {
      return started(io)
    },
    get client() {
      return started(open).client
    },
    kind,
  }
}
