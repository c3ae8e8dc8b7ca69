// A private redis-server for the Redis suites: a free 127.0.0.1 port, a
// temporary directory, started in the foreground as a child (so `kill -9`
// and a restart on the same port and directory are possible), stopped and
// removed at the end. Nothing listens beyond loopback.
//
// Debian's redis-server package does not start a service in containers, and
// the tests must not use one anyway: `.ci/run` installs the binary only.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'

const BINARY = process.env.REDIS_SERVER ?? 'redis-server'

/** Fails loudly (never skips) when redis-server is missing. */
export function requireRedisServer(): void {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new Error(`${BINARY} is not installed: the Redis suites need it (Debian: apt-get install redis-server; .ci/run does this)`)
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

/** Sends one inline command and resolves the raw reply's first line. */
export function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let data = ''
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')))
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8')
      if (data.includes('\r\n')) {
        socket.end()
        resolve(data.slice(0, data.indexOf('\r\n')))
      }
    })
    socket.write(`${command}\r\n`)
  })
}

export class RedisServer {
  readonly dir: string
  port = 0
  #child: ChildProcess | undefined
  readonly #args: readonly string[]

  private constructor(args: readonly string[]) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'bk-redis-'))
    this.#args = args
  }

  /** Starts a server with extra `--option value` arguments (no persistence unless asked). */
  static async start(args: readonly string[] = []): Promise<RedisServer> {
    requireRedisServer()
    const server = new RedisServer(args)
    server.port = await freePort()
    await server.#spawn()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      BINARY,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...this.#args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    this.#child = child
    // A test process that ends without stop() (a crash, a timeout) takes its server with it.
    const reap = () => child.kill('SIGKILL')
    process.once('exit', reap)
    child.once('exit', () => process.removeListener('exit', reap))
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`)
      try {
        // Loading an AOF answers -LOADING until it is done.
        if ((await rawCommand(this.port, 'PING')) === '+PONG') return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within 10 s: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async #exit(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    await exited
    this.#child = undefined
  }

  /** `kill -9`: no shutdown, no final fsync. */
  kill9(): Promise<void> {
    return this.#exit('SIGKILL')
  }

  /** Starts it again on the same port and directory (an AOF there is loaded). */
  restart(): Promise<void> {
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

/**
 * A private server and an ioredis client on it for the enclosing suite:
 * started in `beforeAll`, disconnected and stopped in `afterAll`. Read
 * `server` and `io` inside hooks and tests (they exist once `beforeAll` ran).
 */
export function useRedis(args: readonly string[] = [], options: RedisOptions = {}): { readonly server: RedisServer; readonly io: Redis } {
  let server: RedisServer | undefined
  let io: Redis | undefined
  beforeAll(async () => {
    server = await RedisServer.start(args)
    io = new Redis(server.port, '127.0.0.1', options)
  })
  afterAll(async () => {
    io?.disconnect()
    await server?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedis: read server/io inside a hook or test, after beforeAll')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get io() {
      return started(io)
    },
  }
}
